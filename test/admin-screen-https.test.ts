// Behind a TLS proxy the public ISSUER may not be reachable from the server
// itself. Here ISSUER is https://idp.invalid, a name that resolves nowhere:
// the screen's discovery and token requests can only succeed by going to the
// provider's own listener, and the browser (a user agent that sends
// idp.invalid to the listener, as the proxy would) signs in end to end.
import test from 'ava';
import { createTestUser, startTestProvider, type TestProvider } from './helpers/server.ts';
import { UserAgent, text } from './helpers/user-agent.ts';
import { signInToAdmin } from './helpers/admin.ts';
import { ensureAdminClient } from '../src/seed.ts';

const issuer = 'https://idp.invalid';
let provider: TestProvider;

/** A browser whose requests for the issuer reach the test listener, as they would reach the proxy. */
class BehindProxy extends UserAgent {
  override request(url: string, init?: Parameters<UserAgent['request']>[1]) {
    return super.request(url.startsWith(issuer) ? `http://127.0.0.1:${provider.port}${url.slice(issuer.length)}` : url, init);
  }
}

test.before(async () => {
  provider = await startTestProvider({ env: { ISSUER: issuer } });
  await ensureAdminClient(provider.app.services);
});
test.after.always(async () => {
  await provider?.stop();
});

test('with an https ISSUER the screen reaches the provider through its own listener, and its cookies are Secure', async (t) => {
  const start = await new BehindProxy().request(`${issuer}/admin/sign-in`);
  t.is(start.status, 302);
  t.true(start.headers.get('location')?.startsWith(`${issuer}/auth?`), 'discovery worked without resolving idp.invalid');

  const admin = await createTestUser(provider, { role: 'org_admin', name: 'Pia Proxy', orgName: 'Proxy Org' });
  const testIssuer = { ...provider, issuer };
  const { ua, page } = await signInToAdmin(testIssuer, admin, new BehindProxy());
  t.is(page.url, `${issuer}/admin`, 'the code was redeemed through the loopback');
  t.is(page.status, 200);
  t.regex(text(page), /Pia Proxy/);
  const session = (await ua.request(`${issuer}/admin`)).headers.getSetCookie().find((line) => line.startsWith('govlink.admin='));
  t.regex(session ?? '', /;\s*secure/i);
});
