// GET /admin/api/audit-events: the audit log of the caller's organisation
// (a super admin's: every organisation's), newest first.
import { z } from 'zod';
import type { Services } from '../../services.ts';
import { listAuditEvents } from '../../queries/audit-events.ts';
import { defineRoute, type ApiRoute } from './route.ts';
import { auditEventJson, auditEventListSchema } from './schemas.ts';
import { auditCursorParameter, page, pageSize } from './cursor.ts';
import { organisationFilter } from './scope.ts';

const auditQuery = z.strictObject({
  user: z.uuid().optional().describe('only the events about this user (one the caller can see)'),
  org: z.uuid().optional().describe('super admins: only the events of this organisation'),
  limit: pageSize(50),
  cursor: auditCursorParameter.optional(),
});

export function auditRoutes({ db, lifecycle }: Services): ApiRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/audit-events',
      operationId: 'listAuditEvents',
      tag: 'audit',
      summary: 'Read the audit log, newest first, a page at a time',
      query: auditQuery,
      responses: { 200: { description: 'A page of audit events', schema: auditEventListSchema } },
      problems: [404],
      async handle({ actor, query }) {
        const orgId = await organisationFilter(db, actor, query.org);
        const targetUserId = query.user ? (await lifecycle.visibleUser(actor, query.user)).id : undefined;
        const rows = await listAuditEvents(db, { orgId, targetUserId, before: query.cursor?.before, limit: query.limit + 1 });
        const { items, nextCursor } = page(rows, query.limit, (last) => ({ before: last.id }));
        return { status: 200, body: { items: items.map(auditEventJson), ...(nextCursor ? { nextCursor } : {}) } };
      },
    }),
  ];
}
