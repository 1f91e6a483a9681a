// Errors that carry their HTTP answer. One boundary (errorBoundary) turns any
// error into an HTML page or an RFC 9457 problem document.
import type { Context, Next } from 'koa';

export class HttpError extends Error {
  readonly status: number;
  /** a translation key for the page heading and explanation */
  readonly key: string;
  readonly details: Record<string, unknown> | undefined;
  constructor(status: number, key: string, details?: Record<string, unknown>) {
    super(key);
    this.status = status;
    this.key = key;
    this.details = details;
  }
}

export const badRequest = (key = 'error.bad_request', details?: Record<string, unknown>) => new HttpError(400, key, details);

export function errorBoundary() {
  return async function errorBoundary(ctx: Context, next: Next) {
    try {
      await next();
    } catch (caught) {
      const error = caught instanceof HttpError ? caught : null;
      const status = error?.status ?? ((caught as { status?: number }).status && (caught as { expose?: boolean }).expose ? (caught as { status: number }).status : 500);
      if (status >= 500) ctx.state.log?.error({ err: caught }, 'request failed');
      const key = error?.key ?? (status === 413 ? 'error.too_large' : status === 415 ? 'error.unsupported_media_type' : status >= 500 ? 'error.internal' : 'error.bad_request');
      ctx.status = status;
      if (ctx.state.problemJson) {
        const t = ctx.state.t;
        ctx.type = 'application/problem+json';
        ctx.body = { type: 'about:blank', title: t(`${key}.title`), status, detail: t(`${key}.detail`), ...(error?.details ?? {}) };
        return;
      }
      ctx.state.render(ctx, 'error.njk', { status, key, requestId: ctx.state.requestId });
    }
  };
}
