// What every request carries, set up once by requestContext().
import type { Logger } from 'pino';
import type { Translate } from '../i18n/index.ts';
import type { Render } from './views.ts';

declare module 'koa' {
  interface DefaultState {
    requestId: string;
    log: Logger;
    lang: string;
    t: Translate;
    render: Render;
    /** set by csrfTokenFor() once a page needs it */
    csrfToken?: string;
    /** answer errors as application/problem+json rather than HTML */
    problemJson?: boolean;
  }
}

export {};
