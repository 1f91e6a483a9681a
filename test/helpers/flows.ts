// The sign-in as a relying party (openid-client) and a user (the user agent)
// go through it.
import * as oidc from 'openid-client';
import { UserAgent, dom, type Page } from './user-agent.ts';
import { totpCode, type TestProvider, type TestUser } from './server.ts';
import type { NewClient } from '../../src/oidc/clients.ts';

export type RelyingParty = { config: oidc.Configuration; client: NewClient; redirectUri: string };

export async function relyingParty(provider: TestProvider, client: NewClient): Promise<RelyingParty> {
  const config = await oidc.discovery(new URL(provider.issuer), client.clientId, client.secret ?? undefined, client.secret ? undefined : oidc.None(), {
    execute: [oidc.allowInsecureRequests],
  });
  return { config, client, redirectUri: client.redirectUris[0]! };
}

export type Authorization = { url: URL; verifier: string; state: string; nonce: string };

export async function startAuthorization(rp: RelyingParty, parameters: Record<string, string> = {}): Promise<Authorization> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(rp.config, {
    redirect_uri: rp.redirectUri,
    scope: 'openid email profile organisation offline_access',
    prompt: 'consent',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...parameters,
  });
  return { url, verifier, state, nonce };
}

export async function finishAuthorization(rp: RelyingParty, authorization: Authorization, callback: string) {
  return oidc.authorizationCodeGrant(rp.config, new URL(callback), {
    pkceCodeVerifier: authorization.verifier,
    expectedState: authorization.state,
    expectedNonce: authorization.nonce,
  });
}

/** The recovery codes shown once after the first second factor is set up (empty on other pages). */
export function recoveryCodesOn(page: Page): string[] {
  return dom(page).querySelectorAll('.recovery-codes code').map((code) => code.textContent.trim());
}

/** Follows the "continue" link of a page shown on the way back to the relying party (recovery codes). */
export async function continueFrom(ua: UserAgent, page: Page, stopAt: string): Promise<Page> {
  const next = dom(page).querySelector('a#continue')?.getAttribute('href');
  return next ? ua.get(new URL(next, page.url).href, stopAt) : page;
}

/** Reads the manual-entry secret off the OTP set-up page, as a person would copy it. */
export function secretFromSetupPage(page: Page): string {
  const code = dom(page).querySelector('#otp-secret');
  if (!code) throw new Error(`no secret on ${page.url}`);
  return code.textContent.replace(/\s+/g, '');
}

const lastStepUsed = new Map<string, number>();

/** Moves the provider's clock on if this secret's current code was used already (codes are single-use). */
export async function freshStep(provider: TestProvider, secret: string): Promise<void> {
  const step = () => Math.floor(provider.clock.now().getTime() / 30_000);
  if (step() <= (lastStepUsed.get(secret) ?? -1)) provider.clock.advance(30);
  lastStepUsed.set(secret, step());
}

/**
 * The whole sign-in: password, then OTP set-up (first time, returns the new
 * secret) or OTP. Returns the tokens the relying party gets.
 */
export async function signIn(provider: TestProvider, rp: RelyingParty, user: TestUser & { totpSecret?: string }, ua = new UserAgent(), parameters: Record<string, string> = {}) {
  const authorization = await startAuthorization(rp, parameters);
  await ua.get(authorization.url.href, rp.redirectUri);
  const afterPassword = await ua.submit({ email: user.email, password: user.password }, { stopAt: rp.redirectUri });
  let secret = user.totpSecret;
  if (!secret) {
    secret = secretFromSetupPage(afterPassword);
  }
  await freshStep(provider, secret);
  let final = await ua.submit({ code: await totpCode(secret, provider.clock) }, { stopAt: rp.redirectUri });
  const recoveryCodes = recoveryCodesOn(final);
  final = await continueFrom(ua, final, rp.redirectUri);
  if (!final.url.startsWith(rp.redirectUri)) throw new Error(`sign-in did not return to the client: ${final.url} ${final.status}\n${final.body.slice(0, 3000)}`);
  const tokens = await finishAuthorization(rp, authorization, final.url);
  return { tokens, secret, ua, recoveryCodes };
}
