// Delivery through Postmark: the real postmark client against a local server
// that speaks Postmark's /email API. Mail survives outages and restarts, is
// never sent twice, and mail that can never be delivered is failed.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { openDatabase, type Database } from '../src/db/index.ts';
import { MailSender, interruptedDeliveryError } from '../src/mail/sender.ts';
import { createTransport, postmarkTransport } from '../src/mail/transports.ts';
import { findMail } from '../src/queries/mail-outbox.ts';
import type { TestProvider } from './helpers/server.ts';
import { capturingLogger, errorLevel, restartQuiet, startQuietProvider } from './helpers/mail-provider.ts';
import { startPostmarkStandIn, type PostmarkStandIn } from './helpers/postmark-stand-in.ts';

// One stand-in and one provider for the file; tests run one after the
// other, each starting with a stand-in that has seen nothing and ending with
// no mail due. The restart test has a provider of its own.
let standIn: PostmarkStandIn;
let provider: TestProvider;
const startProvider = (s: PostmarkStandIn) => startQuietProvider({ POSTMARK_SERVER_TOKEN: 'test-token', POSTMARK_API_URL: s.url, MAIL_FROM: 'no-reply@govlink.example' });
test.before(async () => {
  standIn = await startPostmarkStandIn({ token: 'test-token' });
  provider = await startProvider(standIn);
});
test.beforeEach(() => {
  standIn.reset();
});
test.afterEach.always(async () => {
  standIn.reset();
  await provider.app.services.mailSender.drain();
});
test.after.always(async () => {
  await provider?.stop();
  await standIn?.close();
});

async function enqueueNotices(count: number, p: TestProvider = provider): Promise<{ id: string; to: string; userId: string }[]> {
  const { db, mailer, clock } = p.app.services;
  const mails = [];
  for (let index = 0; index < count; index += 1) {
    const to = `person${index}.${randomUUID().slice(0, 8)}@example.gov`;
    const userId = randomUUID();
    const { id } = await db.transaction((trx) => mailer.enqueue(trx, { to, template: 'password_changed', data: { name: `Person ${index}`, at: clock.now() }, userId }));
    mails.push({ id, to, userId });
  }
  return mails;
}

const recipientsSeen = (s: PostmarkStandIn) => s.requests.map((r) => r.body.To).sort();

test.serial('Postmark receives one request per message with the server token and the message; the mail is recorded as sent', async (t) => {
  const { db, mailer, mailSender, clock } = provider.app.services;
  const link = `${provider.issuer}/link/${randomUUID()}`;
  const { id } = await db.transaction((trx) =>
    mailer.enqueue(trx, { to: 'pat@example.gov', template: 'password_reset', data: { name: 'Pat', link, expiresAt: new Date(clock.now().getTime() + 12 * 3600_000) }, userId: randomUUID() }),
  );
  const [notice] = await enqueueNotices(1);

  t.is(await mailSender.drain(), 2);
  t.is(standIn.requests.length, 2, 'exactly one request per message');
  const [reset, second] = standIn.requests;
  t.is(reset!.token, 'test-token');
  t.is(reset!.body.From, 'no-reply@govlink.example');
  t.is(reset!.body.To, 'pat@example.gov');
  t.is(reset!.body.Subject, 'Your Govlink password has been reset');
  t.is(reset!.body.MessageStream, 'outbound');
  t.true(reset!.body.TextBody.includes(link));
  t.true(reset!.body.HtmlBody.includes(`href="${link}"`));
  t.is(reset!.body.TrackLinks, 'None', 'single-use links are not rewritten by link tracking');
  t.is(second!.body.To, notice!.to);

  const stored = await findMail(db, id);
  t.is(stored?.status, 'sent');
  t.is(stored?.providerMessageId, reset!.messageId);
  t.is(stored?.attempts, 1);
  t.truthy(stored?.sentAt);
  t.is((await findMail(db, notice!.id))?.providerMessageId, second!.messageId);

  t.is(await mailSender.drain(), 0);
  t.is(standIn.requests.length, 2, 'sent mail is not sent again');
});

test.serial('while Postmark is down mail waits with backoff, survives a restart, and is delivered exactly once when Postmark is back', async (t) => {
  const standIn = await startPostmarkStandIn({ token: 'test-token' });
  let provider = await startProvider(standIn);
  t.teardown(async () => {
    await provider.stop();
    await standIn.close();
  });
  standIn.mode = 'unavailable';
  const mails = await enqueueNotices(3, provider);

  t.is(await provider.app.services.mailSender.drain(), 0);
  t.is(standIn.requests.length, 3, 'each mail was tried once');
  const triedAt = provider.clock.now().getTime();
  for (const mail of mails) {
    const stored = (await findMail(provider.app.services.db, mail.id))!;
    t.is(stored.status, 'pending');
    t.is(stored.attempts, 1);
    t.regex(stored.lastError ?? '', /503/);
    const wait = stored.nextAttemptAt.getTime() - triedAt;
    t.true(wait >= 4_000 && wait <= 6_000, `the first retry waits about 5 s, not ${wait} ms`);
  }
  t.is(await provider.app.services.mailSender.drain(), 0);
  t.is(standIn.requests.length, 3, 'nothing is tried again before its time');

  // A second failure waits longer.
  provider.clock.advance(6);
  t.is(await provider.app.services.mailSender.drain(), 0);
  t.is(standIn.requests.length, 6);
  const second = (await findMail(provider.app.services.db, mails[0]!.id))!;
  t.is(second.attempts, 2);
  t.true(second.nextAttemptAt.getTime() - provider.clock.now().getTime() >= 14_000, 'the second retry waits about 15 s');

  provider = await restartQuiet(provider);
  standIn.mode = 'ok';
  t.is(await provider.app.services.mailSender.drain(), 0, 'the backoff survives the restart');
  t.is(standIn.accepted().length, 0);

  provider.clock.advance(16);
  t.is(await provider.app.services.mailSender.drain(), 3);
  t.deepEqual(
    standIn.accepted().map((r) => r.body.To).sort(),
    mails.map((m) => m.to).sort(),
    'each mail delivered exactly once',
  );
  for (const mail of mails) {
    const stored = (await findMail(provider.app.services.db, mail.id))!;
    t.is(stored.status, 'sent');
    t.is(stored.attempts, 3);
    t.is(stored.providerMessageId, standIn.accepted().find((r) => r.body.To === mail.to)!.messageId);
  }
  provider.clock.advance(3600);
  t.is(await provider.app.services.mailSender.drain(), 0);
  t.is(standIn.accepted().length, 3);
});

for (const [mode, code] of [
  ['invalid_email', 300],
  ['inactive_recipient', 406],
] as const) {
  test.serial(`a permanent Postmark error (422, ErrorCode ${code}) fails the mail after one attempt, logged as an error, and it is not retried`, async (t) => {
    standIn.mode = mode;
    const { db, config } = provider.app.services;
    const { clock } = provider;
    const { logger, lines } = capturingLogger();
    const sender = new MailSender({ db, clock, logger, transport: createTransport(config.mail, clock) });
    const [mail] = await enqueueNotices(1);

    t.is(await sender.drain(), 0);
    const stored = (await findMail(db, mail!.id))!;
    t.is(stored.status, 'failed');
    t.is(stored.attempts, 1);
    t.regex(stored.lastError ?? '', new RegExp(`422.*ErrorCode ${code}`));
    const logged = lines.find((line) => line.mailId === mail!.id && line.level === errorLevel);
    t.truthy(logged, 'the failure is logged at error level');
    t.is(logged?.template, 'password_changed');
    t.is(logged?.userId, mail!.userId);

    standIn.mode = 'ok';
    clock.advance(24 * 3600);
    t.is(await sender.drain(), 0);
    t.is(standIn.requests.length, 1, 'tried once, never again');
    t.is((await findMail(db, mail!.id))?.status, 'failed');
  });
}

test.serial('a rejected server token keeps mail waiting, logged as an error, and it flows once the token is right', async (t) => {
  const { db } = provider.app.services;
  const { clock } = provider;
  const { logger, lines } = capturingLogger();
  const wrongToken = new MailSender({ db, clock, logger, transport: postmarkTransport({ serverToken: 'revoked-token', apiUrl: standIn.url }) });
  const [mail] = await enqueueNotices(1);

  t.is(await wrongToken.drain(), 0);
  const stored = (await findMail(db, mail!.id))!;
  t.is(stored.status, 'pending');
  t.regex(stored.lastError ?? '', /401/);
  t.truthy(lines.find((line) => line.mailId === mail!.id && line.level === errorLevel));

  clock.advance(6);
  t.is(await provider.app.services.mailSender.drain(), 1);
  t.deepEqual(standIn.accepted().map((r) => r.body.To), [mail!.to]);
});

test.serial('an unreachable Postmark (connection refused) keeps mail waiting for another attempt', async (t) => {
  const { db, logger } = provider.app.services;
  const { clock } = provider;
  const closed = await startPostmarkStandIn();
  await closed.close();
  const unreachable = new MailSender({ db, clock, logger, transport: postmarkTransport({ serverToken: 'test-token', apiUrl: closed.url }) });
  const [mail] = await enqueueNotices(1);

  t.is(await unreachable.drain(), 0);
  const stored = (await findMail(db, mail!.id))!;
  t.is(stored.status, 'pending');
  t.is(stored.attempts, 1);
  t.truthy(stored.lastError);

  clock.advance(6);
  t.is(await provider.app.services.mailSender.drain(), 1);
  t.deepEqual(standIn.accepted().map((r) => r.body.To), [mail!.to]);
});

test.serial('a mail left sending with an expired lease is failed as interrupted and never sent; a live lease is left alone', async (t) => {
  const { db, mailSender } = provider.app.services;
  const { clock } = provider;
  const [interrupted, inFlight] = await enqueueNotices(2);
  // A process died while sending the first; another is sending the second right now.
  await db('mail_outbox')
    .where({ id: interrupted!.id })
    .update({ status: 'sending', attempts: 1, lease_until: new Date(clock.now().getTime() - 1000) });
  await db('mail_outbox')
    .where({ id: inFlight!.id })
    .update({ status: 'sending', attempts: 1, lease_until: new Date(clock.now().getTime() + 30_000) });

  t.is(await mailSender.drain(), 0);
  const failed = (await findMail(db, interrupted!.id))!;
  t.is(failed.status, 'failed');
  t.is(failed.lastError, interruptedDeliveryError);
  t.regex(failed.lastError ?? '', /not retried to avoid a duplicate/);
  t.is((await findMail(db, inFlight!.id))?.status, 'sending');
  t.is(standIn.requests.length, 0);

  clock.advance(3600);
  t.is(await mailSender.drain(), 0);
  t.is((await findMail(db, inFlight!.id))?.status, 'failed', 'once its lease runs out it is failed too');
  t.is((await findMail(db, interrupted!.id))?.status, 'failed');
  t.is(standIn.requests.length, 0, 'neither was ever sent');
});

test.serial('stopping the sender lets the delivery in flight finish and claims nothing more', async (t) => {
  const { db, mailSender } = provider.app.services;
  const [first, second] = await enqueueNotices(2);
  standIn.delayMs = 300;

  const draining = mailSender.drain();
  while ((await findMail(db, first!.id))?.status !== 'sending') await new Promise((resolve) => setTimeout(resolve, 10));
  await mailSender.stop();
  t.is((await findMail(db, first!.id))?.status, 'sent', 'stop() waited for the delivery in flight');
  t.is((await findMail(db, second!.id))?.status, 'pending', 'and nothing more was claimed');
  t.is((await findMail(db, second!.id))?.attempts, 0);
  t.is(await draining, 1);
  t.deepEqual(standIn.accepted().map((r) => r.body.To), [first!.to]);
});

test.serial('two senders draining one database at once deliver each mail exactly once', async (t) => {
  const { db, clock, config, mailSender } = provider.app.services;
  const mails = await enqueueNotices(30);
  standIn.delayMs = 5;
  // On Postgres the second sender is another process in all but name: its own connection pool.
  let other: Database | undefined;
  if (provider.databaseUrl) other = await openDatabase({ databaseUrl: provider.databaseUrl, dataDir: provider.dataDir });
  try {
    const secondSender = new MailSender({ db: other?.knex ?? db, clock, logger: provider.app.services.logger, transport: createTransport(config.mail, clock) });
    const [a, b] = await Promise.all([mailSender.drain(), secondSender.drain()]);
    t.is(a + b, 30);
    t.true(a > 0 && b > 0, `both senders delivered (${a} and ${b})`);
  } finally {
    await other?.close();
  }
  t.is(standIn.requests.length, 30, 'one request per mail');
  t.deepEqual(recipientsSeen(standIn), mails.map((m) => m.to).sort());
  for (const mail of mails) t.is((await findMail(db, mail.id))?.status, 'sent');
});
