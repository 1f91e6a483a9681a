// GET /account: the user's account on one page. Password, authenticator
// app, passkeys, recovery codes, sign-in sessions and recent security
// events, each with the way to change it.
import type { Context } from 'koa';
import { z } from 'zod';
import type { Services } from '../services.ts';
import type { Translate } from '../i18n/index.ts';
import { utc } from '../http/format.ts';
import { listAuditEvents } from '../queries/audit-events.ts';
import type { Passkey } from '../accounts/passkeys.ts';
import type { SessionView } from '../accounts/self-service.ts';
import { eventRows } from './events.ts';
import { accountOf, currentSignIn, renderPage, type FieldError } from './pages.ts';

/** Notices shown after a change, named in the query string of the page redirected to (POST, redirect, GET). */
const notices = ['password_changed', 'totp_replaced', 'totp_added', 'passkey_added', 'passkey_renamed', 'passkey_removed', 'session_ended'] as const;
const noticeParam = z.enum(notices).optional().catch(undefined);

const recentEventCount = 20;

/** How a session was signed in, from its amr: "password and one-time code". */
function methodsText(t: Translate, amr: string[]): string {
  return amr.map((method) => (['pwd', 'otp', 'hwk', 'swk'].includes(method) ? t(`account.method.${method}`) : method)).join(t('account.method.separator'));
}

function passkeyRow(t: Translate, passkey: Passkey) {
  return {
    id: passkey.id,
    name: passkey.name,
    type: t(passkey.deviceType === 'multiDevice' ? 'account.passkeys.synced' : 'account.passkeys.device_bound'),
    created: utc(passkey.createdAt),
    createdIso: passkey.createdAt.toISOString(),
    lastUsed: passkey.lastUsedAt ? utc(passkey.lastUsedAt) : t('account.passkeys.never_used'),
  };
}

function sessionRow(t: Translate, session: SessionView) {
  const signedIn = session.loginTs ? new Date(session.loginTs * 1000) : null;
  return {
    uid: session.uid,
    current: session.current,
    signedIn: signedIn ? utc(signedIn) : '',
    signedInIso: signedIn?.toISOString() ?? '',
    methods: methodsText(t, session.amr),
    expires: session.expiresAt ? utc(session.expiresAt) : '',
    expiresIso: session.expiresAt?.toISOString() ?? '',
    applications: session.clients.map((client) => client.name).join(', '),
  };
}

/** Renders the page; a form that failed (adding a passkey) passes its errors. */
export async function renderOverview(services: Services, ctx: Context, options: { notice?: string; errors?: FieldError[] } = {}): Promise<void> {
  const { t } = ctx.state;
  const { user } = accountOf(ctx);
  const { totp, passkeys, recoveryCodesLeft } = await services.selfService.factors(user);
  const sessions = await services.selfService.sessions(user, currentSignIn(ctx));
  const events = await listAuditEvents(services.db, { targetUserId: user.id, limit: recentEventCount });
  renderPage(ctx, 'account/index.njk', {
    user,
    notice: options.notice,
    errors: options.errors ?? [],
    passwordChanged: user.passwordChangedAt ? utc(user.passwordChangedAt) : null,
    totp: totp ? { created: utc(totp.createdAt), createdIso: totp.createdAt.toISOString() } : null,
    passkeys: passkeys.map((passkey) => passkeyRow(t, passkey)),
    recoveryCodesLeft,
    sessions: sessions.map((row) => sessionRow(t, row)),
    events: eventRows(t, events),
  });
}

export function showOverview(services: Services) {
  return async function showOverview(ctx: Context) {
    await renderOverview(services, ctx, { notice: noticeParam.parse(ctx.query.done) });
  };
}
