// Headers for every response. The CSP allows no script at all (the portal
// needs none) and only our own stylesheet; form-action names the provider
// because browsers apply it to the redirect that follows the sign-out POST.
import type { Context, Next } from 'koa';

export function securityHeaders(options: { issuer: string; https: boolean }) {
  const contentSecurityPolicy = [
    "default-src 'none'",
    "style-src 'self'",
    "img-src 'self'",
    `form-action 'self' ${new URL(options.issuer).origin}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');

  return async function setSecurityHeaders(ctx: Context, next: Next): Promise<void> {
    ctx.set('Content-Security-Policy', contentSecurityPolicy);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('X-Frame-Options', 'DENY');
    // no-referrer: /callback URLs carry an authorization code.
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
    if (options.https) ctx.set('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    await next();
  };
}
