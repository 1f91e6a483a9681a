// The progress through a multi-step link (invitation, OTP reset) lives in a
// sealed cookie bound to that link, so a half-done flow leaves nothing in the
// database and cannot be continued from another browser.
import type { Context } from 'koa';
import type { Services } from '../../src/services.ts';

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

export function readFlow(ctx: Context, services: Pick<Services, 'box' | 'clock'>, linkId: string): LinkFlowState | null {
  const sealed = ctx.cookies.get(cookieName);
  if (!sealed) return null;
  try {
    const state = JSON.parse(services.box.decrypt('pending-login', sealed)) as LinkFlowState;
    return state.linkId === linkId && state.exp > services.clock.now().getTime() / 1000 ? state : null;
  } catch {
    return null;
  }
}

export function writeFlow(ctx: Context, services: Pick<Services, 'box' | 'clock'>, state: Omit<LinkFlowState, 'exp'>): void {
  const value = services.box.encrypt('pending-login', JSON.stringify({ ...state, exp: Math.floor(services.clock.now().getTime() / 1000) + lifetimeSeconds }));
  ctx.cookies.set(cookieName, value, { httpOnly: true, sameSite: 'lax', secure: ctx.secure, path: '/link/', maxAge: lifetimeSeconds * 1000, overwrite: true });
}

export function clearFlow(ctx: Context): void {
  ctx.cookies.set(cookieName, '', { httpOnly: true, sameSite: 'lax', secure: ctx.secure, path: '/link/', maxAge: 0, overwrite: true });
}
