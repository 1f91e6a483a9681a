// Delivers the outbox. Every process runs one sender; each claims one due
// mail at a time under a lease, so senders sharing a database never take the
// same mail. The rule that shapes everything here: a mail is never sent twice
// on our own initiative. A delivery that was interrupted (the lease ran out
// while the mail was still `sending`) may have reached the provider, so it is
// failed for a person to look at, never retried.
import type { Clock } from '../clock.ts';
import type { Db } from '../db/index.ts';
import type { Logger } from '../logger.ts';
import { claimDueMail, failInterruptedMail, markMailFailed, markMailSent, rescheduleMail, type OutboxMail } from '../queries/mail-outbox.ts';
import { DeliveryError, type Transport } from './transports.ts';

export const interruptedDeliveryError = 'delivery interrupted; not retried to avoid a duplicate';

export type MailSenderOptions = {
  db: Db;
  clock: Clock;
  logger: Logger;
  transport: Transport;
  /** how often to look for due mail; default 1 s */
  pollIntervalMs?: number;
  /** how long a delivery may take before it counts as interrupted; default 60 s */
  leaseSeconds?: number;
  /** attempts before a mail that keeps failing is given up; default 10 */
  maxAttempts?: number;
  /** waits between attempts: first, multiplied by factor each time, at most max; default 5 s ×3 up to 30 min */
  backoff?: { firstSeconds: number; factor: number; maxSeconds: number };
};

export class MailSender {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly transport: Transport;
  private readonly pollIntervalMs: number;
  private readonly leaseSeconds: number;
  private readonly maxAttempts: number;
  private readonly backoff: { firstSeconds: number; factor: number; maxSeconds: number };
  private polling = false;
  private stopping = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly runs = new Set<Promise<number>>();

  constructor(options: MailSenderOptions) {
    this.db = options.db;
    this.clock = options.clock;
    this.logger = options.logger.child({ component: 'mail-sender', transport: options.transport.name });
    this.transport = options.transport;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.leaseSeconds = options.leaseSeconds ?? 60;
    this.maxAttempts = options.maxAttempts ?? 10;
    this.backoff = options.backoff ?? { firstSeconds: 5, factor: 3, maxSeconds: 30 * 60 };
  }

  /** Starts polling for due mail. */
  start(): void {
    if (this.polling) return;
    this.polling = true;
    this.schedulePoll();
  }

  /** Stops polling and waits for the delivery in flight: nothing is lost, nothing is sent twice. */
  async stop(): Promise<void> {
    this.polling = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.stopping = true;
    try {
      await Promise.allSettled([...this.runs]);
    } finally {
      this.stopping = false;
    }
  }

  /**
   * Delivers every mail that is due now; resolves to how many this call sent.
   * A round already under way in this process (the poller's) may hold a
   * claimed message: it finishes first, so afterwards nothing due is left in
   * flight.
   */
  async drain(): Promise<number> {
    await Promise.allSettled([...this.runs]);
    const run = this.deliverDue();
    this.runs.add(run);
    const forget = () => this.runs.delete(run);
    run.then(forget, forget);
    return run;
  }

  /** When a mail that failed `attempt` times is tried again. */
  private nextAttemptAt(attempt: number, now: Date): Date {
    const seconds = Math.min(this.backoff.firstSeconds * this.backoff.factor ** (attempt - 1), this.backoff.maxSeconds);
    return new Date(now.getTime() + seconds * 1000);
  }

  private schedulePoll(): void {
    if (!this.polling) return;
    this.timer = setTimeout(() => {
      this.drain()
        .catch((error: unknown) => this.logger.error({ err: error }, 'mail delivery round failed'))
        .finally(() => this.schedulePoll());
    }, this.pollIntervalMs);
    this.timer.unref();
  }

  private async deliverDue(): Promise<number> {
    await this.failInterrupted();
    let sent = 0;
    while (!this.stopping) {
      const now = this.clock.now();
      const mail = await claimDueMail(this.db, now, new Date(now.getTime() + this.leaseSeconds * 1000));
      if (!mail) break;
      if (await this.deliver(mail)) sent += 1;
    }
    return sent;
  }

  private async failInterrupted(): Promise<void> {
    for (const mail of await failInterruptedMail(this.db, this.clock.now(), interruptedDeliveryError)) {
      this.logger.error({ mailId: mail.id, template: mail.template, userId: mail.userId, attempts: mail.attempts }, `mail failed: ${interruptedDeliveryError}`);
    }
  }

  private async deliver(mail: OutboxMail): Promise<boolean> {
    const context = { mailId: mail.id, template: mail.template, userId: mail.userId, attempt: mail.attempts };
    let providerMessageId: string | null;
    try {
      ({ providerMessageId } = await this.transport.send({ id: mail.id, template: mail.template, to: mail.to, from: mail.from, subject: mail.subject, text: mail.text, html: mail.html }));
    } catch (error) {
      await this.recordFailure(mail, error instanceof DeliveryError ? error : new DeliveryError((error as Error)?.message ?? String(error), { permanent: false, cause: error }));
      return false;
    }
    try {
      await markMailSent(this.db, mail.id, mail.attempts, providerMessageId, this.clock.now());
    } catch (error) {
      // The mail stays `sending` and will be failed as interrupted: it was in fact delivered.
      this.logger.error({ ...context, providerMessageId, err: error }, 'mail was delivered but could not be recorded as sent');
      throw error;
    }
    this.logger.info({ ...context, providerMessageId }, 'mail sent');
    return true;
  }

  private async recordFailure(mail: OutboxMail, failure: DeliveryError): Promise<void> {
    const context = { mailId: mail.id, template: mail.template, userId: mail.userId, attempt: mail.attempts, err: failure };
    if (failure.permanent || mail.attempts >= this.maxAttempts) {
      const error = failure.permanent ? failure.message : `gave up after ${mail.attempts} attempts: ${failure.message}`;
      await markMailFailed(this.db, mail.id, mail.attempts, error);
      this.logger.error(context, `mail failed: ${error}`);
      return;
    }
    const next = this.nextAttemptAt(mail.attempts, this.clock.now());
    await rescheduleMail(this.db, mail.id, mail.attempts, next, failure.message);
    this.logger[failure.alert ? 'error' : 'warn']({ ...context, nextAttemptAt: next }, 'mail delivery failed; will try again');
  }
}
