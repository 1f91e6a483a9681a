// The outbox: mail is written with the change that causes it, rendered from
// its template in a text and an HTML part, and delivered to one JSON file per
// message when MAIL_TRANSPORT is `outbox`.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { renderMail } from '../src/mail/render.ts';
import { mailTemplates, type MailTemplate } from '../src/mail/templates.ts';
import { findMail, latestMailForActionLink, listFailedMail, listMailForUser } from '../src/queries/mail-outbox.ts';
import type { TestProvider } from './helpers/server.ts';
import { startQuietProvider } from './helpers/mail-provider.ts';

let provider: TestProvider;
test.before(async () => {
  provider = await startQuietProvider({ MAIL_FROM: 'Govlink <no-reply@govlink.example>' });
});
test.after.always(async () => {
  await provider?.stop();
});

const escapeHtml = (value: string) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const link = (issuer: string) => `${issuer}/link/${randomUUID()}?step=1&lang=en`;

test.serial('a mail enqueued in a transaction that rolls back does not exist; one that commits is pending', async (t) => {
  const { db, mailer, clock } = provider.app.services;
  const userId = randomUUID();
  const mail = { to: 'rollback@example.gov', template: 'password_changed' as const, data: { name: 'Rita', at: clock.now() }, userId };

  await t.throwsAsync(
    db.transaction(async (trx) => {
      await mailer.enqueue(trx, mail);
      throw new Error('the change was refused');
    }),
    { message: 'the change was refused' },
  );
  t.deepEqual(await listMailForUser(db, userId, 10), []);

  const { id } = await db.transaction((trx) => mailer.enqueue(trx, mail));
  const stored = await findMail(db, id);
  t.is(stored?.status, 'pending');
  t.is(stored?.to, 'rollback@example.gov');
  t.is(stored?.from, 'Govlink <no-reply@govlink.example>');
  t.is(stored?.template, 'password_changed');
  t.is(stored?.attempts, 0);
  t.deepEqual((await listMailForUser(db, userId, 10)).map((m) => m.id), [id]);
});

test.serial('data a template does not take, or a link outside the issuer, is refused and rolls the change back', async (t) => {
  const { db, mailer, clock } = provider.app.services;
  const userId = randomUUID();
  const expiresAt = new Date(clock.now().getTime() + 3600_000);
  await t.throwsAsync(
    db.transaction((trx) => mailer.enqueue(trx, { to: 'a@example.gov', template: 'password_reset', data: { name: 'A', link: link(provider.issuer), expiresAt, password: 'hunter2hunter2' }, userId })),
    { message: /password/ },
  );
  await t.throwsAsync(
    db.transaction((trx) => mailer.enqueue(trx, { to: 'a@example.gov', template: 'password_reset', data: { name: 'A', link: 'https://evil.example/link/x', expiresAt }, userId })),
    { message: /under/ },
  );
  await t.throwsAsync(db.transaction((trx) => mailer.enqueue(trx, { to: 'a@example.gov', template: 'otp_reset', data: { name: 'A', link: link(provider.issuer) }, userId })), {
    message: /expiresAt/,
  });
  t.deepEqual(await listMailForUser(db, userId, 10), []);
});

test.serial('the outbox transport writes one JSON file per message, with the link under the issuer in both parts', async (t) => {
  const { db, mailer, mailSender, clock, config } = provider.app.services;
  const userId = randomUUID();
  await mailSender.drain(); // what earlier tests left
  const before = new Set(readdirSync(config.mail.outboxDir));
  const links = [link(provider.issuer), link(provider.issuer)];
  const ids: string[] = [];
  for (const [index, url] of links.entries()) {
    const data = { name: `Olive ${index}`, link: url, expiresAt: new Date(clock.now().getTime() + 12 * 3600_000) };
    ids.push((await db.transaction((trx) => mailer.enqueue(trx, { to: `olive${index}@example.gov`, template: 'password_reset', data, userId }))).id);
  }
  t.is(await mailSender.drain(), 2);

  const files = readdirSync(config.mail.outboxDir)
    .filter((name) => !before.has(name))
    .sort();
  t.is(files.length, 2, 'one file per message and no temporary files left');
  t.true(files.every((name) => name.endsWith('.json') && !name.startsWith('.')));
  for (const [index, file] of files.entries()) {
    const message = JSON.parse(readFileSync(path.join(config.mail.outboxDir, file), 'utf8')) as Record<string, string>;
    t.is(message.id, ids[index], 'file names sort in the order the mail was sent');
    t.is(message.to, `olive${index}@example.gov`);
    t.is(message.from, 'Govlink <no-reply@govlink.example>');
    t.is(message.subject, 'Your Govlink password has been reset');
    t.true(message.text!.includes(links[index]!), 'the link in the text part');
    t.true(message.html!.includes(`href="${escapeHtml(links[index]!)}"`), 'the link in the HTML part');
    t.true(links[index]!.startsWith(`${provider.issuer}/`));
    const stored = await findMail(db, ids[index]!);
    t.is(stored?.status, 'sent');
    t.is(stored?.providerMessageId, file);
  }
  t.is(await mailSender.drain(), 0, 'nothing is written twice');
  t.is(readdirSync(config.mail.outboxDir).length, before.size + 2);
});

const now = new Date('2026-12-04T10:00:00Z');
const expiresAt = new Date('2026-12-04T22:00:00Z');
const at = new Date('2026-12-04T09:15:00Z');
const issuer = 'https://id.govlink.example';
const sampleLink = `${issuer}/link/Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5?x=1&y=2`;

const samples: Record<MailTemplate, { data: Record<string, unknown>; mentions: string[] }> = {
  invitation: {
    data: { name: 'Ivy <Invitee>', orgName: 'Parks & Gardens', inviterName: 'Olive Admin', link: sampleLink, expiresAt },
    mentions: ['Ivy <Invitee>', 'Parks & Gardens', 'Olive Admin', 'invited you to Govlink', 'choose a password', 'authenticator', 'in 12 hours', 'December 4, 2026 at 22:00 UTC'],
  },
  password_reset: {
    data: { name: 'Pat', link: sampleLink, expiresAt },
    mentions: ['Pat', 'administrator has reset your Govlink password', 'works once', 'in 12 hours', 'December 4, 2026 at 22:00 UTC', 'did not expect this, tell your organisation administrator'],
  },
  otp_reset: {
    data: { name: 'Otto', link: sampleLink, expiresAt },
    mentions: ['Otto', 'reset your one-time code', 'cannot sign in until you set up a new authenticator', 'asks for your password', 'in 12 hours', 'December 4, 2026 at 22:00 UTC'],
  },
  password_changed: { data: { name: 'Pam', at }, mentions: ['Pam', 'password of your Govlink account was changed', 'December 4, 2026 at 09:15 UTC'] },
  otp_removed: { data: { name: 'Oz', at }, mentions: ['Oz', 'administrator removed the authenticator', 'December 4, 2026 at 09:15 UTC'] },
  authenticator_added: { data: { name: 'Ada', at, kind: 'passkey' }, mentions: ['Ada', 'passkey was added', 'December 4, 2026 at 09:15 UTC'] },
  account_disabled: { data: { name: 'Dan', at }, mentions: ['Dan', 'disabled your Govlink account', 'December 4, 2026 at 09:15 UTC'] },
  account_enabled: { data: { name: 'Ena', at }, mentions: ['Ena', 'enabled your Govlink account', 'December 4, 2026 at 09:15 UTC'] },
  recovery_code_used: { data: { name: 'Rex', at, remaining: 7 }, mentions: ['Rex', 'recovery code was used', '7 unused recovery codes left', 'December 4, 2026 at 09:15 UTC'] },
  security_change: { data: { name: 'Sam', at, change: 'signed_out_everywhere' }, mentions: ['Sam', 'signed out everywhere', 'December 4, 2026 at 09:15 UTC'] },
};

test('every template renders its data in both parts, links and expiry included, with nothing left unrendered', (t) => {
  t.deepEqual(Object.keys(samples).sort(), [...mailTemplates].sort(), 'every template has a sample');
  for (const template of mailTemplates) {
    const { data, mentions } = samples[template];
    const mail = renderMail({ issuer, template, data, now });
    t.truthy(mail.subject, `${template}: subject`);
    t.false(/[\r\n]/.test(mail.subject), `${template}: the subject is one line`);
    for (const [part, body] of [
      ['text', mail.text],
      ['html', mail.html],
    ] as const) {
      for (const leftover of ['{{', '}}', '{%', 'undefined', '[object', 'NaN', 'Invalid Date']) {
        t.false(body.includes(leftover), `${template} ${part}: contains ${leftover}`);
      }
      t.notRegex(body, /\{\w+\}|\bmail\.\w+\.\w+/, `${template} ${part}: a translation placeholder or key left over`);
      for (const mention of mentions) {
        t.true(body.includes(part === 'html' ? escapeHtml(mention) : mention), `${template} ${part}: mentions "${mention}"`);
      }
      if ('link' in data) t.true(body.includes(part === 'html' ? `href="${escapeHtml(sampleLink)}"` : sampleLink), `${template} ${part}: carries the link`);
      else t.false(body.includes(issuer), `${template} ${part}: a notice carries no link`);
    }
    t.false(mail.html.includes('<Invitee>'), `${template}: user data is escaped in HTML`);
    t.regex(mail.html, /^<!doctype html>/);
  }
});

test('an authenticator notice names the kind of authenticator; a missing name or inviter reads naturally', (t) => {
  const totp = renderMail({ issuer, template: 'authenticator_added', data: { name: '', at, kind: 'totp' }, now });
  t.regex(totp.text, /^Hello,\n/);
  t.regex(totp.text, /authenticator app for one-time codes was set up/);
  const invitation = renderMail({ issuer, template: 'invitation', data: { name: '', orgName: '', inviterName: null, link: sampleLink, expiresAt }, now });
  t.regex(invitation.text, /You have been invited to Govlink\./);
  t.notRegex(invitation.text, /organisation \./);
});

test.serial('admins see a user’s mail, a link’s mail and failed mail, without the bodies', async (t) => {
  const { db, mailer, clock } = provider.app.services;
  const userId = randomUUID();
  const actionLinkId = randomUUID();
  const data = { name: 'Fay', link: link(provider.issuer), expiresAt: new Date(clock.now().getTime() + 3600_000) };
  const first = await mailer.enqueue(db, { to: 'fay@example.gov', template: 'otp_reset', data, userId, actionLinkId });
  const second = await mailer.enqueue(db, { to: 'fay@example.gov', template: 'otp_reset', data, userId, actionLinkId });
  await db('mail_outbox').where({ id: second.id }).update({ status: 'failed', attempts: 1, last_error: 'Postmark HTTP 422 ErrorCode 406: inactive' });

  const listed = await listMailForUser(db, userId, 10);
  t.deepEqual(
    listed.map((m) => [m.id, m.template, m.to, m.status, m.attempts, m.lastError]),
    [
      [second.id, 'otp_reset', 'fay@example.gov', 'failed', 1, 'Postmark HTTP 422 ErrorCode 406: inactive'],
      [first.id, 'otp_reset', 'fay@example.gov', 'pending', 0, null],
    ],
  );
  t.true(listed.every((m) => !('text' in m) && !('html' in m)), 'no body, which carries the link');
  t.true(listed[0]!.createdAt instanceof Date);
  t.is((await listMailForUser(db, userId, 1)).length, 1);

  t.is((await latestMailForActionLink(db, actionLinkId))?.status, 'failed');
  t.is(await latestMailForActionLink(db, randomUUID()), undefined);

  t.deepEqual((await listFailedMail(db, { userIds: [userId] })).map((m) => [m.id, m.userId]), [[second.id, userId]]);
  t.deepEqual(await listFailedMail(db, { userIds: [randomUUID()] }), []);
  t.true((await listFailedMail(db, { since: new Date(clock.now().getTime() - 60_000) })).some((m) => m.id === second.id));
  t.deepEqual(await listFailedMail(db, { since: new Date(clock.now().getTime() + 60_000) }), []);
});
