// Using the account page at /account as a person would: sign in through the
// provider (signInToPage), and tell whether a browser is still signed in.
import { randomBytes } from 'node:crypto';
import { UserAgent, dom, readForm, text, type Page } from './user-agent.ts';
import { signInToPage, type PageUser, type SignedInToPage } from './admin.ts';
import type { TestProvider } from './server.ts';

export function signInToAccount(provider: TestProvider, user: PageUser, ua = new UserAgent(), path = '/account'): Promise<SignedInToPage> {
  return signInToPage(provider, user, path, ua);
}

/** Whether this browser has to sign in again to reach /account (the provider asks for the password). */
export async function mustSignInAgain(provider: TestProvider, ua: UserAgent): Promise<boolean> {
  const page = await ua.get(`${provider.issuer}/account`);
  if (new URL(page.url).pathname === '/account' && page.status === 200) return false;
  if (dom(page).querySelector('input[name=password]')) return true;
  throw new Error(`neither the account page nor the password page: ${page.url} ${page.status}: ${text(page).slice(0, 500)}`);
}

/** The CSRF token of the page's forms (the sign-out form in the top bar carries one on every page). */
export function csrfOf(page: Page): string {
  return readForm(page, 'form.account-sign-out').fields._csrf!;
}

/** A passkey row as the WebAuthn registration would store it; the ceremony itself is covered in Chromium. */
export async function insertPasskey(provider: TestProvider, userId: string, input: { name: string; synced?: boolean; createdAt?: Date }): Promise<string> {
  const id = randomBytes(16).toString('base64url');
  await provider.app.services.db('passkeys').insert({
    id,
    user_id: userId,
    name: input.name,
    public_key: randomBytes(77).toString('base64url'),
    counter: 0,
    transports: JSON.stringify(input.synced ? ['internal', 'hybrid'] : ['usb']),
    device_type: input.synced ? 'multiDevice' : 'singleDevice',
    backed_up: Boolean(input.synced),
    aaguid: null,
    created_at: input.createdAt ?? new Date(),
  });
  return id;
}

/** The first sign-in step with this password, in a fresh browser: 200 with the second step, or 400. */
export async function passwordStepFor(provider: TestProvider, email: string, password: string): Promise<Page> {
  const someone = new UserAgent();
  await someone.get(`${provider.issuer}/account`);
  return someone.submit({ email, password });
}
