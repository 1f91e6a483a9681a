// HTML rendering: nunjucks with autoescaping, one layout, `t` for every string.
import { join } from 'node:path';
import nunjucks from 'nunjucks';
import { t } from './i18n.ts';
import type { PortalContext } from './session.ts';

export type Views = ReturnType<typeof createViews>;

/** accountUrl: the provider's account page, linked from the top bar. */
export function createViews(options: { accountUrl: string }) {
  const environment = new nunjucks.Environment(new nunjucks.FileSystemLoader(join(import.meta.dirname, 'templates')), {
    autoescape: true,
    throwOnUndefined: false,
  });
  environment.addGlobal('t', t);
  environment.addGlobal('accountUrl', options.accountUrl);

  return {
    /** Renders a page; the layout gets the signed-in user and the CSRF token for the sign-out form. */
    render(ctx: PortalContext, template: string, variables: Record<string, unknown> = {}, status = 200): void {
      const { session } = ctx.state;
      ctx.status = status;
      ctx.type = 'html';
      ctx.body = environment.render(template, {
        user: session?.user,
        csrfToken: session?.csrfToken,
        ...variables,
      });
    },
  };
}
