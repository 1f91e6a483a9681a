// The screen's own session, and the sign-in in progress, live in cookies
// sealed with AES-256-GCM under a key derived from SECRET_KEY: nothing on the
// server, so any process behind the load balancer can serve any request.
// The session holds who signed in, not what they may do: the role and status
// are read from the database on every request (see access.ts).
import type { Context } from 'koa';
import { z } from 'zod';
import type { Services } from '../../services.ts';
import type { LoginChecks } from './oidc.ts';

const sessionCookie = 'govlink.admin';
const loginCookie = 'govlink.admin-login';
const loginTtlSeconds = 10 * 60;

// `purpose` tells the two apart, so a sealed login can never pass for a session.
const sessionSchema = z.object({
  purpose: z.literal('admin-session'),
  userId: z.string(),
  name: z.string(),
  /** for id_token_hint when signing out at the provider */
  idToken: z.string(),
  signedInAt: z.number(),
  lastActiveAt: z.number(),
});

const loginSchema = z.object({
  purpose: z.literal('admin-login'),
  state: z.string(),
  nonce: z.string(),
  codeVerifier: z.string(),
  returnTo: z.string(),
  startedAt: z.number(),
});

export type AdminSession = z.infer<typeof sessionSchema>;

export type AdminSessions = ReturnType<typeof createAdminSessions>;

export function createAdminSessions(services: Pick<Services, 'box' | 'clock' | 'config'>) {
  const { box, clock, config } = services;
  const idleMs = config.sessionIdleTtl * 1000;
  const maxMs = config.sessionMaxTtl * 1000;
  const now = () => clock.now().getTime();

  function open<T>(ctx: Context, name: string, schema: z.ZodType<T>): T | null {
    const sealed = ctx.cookies.get(name);
    if (!sealed) return null;
    try {
      const parsed = schema.safeParse(JSON.parse(box.decrypt('admin-session', sealed)));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }

  function set(ctx: Context, name: string, path: string, value: unknown, maxAgeMs: number): void {
    const sealed = value === null ? '' : box.encrypt('admin-session', JSON.stringify(value));
    ctx.cookies.set(name, sealed, { httpOnly: true, sameSite: 'lax', secure: ctx.secure, path, maxAge: Math.max(0, maxAgeMs), overwrite: true });
  }

  /**
   * The live session, or null when there is none, it was tampered with, or
   * it has been idle for SESSION_IDLE_TTL or lived SESSION_MAX_TTL. Checked
   * here and not only by the cookie's Max-Age, which a copied cookie ignores.
   */
  function read(ctx: Context): AdminSession | null {
    const session = open(ctx, sessionCookie, sessionSchema);
    const at = now();
    if (!session || at - session.lastActiveAt >= idleMs || at - session.signedInAt >= maxMs) return null;
    return session;
  }

  /** Re-issues the cookie with this request as the last activity. */
  function touch(ctx: Context, session: AdminSession): void {
    const at = now();
    set(ctx, sessionCookie, '/admin', { ...session, lastActiveAt: at }, Math.min(idleMs, session.signedInAt + maxMs - at));
  }

  function start(ctx: Context, user: { userId: string; name: string; idToken: string }): void {
    const at = now();
    touch(ctx, { purpose: 'admin-session', ...user, signedInAt: at, lastActiveAt: at });
  }

  function end(ctx: Context): void {
    set(ctx, sessionCookie, '/admin', null, 0);
  }

  function beginLogin(ctx: Context, checks: LoginChecks, returnTo: string): void {
    set(ctx, loginCookie, '/admin/callback', { purpose: 'admin-login', ...checks, returnTo, startedAt: now() }, loginTtlSeconds * 1000);
  }

  /** The sign-in in progress, read once: cleared whatever happens next, so a response cannot be replayed against it. */
  function takeLogin(ctx: Context): (LoginChecks & { returnTo: string }) | null {
    const login = open(ctx, loginCookie, loginSchema);
    if (ctx.cookies.get(loginCookie)) set(ctx, loginCookie, '/admin/callback', null, 0);
    if (!login || now() - login.startedAt > loginTtlSeconds * 1000) return null;
    return { state: login.state, nonce: login.nonce, codeVerifier: login.codeVerifier, returnTo: login.returnTo };
  }

  return { read, touch, start, end, beginLogin, takeLogin };
}
