// Enqueueing an email: render it now, store it in the outbox in the caller's
// transaction. The mail exists if and only if the change that caused it
// commits; the sender delivers it afterwards.
import type { Clock } from '../clock.ts';
import type { Db } from '../db/index.ts';
import { insertMail } from '../queries/mail-outbox.ts';
import { renderMail } from './render.ts';
import type { MailTemplate } from './templates.ts';

export type MailRequest = {
  to: string;
  template: MailTemplate;
  data: Record<string, unknown>;
  userId?: string | null;
  actionLinkId?: string | null;
  language?: string;
};

export class Mailer {
  private readonly issuer: string;
  private readonly from: string;
  private readonly clock: Clock;

  constructor(deps: { issuer: string; from: string; clock: Clock }) {
    this.issuer = deps.issuer;
    this.from = deps.from;
    this.clock = deps.clock;
  }

  /** Renders the mail and inserts it as pending through `db`, usually the caller's transaction handle. */
  async enqueue(db: Db, mail: MailRequest): Promise<{ id: string }> {
    const now = this.clock.now();
    const rendered = renderMail({ issuer: this.issuer, template: mail.template, data: mail.data, language: mail.language, now });
    return insertMail(
      db,
      { to: mail.to, from: this.from, ...rendered, template: mail.template, userId: mail.userId ?? null, actionLinkId: mail.actionLinkId ?? null },
      now,
    );
  }
}
