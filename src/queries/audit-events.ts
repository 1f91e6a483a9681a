import type { Db } from '../db/index.ts';

export type AuditEvent = {
  type: string;
  actorUserId?: string | null;
  actorClientId?: string | null;
  targetUserId?: string | null;
  orgId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  details?: Record<string, unknown>;
};

export type StoredAuditEvent = Required<AuditEvent> & { id: string; at: Date };

export async function insertAuditEvent(db: Db, event: AuditEvent, at: Date): Promise<void> {
  await db('audit_events').insert({
    at,
    type: event.type,
    actor_user_id: event.actorUserId ?? null,
    actor_client_id: event.actorClientId ?? null,
    target_user_id: event.targetUserId ?? null,
    org_id: event.orgId ?? null,
    ip: event.ip ?? null,
    user_agent: event.userAgent?.slice(0, 512) ?? null,
    details: JSON.stringify(event.details ?? {}),
  });
}

export async function listAuditEvents(db: Db, filter: { targetUserId?: string; orgId?: string; limit?: number; before?: string }): Promise<StoredAuditEvent[]> {
  const query = db('audit_events').orderBy('id', 'desc').limit(filter.limit ?? 50);
  if (filter.targetUserId) query.where({ target_user_id: filter.targetUserId });
  if (filter.orgId) query.where({ org_id: filter.orgId });
  if (filter.before) query.where('id', '<', filter.before);
  const rows = await query;
  return rows.map((r) => ({
    id: String(r.id),
    at: r.at,
    type: r.type,
    actorUserId: r.actor_user_id,
    actorClientId: r.actor_client_id,
    targetUserId: r.target_user_id,
    orgId: r.org_id,
    ip: r.ip,
    userAgent: r.user_agent,
    details: r.details,
  }));
}
