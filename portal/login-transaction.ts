// Between /login and /callback the portal remembers the PKCE verifier, state
// and nonce in a short-lived sealed cookie scoped to /callback. It is read
// once: the callback clears it whatever the outcome, so a response cannot be
// replayed against it.
import { z } from 'zod';
import type { LoginChecks } from './oidc.ts';
import { clearCookie, createSealer, readCookie, setCookie, type CookieContext } from './sealed-cookie.ts';

const LOGIN_COOKIE = 'portal_login';
const LOGIN_TTL_SECONDS = 10 * 60;

const transactionSchema = z.object({
  state: z.string(),
  nonce: z.string(),
  codeVerifier: z.string(),
  startedAt: z.number(),
});

export type LoginTransactions = ReturnType<typeof createLoginTransactions>;

export function createLoginTransactions(options: { cookieSecret: string; secure: boolean; clock: () => number }) {
  const sealer = createSealer(options.cookieSecret, 'login');
  const cookie = { path: '/callback', secure: options.secure };

  return {
    begin(ctx: CookieContext, checks: LoginChecks): void {
      const transaction = { ...checks, startedAt: options.clock() };
      setCookie(ctx, LOGIN_COOKIE, sealer.seal(transaction), { ...cookie, maxAgeSeconds: LOGIN_TTL_SECONDS });
    },

    /** The checks of the login in progress, or null when there is none (expired, tampered with, other browser). */
    take(ctx: CookieContext): LoginChecks | null {
      const sealed = readCookie(ctx, LOGIN_COOKIE);
      if (!sealed) return null;
      clearCookie(ctx, LOGIN_COOKIE, cookie);
      const parsed = transactionSchema.safeParse(sealer.open(sealed));
      if (!parsed.success) return null;
      if (options.clock() - parsed.data.startedAt > LOGIN_TTL_SECONDS * 1000) return null;
      const { state, nonce, codeVerifier } = parsed.data;
      return { state, nonce, codeVerifier };
    },
  };
}
