// The progress through a multi-step link (invitation, OTP reset) lives in a
// sealed cookie bound to that link, so a half-done flow leaves nothing in the
// database and cannot be continued from another browser.
import type { Context } from 'koa';
import { z } from 'zod';
import type { Services } from '../../src/services.ts';
import { clearCookie, sealedCookies } from '../../src/http/sealed-cookie.ts';

const flowSchema = z.object({
  linkId: z.string(),
  /** the chosen password's hash (invitation) */
  passwordHash: z.string().optional(),
  /** the current password was checked (OTP reset) */
  passwordVerified: z.boolean().optional(),
  /** the new authenticator's secret, shown on the set-up page */
  secret: z.string().optional(),
  exp: z.number(),
});

export type LinkFlowState = z.infer<typeof flowSchema>;

const cookieName = 'govlink.link';
const cookiePath = '/link/';
const lifetimeSeconds = 30 * 60;

export function readFlow(ctx: Context, services: Pick<Services, 'box' | 'clock'>, linkId: string): LinkFlowState | null {
  const state = sealedCookies(services.box, 'pending-login').read(ctx, cookieName, flowSchema);
  return state && state.linkId === linkId && state.exp > services.clock.now().getTime() / 1000 ? state : null;
}

export function writeFlow(ctx: Context, services: Pick<Services, 'box' | 'clock'>, state: Omit<LinkFlowState, 'exp'>): void {
  const exp = Math.floor(services.clock.now().getTime() / 1000) + lifetimeSeconds;
  sealedCookies(services.box, 'pending-login').write(ctx, cookieName, cookiePath, { ...state, exp }, lifetimeSeconds * 1000);
}

export function clearFlow(ctx: Context): void {
  clearCookie(ctx, cookieName, cookiePath);
}
