// Request id, per-request logger, language and renderer; then the security
// headers every answer carries.
import { randomUUID } from 'node:crypto';
import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import { pickLanguage, translator } from '../i18n/index.ts';
import type { Render } from './views.ts';
import './state.ts';

const requestIdPattern = /^[\w.-]{1,64}$/;

export function requestContext(logger: Logger, render: Render) {
  return async function requestContext(ctx: Context, next: Next) {
    const incoming = ctx.get('x-request-id');
    ctx.state.requestId = requestIdPattern.test(incoming) ? incoming : randomUUID();
    ctx.state.log = logger.child({ requestId: ctx.state.requestId });
    ctx.state.lang = pickLanguage(ctx.get('accept-language'));
    ctx.state.t = translator(ctx.state.lang);
    ctx.state.render = render;
    ctx.set('X-Request-Id', ctx.state.requestId);
    const started = performance.now();
    try {
      await next();
    } finally {
      ctx.state.log.info({ method: ctx.method, path: loggablePath(ctx.path), status: ctx.status, ms: Math.round(performance.now() - started) }, 'request');
    }
  };
}

/** An emailed link's token is a credential: it never reaches the log. */
export function loggablePath(path: string): string {
  return path.replace(/^\/link\/[^/]+/, '/link/[token]');
}

/**
 * Headers for every answer, set before the handlers run so that oidc-provider
 * can add the hash of its form_post script to the policy. There is no
 * form-action directive: browsers apply it to the redirects after a form
 * post, and a sign-in ends with a redirect to the relying party.
 */
export function securityHeaders() {
  return async function securityHeaders(ctx: Context, next: Next) {
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
    ctx.set('Content-Security-Policy', "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'");
    if (ctx.secure) ctx.set('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    await next();
    if (ctx.response.is('html')) ctx.set('Cache-Control', 'no-store');
  };
}
