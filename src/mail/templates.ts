// The emails we send and exactly the data each one takes. The data is parsed
// strictly: an unknown field is refused, so nothing but what the template
// shows (and never a secret other than the link) can reach an email.
import { z } from 'zod';

const name = z.string().max(200);
const at = z.coerce.date();

export const mailSchemas = {
  invitation: z.strictObject({ name, orgName: z.string().max(200), inviterName: z.string().max(200).nullish(), link: z.url(), expiresAt: at }),
  password_reset: z.strictObject({ name, link: z.url(), expiresAt: at }),
  otp_reset: z.strictObject({ name, link: z.url(), expiresAt: at }),
  password_changed: z.strictObject({ name, at }),
  otp_removed: z.strictObject({ name, at }),
  authenticator_added: z.strictObject({ name, at, kind: z.enum(['totp', 'passkey']) }),
  account_disabled: z.strictObject({ name, at }),
  account_enabled: z.strictObject({ name, at }),
  recovery_code_used: z.strictObject({ name, at, remaining: z.number().int().min(0) }),
  security_change: z.strictObject({
    name,
    at,
    change: z.enum(['totp_replaced', 'passkey_removed', 'passkey_renamed', 'recovery_codes_regenerated', 'session_ended', 'signed_out_everywhere']),
  }),
};

export type MailTemplate = keyof typeof mailSchemas;
export type MailData = { [T in MailTemplate]: z.output<(typeof mailSchemas)[T]> };

export const mailTemplates = Object.keys(mailSchemas) as MailTemplate[];

export class MailDataError extends Error {}

/** The template's data, checked; a link must be an absolute URL under the issuer. */
export function parseMailData(template: MailTemplate, data: Record<string, unknown>, issuer: string): Record<string, unknown> {
  const schema = mailSchemas[template] as z.ZodType<Record<string, unknown>> | undefined;
  if (!schema) throw new MailDataError(`unknown mail template "${template}"`);
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    throw new MailDataError(`mail ${template}: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || 'data'}: ${issue.message}`).join('; ')}`);
  }
  const link = parsed.data.link;
  if (typeof link === 'string' && !link.startsWith(`${issuer}/`)) throw new MailDataError(`mail ${template}: the link must be an absolute URL under ${issuer}`);
  return parsed.data;
}
