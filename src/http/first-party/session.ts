// A first-party page's own session, and the sign-in in progress, in sealed
// cookies (src/http/sealed-cookie.ts). The session holds who signed in, not what they
// may do: the page reads the user from the database on every request.
import type { Context } from 'koa';
import { z } from 'zod';
import type { Services } from '../../services.ts';
import type { FirstPartyApp } from './app.ts';
import type { LoginChecks } from './oidc.ts';
import { sealedCookies } from '../sealed-cookie.ts';

const loginTtlSeconds = 10 * 60;

export type FirstPartySession = {
  purpose: string;
  userId: string;
  name: string;
  /** for id_token_hint when signing out at the provider */
  idToken: string;
  /** followsGrant pages: the provider's session id and the grant this sign-in made */
  sid?: string | undefined;
  grantId?: string | undefined;
  signedInAt: number;
  lastActiveAt: number;
};

export type SignedIn = { userId: string; name: string; idToken: string; sid?: string; grantId?: string };

export function createFirstPartySessions(services: Pick<Services, 'box' | 'clock' | 'config'>, app: FirstPartyApp) {
  const { clock, config } = services;
  const cookies = sealedCookies(services.box, app.cookiePurpose);
  const idleMs = config.sessionIdleTtl * 1000;
  const maxMs = config.sessionMaxTtl * 1000;
  const now = () => clock.now().getTime();
  const callbackPath = `${app.basePath}/callback`;

  // `purpose` tells the two apart, so a sealed login can never pass for a session.
  const sessionSchema = z.object({
    purpose: z.literal(`${app.name}-session`),
    userId: z.string(),
    name: z.string(),
    idToken: z.string(),
    sid: z.string().optional(),
    grantId: z.string().optional(),
    signedInAt: z.number(),
    lastActiveAt: z.number(),
  });

  const loginSchema = z.object({
    purpose: z.literal(`${app.name}-login`),
    state: z.string(),
    nonce: z.string(),
    codeVerifier: z.string(),
    returnTo: z.string(),
    startedAt: z.number(),
  });

  /**
   * The live session, or null when there is none, it was tampered with, or
   * it has been idle for SESSION_IDLE_TTL or lived SESSION_MAX_TTL. Checked
   * here and not only by the cookie's Max-Age, which a copied cookie ignores.
   */
  function read(ctx: Context): FirstPartySession | null {
    const session = cookies.read(ctx, app.cookies.session, sessionSchema);
    const at = now();
    if (!session || at - session.lastActiveAt >= idleMs || at - session.signedInAt >= maxMs) return null;
    return session;
  }

  /** Re-issues the cookie with this request as the last activity. */
  function touch(ctx: Context, session: FirstPartySession): void {
    const at = now();
    cookies.write(ctx, app.cookies.session, app.basePath, { ...session, lastActiveAt: at }, Math.min(idleMs, session.signedInAt + maxMs - at));
  }

  function start(ctx: Context, user: SignedIn): void {
    const at = now();
    touch(ctx, { purpose: `${app.name}-session`, ...user, signedInAt: at, lastActiveAt: at });
  }

  function end(ctx: Context): void {
    cookies.clear(ctx, app.cookies.session, app.basePath);
  }

  function beginLogin(ctx: Context, checks: LoginChecks, returnTo: string): void {
    cookies.write(ctx, app.cookies.login, callbackPath, { purpose: `${app.name}-login`, ...checks, returnTo, startedAt: now() }, loginTtlSeconds * 1000);
  }

  /** The sign-in in progress, read once: cleared whatever happens next, so a response cannot be replayed against it. */
  function takeLogin(ctx: Context): (LoginChecks & { returnTo: string }) | null {
    const login = cookies.read(ctx, app.cookies.login, loginSchema);
    if (ctx.cookies.get(app.cookies.login)) cookies.clear(ctx, app.cookies.login, callbackPath);
    if (!login || now() - login.startedAt > loginTtlSeconds * 1000) return null;
    return { state: login.state, nonce: login.nonce, codeVerifier: login.codeVerifier, returnTo: login.returnTo };
  }

  return { read, touch, start, end, beginLogin, takeLogin };
}
