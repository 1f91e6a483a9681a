// nunjucks views: one environment over templates/, autoescaped, with the
// translation function and the CSRF token available to every template.
// Emails have their own environments (src/mail/render.ts).
import nunjucks from 'nunjucks';
import type { Context } from 'koa';
import { csrfTokenFor } from './csrf.ts';

const templatesDir = new URL('../../templates/', import.meta.url).pathname;

/** A problem with one form field, for the error summary at the top of a page and the message beside the field. */
export type FieldError = { field: string; message: string };

export type Render = (ctx: Context, template: string, data?: Record<string, unknown>) => void;

export function createViews(options: { issuer: string; portalUrl: string; noCache?: boolean }) {
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(templatesDir, { noCache: options.noCache ?? false }), {
    autoescape: true,
    throwOnUndefined: false,
  });

  /** Renders a page into ctx.body with the request's language and tokens. */
  const render: Render = (ctx, template, data = {}) => {
    ctx.type = 'html';
    ctx.body = env.render(template, {
      ...data,
      t: ctx.state.t,
      lang: ctx.state.lang,
      csrfToken: csrfTokenFor(ctx),
      issuer: options.issuer,
      portalUrl: options.portalUrl,
    });
  };

  return { render };
}
