// The user's recent security events, each as a sentence in their language.
import type { Translate } from '../i18n/index.ts';
import type { StoredAuditEvent } from '../queries/audit-events.ts';
import { utc } from '../http/format.ts';

/** Events whose sentence depends on one detail: the key gets `.<detail>` appended. */
const byDetail: Record<string, { detail: string; values: string[] }> = {
  'sign_in.failed': { detail: 'factor', values: ['password', 'otp', 'passkey', 'recovery_code'] },
  'link.issued': { detail: 'kind', values: ['invitation', 'password_reset', 'otp_reset'] },
  'link.used': { detail: 'kind', values: ['invitation', 'password_reset', 'otp_reset'] },
  'authenticator.added': { detail: 'kind', values: ['totp', 'passkey'] },
};

const described = new Set([
  'sign_in.succeeded', 'sign_in.locked', 'sign_in.refused_disabled', 'link.expired', 'link.password_failed',
  'user.invited', 'user.activated', 'user.updated', 'user.disabled', 'user.enabled', 'user.password_reset', 'user.password_changed',
  'user.password_change_failed', 'user.otp_reset', 'user.signed_out_everywhere', 'authenticator.replaced', 'authenticator.renamed',
  'authenticator.removed', 'recovery_code.used', 'recovery_codes.regenerated', 'session.ended',
]);

/** The text parameters an event's sentence may use (passkey names, codes left). */
function parameters(event: StoredAuditEvent): Record<string, string | number> {
  const params: Record<string, string | number> = {};
  for (const key of ['name', 'from', 'to', 'remaining']) {
    const value = event.details?.[key];
    if (typeof value === 'string' || typeof value === 'number') params[key] = value;
  }
  return params;
}

function describeEvent(t: Translate, event: StoredAuditEvent): string {
  const variant = byDetail[event.type];
  if (variant) {
    const value = event.details?.[variant.detail];
    if (typeof value === 'string' && variant.values.includes(value)) return t(`account.event.${event.type}.${value}`, parameters(event));
  }
  if (described.has(event.type)) return t(`account.event.${event.type}`, parameters(event));
  return t('account.event.other', { type: event.type });
}

export function eventRows(t: Translate, events: StoredAuditEvent[]) {
  return events.map((event) => ({ at: utc(event.at), atIso: event.at.toISOString(), text: describeEvent(t, event), ip: event.ip ?? '' }));
}
