// Signing in to the Update user screen at /admin as an administrator would:
// the screen sends them to the provider, they give their password and a code
// from their authenticator (setting one up the first time), and come back.
import { dom, text, UserAgent, type Page } from './user-agent.ts';
import { freshStep, secretFromSetupPage } from './flows.ts';
import { totpCode, type TestProvider, type TestUser } from './server.ts';

export type AdminUser = TestUser & { totpSecret?: string };

/** Signs in through /admin and returns the page it ends on, and the user's authenticator secret. */
export async function signInToAdmin(provider: TestProvider, user: AdminUser, ua = new UserAgent(), path = '/admin'): Promise<{ ua: UserAgent; page: Page; secret: string }> {
  const start = await ua.get(`${provider.issuer}${path}`);
  if (!dom(start).querySelector('form[action$="/password"]')) throw new Error(`expected the password page, got ${start.url} ${start.status}: ${text(start).slice(0, 500)}`);
  const second = await ua.submit({ email: user.email, password: user.password });
  const secret = user.totpSecret ?? secretFromSetupPage(second);
  await freshStep(provider, secret);
  const afterCode = await ua.submit({ code: await totpCode(secret, provider.clock) });
  // The first second factor is followed by the page of recovery codes and its "continue" link.
  const next = dom(afterCode).querySelector('a#continue')?.getAttribute('href');
  const page = next ? await ua.get(new URL(next, afterCode.url).href) : afterCode;
  return { ua, page, secret };
}

/**
 * Submits the form `selector` of the last page, as a browser would after
 * filling in `values`. A select sends its selected option (the user agent's
 * readForm knows only inputs).
 */
export function submitForm(ua: UserAgent, selector: string, values: Record<string, string> = {}): Promise<Page> {
  if (!ua.last) throw new Error('no page loaded');
  const form = dom(ua.last).querySelector(selector);
  if (!form) throw new Error(`no form "${selector}" on ${ua.last.url}: ${text(ua.last).slice(0, 800)}`);
  const selected: Record<string, string> = {};
  for (const select of form.querySelectorAll('select')) {
    const option = select.querySelector('option[selected]') ?? select.querySelector('option');
    selected[select.getAttribute('name') ?? ''] = option?.getAttribute('value') ?? '';
  }
  return ua.submit({ ...selected, ...values }, { selector });
}

/** The text of the error summary at the top of a page, or ''. */
export function errorSummary(page: Page): string {
  return dom(page).querySelector('.error-summary')?.textContent.replace(/\s+/g, ' ').trim() ?? '';
}

/** The text of the success notice at the top of a page, or ''. */
export function notice(page: Page): string {
  return dom(page).querySelector('.notice.success')?.textContent.replace(/\s+/g, ' ').trim() ?? '';
}
