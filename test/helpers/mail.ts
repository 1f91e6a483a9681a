// Reading the mail the provider sent, as the user would find it in their inbox.
import type { TestProvider } from './server.ts';

export type SentMail = { id: string; to: string; subject: string; text: string; html: string; template: string; status: string };

/** Delivers what is due, then returns the mail sent to `to`, oldest first. */
export async function mailTo(provider: TestProvider, to: string): Promise<SentMail[]> {
  const { db, mailSender } = provider.app.services;
  await mailSender.drain();
  const rows = await db('mail_outbox').where({ to }).orderBy('id');
  return rows.map((r) => ({ id: String(r.id), to: r.to, subject: r.subject, text: r.text, html: r.html, template: r.template, status: r.status }));
}

/** The newest mail of this template sent to `to`. */
export async function lastMail(provider: TestProvider, to: string, template: string): Promise<SentMail> {
  const mail = (await mailTo(provider, to)).filter((m) => m.template === template).at(-1);
  if (!mail) throw new Error(`no ${template} mail to ${to}`);
  return mail;
}

/** The link in a mail: the same absolute URL under the issuer in the text and the HTML part. */
export function linkIn(mail: SentMail, issuer: string): string {
  const pattern = new RegExp(`${issuer.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/link/[\\w-]{43}`);
  const inText = pattern.exec(mail.text)?.[0];
  const inHtml = pattern.exec(mail.html)?.[0];
  if (!inText || inText !== inHtml) throw new Error(`the text and HTML parts do not carry the same link:\n${mail.text}\n${mail.html}`);
  return inText;
}
