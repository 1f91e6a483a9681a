// ISSUER is the public base URL. Every URL the provider builds (discovery,
// redirects, form actions) comes from the request's host and protocol, so they
// are pinned to ISSUER here, before anything reads them: a proxy that forwards
// its own upstream Host, or a client sending X-Forwarded-Host, changes nothing.
// The client address comes from X-Forwarded-For only behind a trusted proxy.
import type { Context, Next } from 'koa';

export function pinToIssuer(issuer: string, trustProxy: boolean) {
  const { host, protocol } = new URL(issuer);
  const scheme = protocol.replace(':', '');
  return async function pinToIssuer(ctx: Context, next: Next) {
    const headers = ctx.req.headers;
    headers.host = host;
    headers['x-forwarded-proto'] = scheme;
    delete headers['x-forwarded-host'];
    if (!trustProxy) delete headers['x-forwarded-for'];
    await next();
  };
}
