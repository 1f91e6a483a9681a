// The portal session: a sealed cookie, no server-side store. It ends after
// the idle TTL without a request or the max TTL after sign-in, whichever comes
// first; both are checked on every request, because a cookie kept past its
// Max-Age (or copied out of a browser) must not keep working.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Next, ParameterizedContext } from 'koa';
import { z } from 'zod';
import { clearCookie, createSealer, readCookie, setCookie, type CookieContext } from './sealed-cookie.ts';

const SESSION_COOKIE = 'portal_session';

const userSchema = z.object({
  sub: z.string(),
  name: z.string().optional(),
  email: z.string().optional(),
  orgId: z.string().optional(),
  orgName: z.string().optional(),
  role: z.string().optional(),
});

const sessionSchema = z.object({
  user: userSchema,
  /** kept for id_token_hint when signing out at the provider */
  idToken: z.string(),
  signedInAt: z.number(),
  lastActiveAt: z.number(),
  /** bound to this session; required on every state-changing form */
  csrfToken: z.string(),
});

export type PortalUser = z.infer<typeof userSchema>;
export type PortalSession = z.infer<typeof sessionSchema>;

/** What the routes see: `ctx.state.session` is the live session or null; setting it to null signs out. */
export type PortalState = { session: PortalSession | null };
export type PortalContext = ParameterizedContext<PortalState>;

export type SessionOptions = {
  cookieSecret: string;
  secure: boolean;
  idleTtlSeconds: number;
  maxTtlSeconds: number;
  clock: () => number;
};

export type Sessions = ReturnType<typeof createSessions>;

export function createSessions(options: SessionOptions) {
  const sealer = createSealer(options.cookieSecret, 'session');
  const idleTtlMs = options.idleTtlSeconds * 1000;
  const maxTtlMs = options.maxTtlSeconds * 1000;
  const cookiePath = { path: '/', secure: options.secure };

  function isLive(session: PortalSession, now: number): boolean {
    return now - session.lastActiveAt < idleTtlMs && now - session.signedInAt < maxTtlMs;
  }

  /** The session in the cookie; null when absent, tampered with, idle for too long or past its maximum age. */
  function open(sealed: string | undefined): PortalSession | null {
    if (!sealed) return null;
    const parsed = sessionSchema.safeParse(sealer.open(sealed));
    if (!parsed.success || !isLive(parsed.data, options.clock())) return null;
    return parsed.data;
  }

  /** Re-issues the cookie with this request as the last activity. */
  function write(ctx: CookieContext, session: PortalSession): void {
    const now = options.clock();
    const refreshed = { ...session, lastActiveAt: now };
    const secondsLeft = Math.min(idleTtlMs, session.signedInAt + maxTtlMs - now) / 1000;
    setCookie(ctx, SESSION_COOKIE, sealer.seal(refreshed), { ...cookiePath, maxAgeSeconds: secondsLeft });
  }

  return {
    start(user: PortalUser, idToken: string): PortalSession {
      const now = options.clock();
      return { user, idToken, signedInAt: now, lastActiveAt: now, csrfToken: randomBytes(32).toString('base64url') };
    },

    /** Loads the session into ctx.state.session, and afterwards writes back whatever the route left there. */
    middleware() {
      return async function loadAndSaveSession(ctx: PortalContext, next: Next): Promise<void> {
        const sealed = readCookie(ctx, SESSION_COOKIE);
        const state = ctx.state;
        state.session = open(sealed);
        try {
          await next();
        } finally {
          if (state.session) write(ctx, state.session);
          else if (sealed !== undefined) clearCookie(ctx, SESSION_COOKIE, cookiePath);
        }
      };
    },
  };
}

/** Constant-time check of a submitted CSRF token against the session's. */
export function isValidCsrfToken(session: PortalSession, submitted: unknown): boolean {
  if (typeof submitted !== 'string') return false;
  const expected = Buffer.from(session.csrfToken);
  const actual = Buffer.from(submitted);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
