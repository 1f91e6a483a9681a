// The management API's shapes, as zod schemas: the same schemas parse the
// requests, describe the responses and become the OpenAPI document's
// components, so the document cannot drift from the code.
import { z } from 'zod';
import { roles, statuses, type User } from '../../queries/users.ts';
import type { Organisation } from '../../queries/organisations.ts';
import type { StoredAuditEvent } from '../../queries/audit-events.ts';
import { linkKinds } from '../../queries/action-links.ts';
import { mailStatuses } from '../../queries/mail-outbox.ts';

/** Named schemas of request bodies (described as the client sends them). */
export const requestSchemas = z.registry<{ id: string; description?: string }>();
/** Named schemas of response bodies (described as the server sends them). */
export const responseSchemas = z.registry<{ id: string; description?: string }>();

const timestamp = z.iso.datetime();
const iso = (date: Date) => date.toISOString();
const nextCursor = z.string().optional().describe('present when there is a further page: pass it as `cursor` to get it');

// Responses

export const organisationSchema = z.strictObject({ id: z.uuid(), name: z.string() });
responseSchemas.add(organisationSchema, { id: 'Organisation' });
export const organisationListSchema = z.strictObject({ items: z.array(organisationSchema) });
responseSchemas.add(organisationListSchema, { id: 'OrganisationList' });

export const userSchema = z.strictObject({
  id: z.uuid(),
  email: z.string(),
  name: z.string(),
  orgId: z.uuid(),
  role: z.enum(roles),
  status: z.enum(statuses),
});
responseSchemas.add(userSchema, { id: 'User' });
export const userListSchema = z.strictObject({ items: z.array(userSchema), nextCursor });
responseSchemas.add(userListSchema, { id: 'UserList' });

export const auditEventSchema = z.strictObject({
  id: z.string(),
  at: timestamp,
  type: z.string(),
  actorUserId: z.uuid().nullable(),
  actorClientId: z.string().nullable(),
  targetUserId: z.uuid().nullable(),
  orgId: z.uuid().nullable(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});
responseSchemas.add(auditEventSchema, { id: 'AuditEvent' });
export const auditEventListSchema = z.strictObject({ items: z.array(auditEventSchema), nextCursor });
responseSchemas.add(auditEventListSchema, { id: 'AuditEventList' });

export const mailDeliverySchema = z.strictObject({ status: z.enum(mailStatuses), lastError: z.string().nullable(), sentAt: timestamp.nullable() });
export const actionLinkSchema = z.strictObject({
  id: z.uuid(),
  kind: z.enum(linkKinds),
  createdAt: timestamp,
  expiresAt: timestamp,
  mail: mailDeliverySchema.nullable().describe('the delivery of the newest mail that carried the link'),
});
responseSchemas.add(actionLinkSchema, { id: 'ActionLink', description: 'An emailed link the user has not used yet (never the link itself).' });
export const actionLinkListSchema = z.strictObject({ items: z.array(actionLinkSchema) });
responseSchemas.add(actionLinkListSchema, { id: 'ActionLinkList' });

export const mailSchema = z.strictObject({
  id: z.string(),
  template: z.string(),
  to: z.string(),
  userId: z.uuid().nullable(),
  status: z.enum(mailStatuses),
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  createdAt: timestamp,
  sentAt: timestamp.nullable(),
});
responseSchemas.add(mailSchema, { id: 'Mail', description: 'A mail in the outbox, without its body (which may carry a link).' });
export const mailListSchema = z.strictObject({ items: z.array(mailSchema) });
responseSchemas.add(mailListSchema, { id: 'MailList' });

export const problemSchema = z.looseObject({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  code: z.string().optional().describe('what went wrong, for programs'),
  errors: z.array(z.strictObject({ field: z.string(), message: z.string() })).optional().describe('one entry per invalid field'),
});
responseSchemas.add(problemSchema, { id: 'Problem', description: 'RFC 9457 problem details.' });

// Requests

export const newOrganisationSchema = z.strictObject({ name: z.string().max(200) });
requestSchemas.add(newOrganisationSchema, { id: 'NewOrganisation' });

export const newUserSchema = z.strictObject({
  email: z.string().max(254),
  name: z.string().max(200).optional(),
  orgId: z.uuid().optional().describe("defaults to the caller's organisation"),
  role: z.enum(roles).optional().describe('defaults to user'),
});
requestSchemas.add(newUserSchema, { id: 'NewUser' });

export const userPatchSchema = z.strictObject({
  name: z.string().max(200).optional(),
  role: z.enum(roles).optional(),
  status: z.enum(['active', 'disabled']).optional(),
});
requestSchemas.add(userPatchSchema, { id: 'UserPatch' });

export const resetOtpSchema = z.strictObject({
  removePasskeys: z.boolean().optional().describe('remove the user\'s passkeys too (default true)'),
});
requestSchemas.add(resetOtpSchema, { id: 'ResetOtp' });

// From stored rows to the shapes above

export const organisationJson = (o: Organisation): z.output<typeof organisationSchema> => ({ id: o.id, name: o.name });

export const userJson = (u: User): z.output<typeof userSchema> => ({ id: u.id, email: u.email, name: u.name, orgId: u.orgId, role: u.role, status: u.status });

export const auditEventJson = (e: StoredAuditEvent): z.output<typeof auditEventSchema> => ({
  id: e.id,
  at: iso(e.at),
  type: e.type,
  actorUserId: e.actorUserId,
  actorClientId: e.actorClientId,
  targetUserId: e.targetUserId,
  orgId: e.orgId,
  ip: e.ip,
  userAgent: e.userAgent,
  details: e.details,
});

export const isoOrNull = (date: Date | null) => (date ? iso(date) : null);
export { iso };
