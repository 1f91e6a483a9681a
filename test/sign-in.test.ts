import test from 'ava';
import * as oidc from 'openid-client';
import { createTestUser, registerTestClient, startTestProvider, totpCode, type TestProvider } from './helpers/server.ts';
import { UserAgent, dom, text } from './helpers/user-agent.ts';
import { continueFrom, finishAuthorization, recoveryCodesOn, relyingParty, secretFromSetupPage, signIn, startAuthorization } from './helpers/flows.ts';

let provider: TestProvider;
test.before(async () => {
  provider = await startTestProvider();
});
test.after.always(async () => {
  await provider?.stop();
});

const redirectUri = 'http://127.0.0.1:9/callback';

test.serial('discovery advertises acr mfa, PKCE S256 and the endpoints a relying party needs', async (t) => {
  const response = await fetch(`${provider.issuer}/.well-known/openid-configuration`);
  t.is(response.status, 200);
  const metadata = (await response.json()) as Record<string, unknown>;
  t.is(metadata.issuer, provider.issuer);
  t.deepEqual(metadata.acr_values_supported, ['mfa']);
  t.deepEqual(metadata.code_challenge_methods_supported, ['S256']);
  t.deepEqual(metadata.response_types_supported, ['code']);
  for (const endpoint of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri', 'end_session_endpoint', 'revocation_endpoint', 'introspection_endpoint']) {
    t.truthy(metadata[endpoint], endpoint);
  }
  t.true(metadata.backchannel_logout_supported as boolean);
  t.true(metadata.claims_parameter_supported as boolean);
  t.true((metadata.grant_types_supported as string[]).includes('client_credentials'));
  const jwks = (await (await fetch(metadata.jwks_uri as string)).json()) as { keys: { alg: string; d?: string }[] };
  t.deepEqual(jwks.keys.map((k) => k.alg).sort(), ['ES256', 'RS256']);
  t.true(jwks.keys.every((k) => k.d === undefined), 'no private key material is published');
});

test.serial('first sign-in sets up the OTP, and the ID token carries acr mfa and amr pwd+otp', async (t) => {
  const user = await createTestUser(provider, { name: 'Ada Lovelace', orgName: 'Analytical Engines' });
  const rp = await relyingParty(provider, await registerTestClient(provider, { redirectUris: [redirectUri] }));
  const ua = new UserAgent();
  const authorization = await startAuthorization(rp);
  const passwordPage = await ua.get(authorization.url.href, redirectUri);
  t.is(passwordPage.status, 200);
  t.truthy(dom(passwordPage).querySelector('input[name=email]'));
  t.truthy(dom(passwordPage).querySelector('input[name=password][type=password]'));

  const setup = await ua.submit({ email: user.email, password: user.password });
  t.is(setup.status, 200);
  const page = dom(setup);
  t.truthy(page.querySelector('.qr svg'), 'a QR code rendered on the server');
  const link = page.querySelector('a.otpauth-link')?.getAttribute('href') ?? '';
  t.regex(link, /^otpauth:\/\/totp\//);
  const secret = secretFromSetupPage(setup);
  t.is(new URL(link).searchParams.get('secret'), secret);
  t.regex(secret, /^[A-Z2-7]{32}$/, '20 random bytes in base32');
  t.true(text(setup).includes(secret), 'the secret is on the page as one piece of text, ready to copy');
  for (const app of ['Google Authenticator', 'FreeOTP', 'Chrome', 'Firefox']) t.true(text(setup).includes(app), app);

  const codesPage = await ua.submit({ code: await totpCode(secret, provider.clock) }, { stopAt: redirectUri });
  const recoveryCodes = recoveryCodesOn(codesPage);
  t.is(recoveryCodes.length, 10, 'ten recovery codes are shown once, with the first second factor');
  t.is(new Set(recoveryCodes).size, 10);
  for (const code of recoveryCodes) t.regex(code, /^[A-Z2-9]{5}-[A-Z2-9]{5}$/);
  const done = await continueFrom(ua, codesPage, redirectUri);
  t.true(done.url.startsWith(redirectUri));
  const tokens = await finishAuthorization(rp, authorization, done.url);
  const claims = tokens.claims()!;
  t.is(claims.acr, 'mfa');
  t.deepEqual(claims.amr, ['pwd', 'otp']);
  t.is(claims.sub, user.id);
  t.is(claims.email, user.email);
  t.is(claims.name, 'Ada Lovelace');
  t.is(claims.org_name, 'Analytical Engines');

  const userinfo = await oidc.fetchUserInfo(rp.config, tokens.access_token, user.id);
  t.is(userinfo.email, user.email);
  t.is(userinfo.org_id, user.orgId);

  t.truthy(tokens.refresh_token, 'offline_access gives a refresh token');
  const refreshed = await oidc.refreshTokenGrant(rp.config, tokens.refresh_token!);
  t.truthy(refreshed.access_token);
  t.not(refreshed.access_token, tokens.access_token);
  t.is(refreshed.claims()?.acr, 'mfa');
});

test.serial('a second sign-in asks for the OTP of the authenticator set up the first time', async (t) => {
  const user = await createTestUser(provider);
  const rp = await relyingParty(provider, await registerTestClient(provider, { redirectUris: [redirectUri] }));
  const first = await signIn(provider, rp, user);
  const again = await signIn(provider, rp, { ...user, totpSecret: first.secret }, new UserAgent(), { prompt: 'login' });
  t.deepEqual(again.tokens.claims()?.amr, ['pwd', 'otp']);
});

test.serial('logout: RP-initiated logout ends the session, so the next authorization asks to sign in again', async (t) => {
  const user = await createTestUser(provider);
  const rp = await relyingParty(provider, await registerTestClient(provider, { redirectUris: [redirectUri], postLogoutRedirectUris: ['http://127.0.0.1:9/signed-out'] }));
  // Without offline_access the tokens live and die with the session.
  const { tokens, ua } = await signIn(provider, rp, user, undefined, { scope: 'openid email' });
  // While signed in, a new authorization goes straight back to the client.
  const sso = await ua.get((await startAuthorization(rp, { prompt: '' })).url.href, redirectUri);
  t.true(sso.url.startsWith(redirectUri), 'single sign-on while the session lives');

  const endSession = oidc.buildEndSessionUrl(rp.config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'http://127.0.0.1:9/signed-out' });
  const confirm = await ua.get(endSession.href, 'http://127.0.0.1:9/');
  t.is(confirm.status, 200);
  const out = await ua.submit({ logout: 'yes' }, { stopAt: 'http://127.0.0.1:9/', selector: 'form' });
  t.true(out.url.startsWith('http://127.0.0.1:9/signed-out'), out.url);

  const next = await ua.get((await startAuthorization(rp, { prompt: '' })).url.href, redirectUri);
  t.truthy(dom(next).querySelector('input[name=password]'), 'asked for the password again');
  await t.throwsAsync(oidc.fetchUserInfo(rp.config, tokens.access_token, user.id));
});
