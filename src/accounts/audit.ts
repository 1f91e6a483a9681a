// The audit log: who did what to whom, when and from where. Append-only.
import type { Clock } from '../clock.ts';
import type { Db } from '../db/index.ts';
import { insertAuditEvent, type AuditEvent } from '../queries/audit-events.ts';

/** Where a request came from, for the audit log. */
export type Origin = { ip: string; userAgent: string };

export type Audit = (db: Db, event: Omit<AuditEvent, 'ip' | 'userAgent'>, origin: Origin | null) => Promise<void>;

export function createAudit(clock: Clock): Audit {
  return (db, event, origin) => insertAuditEvent(db, { ...event, ip: origin?.ip ?? null, userAgent: origin?.userAgent ?? null }, clock.now());
}
