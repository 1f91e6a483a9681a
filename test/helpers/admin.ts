// Using the first-party pages (the Update user screen at /admin, the account
// page at /account) as a person would: the page sends them to the provider,
// they give their password and a code from their authenticator (setting one
// up the first time), and come back; then they fill in and submit its forms.
import { dom, text, UserAgent, type Page } from './user-agent.ts';
import { continueFrom, freshStep, recoveryCodesOn, secretFromSetupPage } from './flows.ts';
import { totpCode, type TestProvider, type TestUser } from './server.ts';

export type PageUser = TestUser & { totpSecret?: string };

export type SignedInToPage = { ua: UserAgent; page: Page; secret: string; recoveryCodes: string[] };

/** Signs in through the page at `path` and returns the page it ends on, the authenticator secret and the recovery codes shown the first time. */
export async function signInToPage(provider: TestProvider, user: PageUser, path: string, ua = new UserAgent()): Promise<SignedInToPage> {
  const start = await ua.get(`${provider.issuer}${path}`);
  if (!dom(start).querySelector('form[action$="/password"]')) throw new Error(`expected the password page, got ${start.url} ${start.status}: ${text(start).slice(0, 500)}`);
  const second = await ua.submit({ email: user.email, password: user.password });
  const secret = user.totpSecret ?? secretFromSetupPage(second);
  await freshStep(provider, secret);
  const afterCode = await ua.submit({ code: await totpCode(secret, provider.clock) });
  // The first second factor is followed by the page of recovery codes and its "continue" link.
  const recoveryCodes = recoveryCodesOn(afterCode);
  const page = await continueFrom(ua, afterCode, 'http://stop.invalid/');
  return { ua, page, secret, recoveryCodes };
}

export function signInToAdmin(provider: TestProvider, user: PageUser, ua = new UserAgent(), path = '/admin'): Promise<SignedInToPage> {
  return signInToPage(provider, user, path, ua);
}

/**
 * Starts signing in at `path` and finishes the provider's interaction as a
 * provider with a password-only login would (acr pwd), since this provider
 * only ever logs in with acr=mfa. Returns the browser and the page the
 * callback answers with.
 */
export async function signInWithoutMfa(provider: TestProvider, userId: string, path: string): Promise<{ ua: UserAgent; page: Page }> {
  const ua = new UserAgent();
  const atInteraction = await ua.get(`${provider.issuer}${path}`, `${provider.issuer}/interaction/`);
  const uid = new URL(atInteraction.url).pathname.split('/')[2]!;
  const interaction = (await provider.app.services.provider.Interaction.find(uid))!;
  interaction.result = { login: { accountId: userId, acr: 'pwd', amr: ['pwd'] } };
  await interaction.save(interaction.exp - Math.floor(Date.now() / 1000));
  return { ua, page: await ua.get(interaction.returnTo) };
}

/** Submits the form `selector` of the last page, as a browser would after filling in `values`. */
export function submitForm(ua: UserAgent, selector: string, values: Record<string, string> = {}): Promise<Page> {
  return ua.submit(values, { selector });
}

/** The text of the error summary at the top of a page, or ''. */
export { errorSummary } from './user-agent.ts';

/** The text of the success notice at the top of a page, or ''. */
export function notice(page: Page): string {
  return dom(page).querySelector('.notice.success')?.textContent.replace(/\s+/g, ' ').trim() ?? '';
}
