// The progress through a multi-step link (invitation, OTP reset) lives in a
// sealed cookie bound to that link, so a half-done flow leaves nothing in the
// database and cannot be continued from another browser.
import type { Context } from 'koa';
import type { SecretBox } from '../../src/crypto.ts';

export type LinkFlowState = {
  linkId: string;
  /** the chosen password's hash (invitation) */
  passwordHash?: string;
  /** the current password was checked (OTP reset) */
  passwordVerified?: boolean;
  /** the new authenticator's secret, shown on the set-up page */
  secret?: string;
  exp: number;
};

const cookieName = 'govlink.link';
const lifetimeSeconds = 30 * 60;

export function readFlow(ctx: Context, box: SecretBox, linkId: string): LinkFlowState | null {
  const sealed = ctx.cookies.get(cookieName);
  if (!sealed) return null;
  try {
    const state = JSON.parse(box.decrypt('pending-login', sealed)) as LinkFlowState;
    return state.linkId === linkId && state.exp > Date.now() / 1000 ? state : null;
  } catch {
    return null;
  }
}

export function writeFlow(ctx: Context, box: SecretBox, state: Omit<LinkFlowState, 'exp'>): void {
  const value = box.encrypt('pending-login', JSON.stringify({ ...state, exp: Math.floor(Date.now() / 1000) + lifetimeSeconds }));
  ctx.cookies.set(cookieName, value, { httpOnly: true, sameSite: 'lax', secure: ctx.secure, path: '/link/', maxAge: lifetimeSeconds * 1000, overwrite: true });
}

export function clearFlow(ctx: Context): void {
  ctx.cookies.set(cookieName, '', { httpOnly: true, sameSite: 'lax', secure: ctx.secure, path: '/link/', maxAge: 0, overwrite: true });
}
