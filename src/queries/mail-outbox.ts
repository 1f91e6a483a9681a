// The mail outbox: one row per email, written in the transaction that caused
// it and delivered afterwards by the sender.
import type { Db } from '../db/index.ts';

export const mailStatuses = ['pending', 'sending', 'sent', 'failed'] as const;
export type MailStatus = (typeof mailStatuses)[number];

export type NewMail = {
  to: string;
  from: string;
  subject: string;
  text: string;
  html: string;
  template: string;
  userId: string | null;
  actionLinkId: string | null;
};

export type OutboxMail = NewMail & {
  id: string;
  status: MailStatus;
  attempts: number;
  nextAttemptAt: Date;
  leaseUntil: Date | null;
  lastError: string | null;
  providerMessageId: string | null;
  createdAt: Date;
  sentAt: Date | null;
};

/** What an administrator may see of a mail: never its body, which carries the link. */
export type MailSummary = Pick<OutboxMail, 'id' | 'template' | 'to' | 'status' | 'attempts' | 'lastError' | 'createdAt' | 'sentAt'>;

type MailRow = {
  id: string | number | bigint;
  to: string;
  from: string;
  subject: string;
  text: string;
  html: string;
  template: string;
  user_id: string | null;
  action_link_id: string | null;
  status: MailStatus;
  attempts: number;
  next_attempt_at: Date;
  lease_until: Date | null;
  last_error: string | null;
  provider_message_id: string | null;
  created_at: Date;
  sent_at: Date | null;
};

const toMail = (row: MailRow): OutboxMail => ({
  id: String(row.id),
  to: row.to,
  from: row.from,
  subject: row.subject,
  text: row.text,
  html: row.html,
  template: row.template,
  userId: row.user_id,
  actionLinkId: row.action_link_id,
  status: row.status,
  attempts: Number(row.attempts),
  nextAttemptAt: row.next_attempt_at,
  leaseUntil: row.lease_until,
  lastError: row.last_error,
  providerMessageId: row.provider_message_id,
  createdAt: row.created_at,
  sentAt: row.sent_at,
});

const summaryColumns = ['id', 'template', 'to', 'status', 'attempts', 'last_error', 'created_at', 'sent_at'];

const toSummary = (row: Pick<MailRow, 'id' | 'template' | 'to' | 'status' | 'attempts' | 'last_error' | 'created_at' | 'sent_at'>): MailSummary => ({
  id: String(row.id),
  template: row.template,
  to: row.to,
  status: row.status,
  attempts: Number(row.attempts),
  lastError: row.last_error,
  createdAt: row.created_at,
  sentAt: row.sent_at,
});

export async function insertMail(db: Db, mail: NewMail, now: Date): Promise<{ id: string }> {
  const [row] = await db('mail_outbox')
    .insert({
      to: mail.to,
      from: mail.from,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      template: mail.template,
      user_id: mail.userId,
      action_link_id: mail.actionLinkId,
      status: 'pending',
      attempts: 0,
      next_attempt_at: now,
      created_at: now,
    })
    .returning('id');
  return { id: String((row as { id: string | number }).id) };
}

/**
 * Claims the oldest due mail for one delivery attempt, in one statement:
 * `for update skip locked` lets senders in several processes claim side by
 * side without ever taking the same row, and the lease records that a
 * delivery is under way.
 */
export async function claimDueMail(db: Db, now: Date, leaseUntil: Date): Promise<OutboxMail | undefined> {
  const result = await db.raw(
    `update mail_outbox set status = 'sending', lease_until = :leaseUntil, attempts = attempts + 1
     where status = 'pending' and id = (
       select id from mail_outbox
       where status = 'pending' and next_attempt_at <= :now
       order by id limit 1
       for update skip locked)
     returning *`,
    { now, leaseUntil },
  );
  const row = (result.rows as MailRow[])[0];
  return row ? toMail(row) : undefined;
}

// The updates below conclude one delivery attempt, named by its number, and
// touch nothing else. A mail that was sent is recorded as sent even if its
// lease ran out meanwhile: that is the truth.

export async function markMailSent(db: Db, id: string, attempt: number, providerMessageId: string | null, sentAt: Date): Promise<void> {
  await db('mail_outbox')
    .where({ id, attempts: attempt })
    .update({ status: 'sent', provider_message_id: providerMessageId, sent_at: sentAt, lease_until: null, last_error: null });
}

export async function rescheduleMail(db: Db, id: string, attempt: number, nextAttemptAt: Date, error: string): Promise<void> {
  await db('mail_outbox')
    .where({ id, attempts: attempt, status: 'sending' })
    .update({ status: 'pending', next_attempt_at: nextAttemptAt, lease_until: null, last_error: error });
}

export async function markMailFailed(db: Db, id: string, attempt: number, error: string): Promise<void> {
  await db('mail_outbox').where({ id, attempts: attempt, status: 'sending' }).update({ status: 'failed', lease_until: null, last_error: error });
}

/**
 * Fails every mail whose delivery lease ran out: the process sending it died
 * mid-send, and whether the provider accepted it cannot be known.
 */
export async function failInterruptedMail(db: Db, now: Date, error: string): Promise<OutboxMail[]> {
  const rows = await db('mail_outbox')
    .where({ status: 'sending' })
    .andWhere('lease_until', '<', now)
    .update({ status: 'failed', lease_until: null, last_error: error })
    .returning('*');
  return (rows as MailRow[]).map(toMail);
}

export async function findMail(db: Db, id: string): Promise<OutboxMail | undefined> {
  const row = await db('mail_outbox').where({ id }).first();
  return row ? toMail(row) : undefined;
}

/** A user's mail, newest first, for the admin screen. */
export async function listMailForUser(db: Db, userId: string, limit = 20): Promise<MailSummary[]> {
  const rows = await db('mail_outbox').select(summaryColumns).where({ user_id: userId }).orderBy('id', 'desc').limit(limit);
  return rows.map(toSummary);
}

/** The state of the newest mail that carried an action link, or undefined if none did. */
export type LinkMail = { id: string; status: MailStatus; lastError: string | null; sentAt: Date | null };

/** The newest mail of each of these action links, in one query. */
export async function latestMailForActionLinks(db: Db, actionLinkIds: string[]): Promise<Map<string, LinkMail>> {
  if (!actionLinkIds.length) return new Map();
  const rows = await db('mail_outbox')
    .distinctOn('action_link_id')
    .select('action_link_id', 'id', 'status', 'last_error', 'sent_at')
    .whereIn('action_link_id', actionLinkIds)
    .orderBy([{ column: 'action_link_id' }, { column: 'id', order: 'desc' }]);
  return new Map(rows.map((row) => [row.action_link_id as string, { id: String(row.id), status: row.status, lastError: row.last_error, sentAt: row.sent_at }]));
}

export async function latestMailForActionLink(db: Db, actionLinkId: string): Promise<LinkMail | undefined> {
  return (await latestMailForActionLinks(db, [actionLinkId])).get(actionLinkId);
}

/** Mail that will not be delivered, newest first: for some users, an organisation's users, or since a time. */
export async function listFailedMail(db: Db, filter: { userIds?: string[]; orgId?: string; since?: Date; limit?: number } = {}): Promise<(MailSummary & { userId: string | null })[]> {
  const query = db('mail_outbox')
    .select([...summaryColumns, 'user_id'])
    .where({ status: 'failed' })
    .orderBy('id', 'desc')
    .limit(filter.limit ?? 100);
  if (filter.userIds) query.whereIn('user_id', filter.userIds);
  if (filter.orgId) query.whereIn('user_id', db('users').select('id').where({ org_id: filter.orgId }));
  if (filter.since) query.where('created_at', '>=', filter.since);
  const rows = await query;
  return rows.map((row) => ({ ...toSummary(row), userId: row.user_id }));
}
