// A first-party page's own session, and the sign-in in progress, live in
// cookies sealed with AES-256-GCM under a key derived from SECRET_KEY:
// nothing on the server, so any process behind the load balancer can serve
// any request. The session holds who signed in, not what they may do: the
// page reads the user from the database on every request.
import type { Context } from 'koa';
import { z } from 'zod';
import type { Services } from '../../services.ts';
import type { FirstPartyApp } from './app.ts';
import type { LoginChecks } from './oidc.ts';

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

export type FirstPartySessions = ReturnType<typeof createFirstPartySessions>;

export function createFirstPartySessions(services: Pick<Services, 'box' | 'clock' | 'config'>, app: FirstPartyApp) {
  const { box, clock, config } = services;
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

  function open<T>(ctx: Context, name: string, schema: z.ZodType<T>): T | null {
    const sealed = ctx.cookies.get(name);
    if (!sealed) return null;
    try {
      const parsed = schema.safeParse(JSON.parse(box.decrypt(app.cookiePurpose, sealed)));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }

  function set(ctx: Context, name: string, path: string, value: unknown, maxAgeMs: number): void {
    const sealed = value === null ? '' : box.encrypt(app.cookiePurpose, JSON.stringify(value));
    ctx.cookies.set(name, sealed, { httpOnly: true, sameSite: 'lax', secure: ctx.secure, path, maxAge: Math.max(0, maxAgeMs), overwrite: true });
  }

  /**
   * The live session, or null when there is none, it was tampered with, or
   * it has been idle for SESSION_IDLE_TTL or lived SESSION_MAX_TTL. Checked
   * here and not only by the cookie's Max-Age, which a copied cookie ignores.
   */
  function read(ctx: Context): FirstPartySession | null {
    const session = open(ctx, app.cookies.session, sessionSchema);
    const at = now();
    if (!session || at - session.lastActiveAt >= idleMs || at - session.signedInAt >= maxMs) return null;
    return session;
  }

  /** Re-issues the cookie with this request as the last activity. */
  function touch(ctx: Context, session: FirstPartySession): void {
    const at = now();
    set(ctx, app.cookies.session, app.basePath, { ...session, lastActiveAt: at }, Math.min(idleMs, session.signedInAt + maxMs - at));
  }

  function start(ctx: Context, user: SignedIn): void {
    const at = now();
    touch(ctx, { purpose: `${app.name}-session`, ...user, signedInAt: at, lastActiveAt: at });
  }

  function end(ctx: Context): void {
    set(ctx, app.cookies.session, app.basePath, null, 0);
  }

  function beginLogin(ctx: Context, checks: LoginChecks, returnTo: string): void {
    set(ctx, app.cookies.login, callbackPath, { purpose: `${app.name}-login`, ...checks, returnTo, startedAt: now() }, loginTtlSeconds * 1000);
  }

  /** The sign-in in progress, read once: cleared whatever happens next, so a response cannot be replayed against it. */
  function takeLogin(ctx: Context): (LoginChecks & { returnTo: string }) | null {
    const login = open(ctx, app.cookies.login, loginSchema);
    if (ctx.cookies.get(app.cookies.login)) set(ctx, app.cookies.login, callbackPath, null, 0);
    if (!login || now() - login.startedAt > loginTtlSeconds * 1000) return null;
    return { state: login.state, nonce: login.nonce, codeVerifier: login.codeVerifier, returnTo: login.returnTo };
  }

  return { read, touch, start, end, beginLogin, takeLogin };
}
