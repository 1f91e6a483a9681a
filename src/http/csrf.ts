// CSRF protection for our own forms: a random token in a signed, HttpOnly
// cookie, echoed in a hidden `_csrf` field. A cross-site page can make the
// browser send the cookie but cannot read it to fill in the field.
import type { Context } from 'koa';
import { constantTimeEqual, randomToken } from '../crypto.ts';
import { HttpError } from './errors.ts';
import { readFormBody } from './body.ts';

const cookieName = 'govlink.csrf';

/**
 * This browser's token, made (and its cookie set) on the first page that
 * needs one. Asked for by the renderer only, so oidc-provider's machine
 * endpoints (token, discovery, keys) never make a token or send the cookie.
 */
export function csrfTokenFor(ctx: Context): string {
  if (ctx.state.csrfToken) return ctx.state.csrfToken;
  let token = ctx.cookies.get(cookieName, { signed: true });
  if (!token || !/^[\w-]{43}$/.test(token)) {
    token = randomToken();
    ctx.cookies.set(cookieName, token, { signed: true, httpOnly: true, sameSite: 'lax', secure: ctx.secure, overwrite: true });
  }
  ctx.state.csrfToken = token;
  return token;
}

/** Reads a posted form and refuses it unless it carries this browser's CSRF token. */
export async function readProtectedForm(ctx: Context): Promise<Record<string, string>> {
  const fields = await readFormBody(ctx);
  const sent = fields._csrf ?? '';
  const expected = ctx.cookies.get(cookieName, { signed: true });
  if (!expected || !constantTimeEqual(sent, expected)) throw new HttpError(403, 'error.csrf');
  delete fields._csrf;
  return fields;
}
