// GET /admin/api/mail?status=failed: mail that will not be delivered, so an
// administrator can tell a user and send the link again.
import { z } from 'zod';
import type { Services } from '../../services.ts';
import { listFailedMail } from '../../queries/mail-outbox.ts';
import { defineRoute, type ApiRoute } from './route.ts';
import { iso, isoOrNull, mailListSchema } from './schemas.ts';
import { organisationFilter } from './scope.ts';

const mailQuery = z.strictObject({
  status: z.literal('failed').default('failed').describe('only failed mail is listed'),
  org: z.uuid().optional().describe("super admins: only mail to this organisation's users"),
  limit: z.coerce.number().int().min(1).max(100).default(100).describe('at most this many, newest first'),
});

export function mailRoutes({ db }: Services): ApiRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/mail',
      operationId: 'listFailedMail',
      tag: 'mail',
      summary: "Mail whose delivery failed, to the caller's organisation's users",
      description: 'Mail bodies are never shown: they carry the links.',
      query: mailQuery,
      responses: { 200: { description: 'Failed mail, newest first', schema: mailListSchema } },
      problems: [404],
      async handle({ actor, query }) {
        const orgId = await organisationFilter(db, actor, query.org);
        const mail = await listFailedMail(db, { orgId, limit: query.limit });
        const items = mail.map((m) => ({
          id: m.id,
          template: m.template,
          to: m.to,
          userId: m.userId,
          status: m.status,
          attempts: m.attempts,
          lastError: m.lastError,
          createdAt: iso(m.createdAt),
          sentAt: isoOrNull(m.sentAt),
        }));
        return { status: 200, body: { items } };
      },
    }),
  ];
}
