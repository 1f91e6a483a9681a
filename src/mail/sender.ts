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

/** How often to look for due mail. */
const pollIntervalMs = 1000;
/** How long a delivery may take before it counts as interrupted. */
const leaseSeconds = 60;
/** Attempts before a mail that keeps failing is given up. */
const maxAttempts = 10;
/** Waits between attempts: 5 s, multiplied by 3 each time, at most 30 minutes. */
const backoff = { firstSeconds: 5, factor: 3, maxSeconds: 30 * 60 };

/** What the logs say about a mail. */
const about = (mail: OutboxMail) => ({ mailId: mail.id, template: mail.template, userId: mail.userId, attempt: mail.attempts });

export class MailSender {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly transport: Transport;
  private polling = false;
  private stopping = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly runs = new Set<Promise<number>>();

  constructor(options: { db: Db; clock: Clock; logger: Logger; transport: Transport }) {
    this.db = options.db;
    this.clock = options.clock;
    this.logger = options.logger.child({ component: 'mail-sender', transport: options.transport.name });
    this.transport = options.transport;
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
    const seconds = Math.min(backoff.firstSeconds * backoff.factor ** (attempt - 1), backoff.maxSeconds);
    return new Date(now.getTime() + seconds * 1000);
  }

  private schedulePoll(): void {
    if (!this.polling) return;
    this.timer = setTimeout(() => {
      this.drain()
        .catch((error: unknown) => this.logger.error({ err: error }, 'mail delivery round failed'))
        .finally(() => this.schedulePoll());
    }, pollIntervalMs);
    this.timer.unref();
  }

  private async deliverDue(): Promise<number> {
    await this.failInterrupted();
    let sent = 0;
    while (!this.stopping) {
      const now = this.clock.now();
      const mail = await claimDueMail(this.db, now, new Date(now.getTime() + leaseSeconds * 1000));
      if (!mail) break;
      if (await this.deliver(mail)) sent += 1;
    }
    return sent;
  }

  private async failInterrupted(): Promise<void> {
    for (const mail of await failInterruptedMail(this.db, this.clock.now(), interruptedDeliveryError)) {
      this.logger.error(about(mail), `mail failed: ${interruptedDeliveryError}`);
    }
  }

  private async deliver(mail: OutboxMail): Promise<boolean> {
    let providerMessageId: string | null;
    try {
      ({ providerMessageId } = await this.transport.send(mail));
    } catch (error) {
      await this.recordFailure(mail, error instanceof DeliveryError ? error : new DeliveryError((error as Error)?.message ?? String(error), { permanent: false, cause: error }));
      return false;
    }
    try {
      await markMailSent(this.db, mail.id, mail.attempts, providerMessageId, this.clock.now());
    } catch (error) {
      // The mail stays `sending` and will be failed as interrupted: it was in fact delivered.
      this.logger.error({ ...about(mail), providerMessageId, err: error }, 'mail was delivered but could not be recorded as sent');
      throw error;
    }
    this.logger.info({ ...about(mail), providerMessageId }, 'mail sent');
    return true;
  }

  private async recordFailure(mail: OutboxMail, failure: DeliveryError): Promise<void> {
    const context = { ...about(mail), err: failure };
    if (failure.permanent || mail.attempts >= maxAttempts) {
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
