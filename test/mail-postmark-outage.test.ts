// The administrator's view of a Postmark outage: resets still answer 202,
// the mail waits, and once Postmark is back every mail arrives, once, even
// with a restart of the provider in between.
import test from 'ava';
import { createTestUser, type TestProvider } from './helpers/server.ts';
import { restartQuiet, startQuietProvider } from './helpers/mail-provider.ts';
import { startPostmarkStandIn, type PostmarkStandIn } from './helpers/postmark-stand-in.ts';
import { apiAs, serviceToken } from './helpers/admin-api.ts';

let standIn: PostmarkStandIn;
let provider: TestProvider;
test.before(async () => {
  standIn = await startPostmarkStandIn({ token: 'outage-token' });
  provider = await startQuietProvider({ POSTMARK_SERVER_TOKEN: 'outage-token', POSTMARK_API_URL: standIn.url });
});
test.after.always(async () => {
  await provider?.stop();
  await standIn?.close();
});

test('while Postmark is down resets answer 202; after a restart and Postmark\'s return every mail arrives once', async (t) => {
  const org = (await createTestUser(provider, { role: 'org_admin' })).orgId;
  const users = await Promise.all([0, 1, 2].map(() => createTestUser(provider, { orgId: org })));
  const { token } = await serviceToken(provider, { adminRole: 'org_admin', orgId: org });
  const api = apiAs(provider, token);

  standIn.mode = 'unavailable';
  for (const user of users) {
    t.is((await api.post(`/users/${user.id}/reset-password`)).status, 202);
    t.is((await api.post(`/users/${user.id}/reset-otp`)).status, 202);
  }
  const { mailSender, db } = provider.app.services;
  t.is(await mailSender.drain(), 0, 'nothing could be delivered');
  t.true(standIn.requests.length >= 1, 'delivery was attempted');
  t.is(standIn.accepted().length, 0);
  const pending = await db('mail_outbox').whereIn('to', users.map((u) => u.email)).where({ status: 'pending' });
  t.is(pending.length, 6, 'every mail waits');

  const links = await apiAs(provider, token).get(`/users/${users[0]!.id}/links`);
  t.true((links.body.items as { mail: { status: string } | null }[]).every((link) => link.mail?.status === 'pending'), 'the administrator sees the mail waiting');

  provider = await restartQuiet(provider);
  standIn.mode = 'ok';
  provider.clock.advance(30 * 60);
  await provider.app.services.mailSender.drain();
  const delivered = standIn.accepted().map((r) => `${r.body.To} ${r.body.Subject}`);
  t.is(delivered.length, 6);
  t.is(new Set(delivered).size, 6, 'no mail was sent twice');
  for (const user of users) t.is(delivered.filter((d) => d.startsWith(user.email)).length, 2);
  t.is((await provider.app.services.db('mail_outbox').whereIn('to', users.map((u) => u.email)).where({ status: 'sent' })).length, 6);
});
