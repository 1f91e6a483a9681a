// Where delivered mail goes: JSON files in the outbox folder (development,
// tests, tools that read mail), or Postmark. A transport either accepts a
// message or throws a DeliveryError saying whether trying again can help.
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Errors, Models, ServerClient } from 'postmark';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';

export type OutgoingMail = { id: string; template: string; to: string; from: string; subject: string; text: string; html: string };

export type Transport = {
  name: string;
  send(mail: OutgoingMail): Promise<{ providerMessageId: string | null }>;
};

export class DeliveryError extends Error {
  /** true when the same message can never succeed: do not try again */
  readonly permanent: boolean;
  /** true when an operator must act (a bad token, an unverified sender) */
  readonly alert: boolean;
  constructor(message: string, options: { permanent: boolean; alert?: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.permanent = options.permanent;
    this.alert = options.alert ?? false;
  }
}

/** One JSON file per message, written to a temporary name and renamed, so a reader never sees half a file. */
export function outboxTransport(directory: string, clock: Clock): Transport {
  return {
    name: 'outbox',
    async send(mail) {
      await mkdir(directory, { recursive: true });
      const sentAt = clock.now();
      // Sortable by time, then by outbox id; the random part keeps names unique across databases sharing the folder.
      const stamp = sentAt.toISOString().replace(/[-:]/g, '').replace('.', '');
      const name = `${stamp}-${mail.id.padStart(12, '0')}-${randomBytes(4).toString('hex')}.json`;
      const body = { id: mail.id, template: mail.template, sentAt: sentAt.toISOString(), to: mail.to, from: mail.from, subject: mail.subject, text: mail.text, html: mail.html };
      const temporary = path.join(directory, `.${name}.tmp`);
      try {
        await writeFile(temporary, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
        await rename(temporary, path.join(directory, name));
      } catch (error) {
        await rm(temporary, { force: true });
        throw new DeliveryError(`could not write to the outbox folder: ${(error as Error).message}`, { permanent: false, alert: true, cause: error });
      }
      return { providerMessageId: name };
    },
  };
}

// Postmark ErrorCodes (HTTP 422) that an operator can cure: the token, the
// sender signature, the account's standing. Mail waits for them; anything
// else in a 422 (an invalid address, an inactive recipient) never succeeds.
const operatorErrorCodes = new Set([10, 100, 400, 401, 405, 412, 413, 429]);

export function classifyPostmarkError(error: unknown): DeliveryError {
  if (!(error instanceof Errors.PostmarkError)) {
    return new DeliveryError(`Postmark: ${(error as Error)?.message ?? String(error)}`, { permanent: false, cause: error });
  }
  const { statusCode, code } = error;
  const message = `Postmark${statusCode ? ` HTTP ${statusCode}` : ''}${code ? ` ErrorCode ${code}` : ''}: ${error.message}`;
  // No status: the request never got an answer (network error, timeout).
  if (statusCode === 0 || statusCode === 429 || statusCode >= 500) return new DeliveryError(message, { permanent: false, cause: error });
  // A bad token: transient, so mail flows once it is fixed, but someone must fix it.
  if (statusCode === 401) return new DeliveryError(message, { permanent: false, alert: true, cause: error });
  if (statusCode === 422 && operatorErrorCodes.has(code)) return new DeliveryError(message, { permanent: false, alert: true, cause: error });
  return new DeliveryError(message, { permanent: true, cause: error });
}

export function postmarkTransport(options: { serverToken: string; apiUrl?: string | undefined }): Transport {
  const api = options.apiUrl ? new URL(options.apiUrl) : undefined;
  const client = new ServerClient(options.serverToken, {
    useHttps: api ? api.protocol === 'https:' : true,
    requestHost: api ? `${api.host}${api.pathname.replace(/\/$/, '')}` : 'api.postmarkapp.com',
    // Well inside the sender's lease, so a slow answer never outlives it.
    timeout: 30,
  });
  return {
    name: 'postmark',
    async send(mail) {
      try {
        const response = await client.sendEmail({
          From: mail.from,
          To: mail.to,
          Subject: mail.subject,
          TextBody: mail.text,
          HtmlBody: mail.html,
          MessageStream: 'outbound',
          // Link tracking would route our single-use links through Postmark's redirector.
          TrackLinks: Models.LinkTrackingOptions.None,
          TrackOpens: false,
          Tag: mail.template,
        });
        return { providerMessageId: response.MessageID ?? null };
      } catch (error) {
        throw classifyPostmarkError(error);
      }
    },
  };
}

export function createTransport(mail: Config['mail'], clock: Clock): Transport {
  if (mail.transport === 'postmark') return postmarkTransport({ serverToken: mail.postmarkServerToken, apiUrl: mail.postmarkApiUrl });
  return outboxTransport(mail.outboxDir, clock);
}
