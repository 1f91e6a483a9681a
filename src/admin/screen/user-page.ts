// The Update user screen: a user's details, the name and role form, the
// pending emailed links with the state of their mail, the recent audit
// events, and the actions (reset password, reset OTP, disable, enable,
// delete), each behind a confirmation page.
import type { Context } from 'koa';
import type { Services } from '../../services.ts';
import type { Lifecycle } from '../../accounts/lifecycle.ts';
import type { Actor } from '../../accounts/permissions.ts';
import type { Origin } from '../../accounts/audit.ts';
import { requireManageable, requireNotSelf } from '../../accounts/permissions.ts';
import { DirectoryError } from '../../accounts/directory.ts';
import { readProtectedForm } from '../../http/csrf.ts';
import { requestOrigin } from '../../http/origin.ts';
import { listAuditEvents } from '../../queries/audit-events.ts';
import { findOrganisationById } from '../../queries/organisations.ts';
import { findUserNames, type User } from '../../queries/users.ts';
import { utc } from '../../http/format.ts';
import { duration } from './format.ts';
import { renderPage, type FieldError } from './pages.ts';
import { actorOf, allows, assignableRoles, isRole, noticeParam, roleOptions } from './users.ts';

/** Audit event types the screen has words for; any other is shown as it is stored. */
const describedEvents = new Set([
  'sign_in.succeeded', 'sign_in.failed', 'sign_in.locked', 'sign_in.refused_disabled',
  'link.issued', 'link.used', 'link.expired', 'link.password_failed',
  'user.invited', 'user.activated', 'user.updated', 'user.disabled', 'user.enabled', 'user.deleted',
  'user.password_reset', 'user.password_changed', 'user.otp_reset', 'authenticator.added',
  'user.password_change_failed', 'user.signed_out_everywhere', 'authenticator.replaced', 'authenticator.renamed', 'authenticator.removed',
  'recovery_code.used', 'recovery_codes.regenerated', 'session.ended',
]);

async function auditRows(services: Services, ctx: Context, user: User) {
  const { t } = ctx.state;
  const events = await listAuditEvents(services.db, { targetUserId: user.id, limit: 25 });
  const actors = await findUserNames(services.db, [...new Set(events.map((event) => event.actorUserId).filter((id): id is string => Boolean(id)))]);
  return events.map((event) => {
    const kind = typeof event.details?.kind === 'string' ? event.details.kind : undefined;
    return {
      at: utc(event.at),
      atIso: event.at.toISOString(),
      event: describedEvents.has(event.type) ? t(`admin.event.${event.type}`) : event.type,
      linkKind: kind && ['invitation', 'password_reset', 'otp_reset'].includes(kind) ? t(`admin.link.${kind}`) : undefined,
      actor: event.actorUserId ? (actors.get(event.actorUserId) ?? t('admin.activity.deleted_user')) : event.actorClientId ? t('admin.activity.client', { client: event.actorClientId }) : t('admin.activity.nobody'),
      ip: event.ip ?? '',
    };
  });
}

async function linkRows(services: Services, user: User) {
  return (await services.links.openWithDelivery(services.db, user.id)).map(({ link, mail }) => ({
    kind: link.kind,
    expiresAt: utc(link.expiresAt),
    expiresIso: link.expiresAt.toISOString(),
    mail: mail ? { status: mail.status === 'sending' ? 'pending' : mail.status, sentAt: mail.sentAt ? utc(mail.sentAt) : null, error: mail.lastError } : null,
  }));
}

type EditValues = { name: string; role: string };

async function renderUserPage(services: Services, ctx: Context, user: User, options: { values?: EditValues; errors?: FieldError[]; notice?: string } = {}) {
  const actor = actorOf(ctx);
  const organisation = await findOrganisationById(services.db, user.orgId);
  renderPage(ctx, 'admin/user.njk', {
    section: 'users',
    user,
    organisation,
    who: user.name || user.email,
    created: utc(user.createdAt),
    createdIso: user.createdAt.toISOString(),
    manageable: allows(() => requireManageable(actor, user)),
    isSelf: actor.userId === user.id,
    roleOptions: roleOptions(ctx),
    values: options.values ?? { name: user.name, role: user.role },
    errors: options.errors ?? [],
    notice: options.notice,
    links: await linkRows(services, user),
    events: await auditRows(services, ctx, user),
    linkTtl: duration(ctx.state.t, services.config.actionLinkTtl),
  });
}

/** GET /admin/users/:id (an organisation administrator may look at, but not change, a super admin of their organisation). */
export function showUser(services: Services) {
  return async function showUser(ctx: Context) {
    const user = await services.lifecycle.visibleUser(actorOf(ctx), ctx.params.id ?? '');
    await renderUserPage(services, ctx, user, { notice: noticeParam.parse(ctx.query.done) });
  };
}

/** POST /admin/users/:id: name and role. */
export function updateUser(services: Services) {
  return async function updateUser(ctx: Context) {
    const { t } = ctx.state;
    const actor = actorOf(ctx);
    const form = await readProtectedForm(ctx);
    const user = await services.lifecycle.manageableUser(actor, ctx.params.id ?? '');
    const values: EditValues = { name: (form.name ?? user.name).trim(), role: form.role ?? user.role };
    const errors: FieldError[] = [];
    let status = 400;
    if (values.name.length > 200) errors.push({ field: 'name', message: t('admin.directory.invalid_name') });
    if (!isRole(values.role)) {
      errors.push({ field: 'role', message: t('admin.invite.role_missing') });
    } else if (values.role !== user.role && !assignableRoles(actor).includes(values.role)) {
      status = 403;
      errors.push({ field: 'role', message: t('admin.error.role_above_yours') });
    } else if (values.role !== user.role && !allows(() => requireNotSelf(actor, user, 'change the role of'))) {
      status = 403;
      errors.push({ field: 'role', message: t('admin.error.own_role') });
    }
    if (errors.length || !isRole(values.role)) {
      ctx.status = status;
      return renderUserPage(services, ctx, user, { values, errors });
    }
    await services.lifecycle.update(actor, requestOrigin(ctx), user.id, { name: values.name, role: values.role });
    ctx.status = 303;
    ctx.redirect(`/admin/users/${user.id}?done=updated`);
  };
}

/** POST /admin/users/:id/reinvite: a new invitation link replaces the old one. */
export function reinviteUser(services: Services) {
  return async function reinviteUser(ctx: Context) {
    await readProtectedForm(ctx);
    const id = ctx.params.id ?? '';
    await services.lifecycle.reinvite(actorOf(ctx), requestOrigin(ctx), id);
    ctx.status = 303;
    ctx.redirect(`/admin/users/${id}?done=invitation_sent`);
  };
}

export type ConfirmedAction = {
  /** the last path segment, and the name of its strings in admin.json */
  name: 'reset-password' | 'reset-otp' | 'disable' | 'enable' | 'delete';
  /** whether the action makes sense for this user now; if not, the confirmation page is not offered */
  applies(user: User): boolean;
  run(lifecycle: Lifecycle, actor: Actor, origin: Origin, userId: string, form: Record<string, string>): Promise<unknown>;
  done(user: User): string;
  destructive: boolean;
};

const acceptedInvitation = (user: User) => user.status !== 'invited';

export const confirmedActions: ConfirmedAction[] = [
  {
    name: 'reset-password',
    applies: acceptedInvitation,
    run: (lifecycle, actor, origin, id) => lifecycle.resetPassword(actor, origin, id),
    done: (user) => `/admin/users/${user.id}?done=password_reset`,
    destructive: false,
  },
  {
    name: 'reset-otp',
    applies: acceptedInvitation,
    // The confirmation page asks whether passkeys go too (ticked: a reset usually follows a lost device).
    run: (lifecycle, actor, origin, id, form) => lifecycle.resetOtp(actor, origin, id, { removePasskeys: form.remove_passkeys === 'yes' }),
    done: (user) => `/admin/users/${user.id}?done=otp_reset`,
    destructive: false,
  },
  {
    name: 'disable',
    applies: (user) => user.status === 'active',
    run: (lifecycle, actor, origin, id) => lifecycle.update(actor, origin, id, { status: 'disabled' }),
    done: (user) => `/admin/users/${user.id}?done=disabled`,
    destructive: true,
  },
  {
    name: 'enable',
    applies: (user) => user.status === 'disabled',
    run: (lifecycle, actor, origin, id) => lifecycle.update(actor, origin, id, { status: 'active' }),
    done: (user) => `/admin/users/${user.id}?done=enabled`,
    destructive: false,
  },
  {
    name: 'delete',
    applies: () => true,
    run: (lifecycle, actor, origin, id) => lifecycle.delete(actor, origin, id),
    done: () => '/admin?done=user_deleted',
    destructive: true,
  },
];

async function actionTarget(services: Services, ctx: Context, action: ConfirmedAction): Promise<User> {
  const user = await services.lifecycle.manageableUser(actorOf(ctx), ctx.params.id ?? '');
  if (!action.applies(user)) throw new DirectoryError(user.status === 'invited' ? 'invited' : 'not_applicable', `${action.name} does not apply to this user now.`);
  return user;
}

/** GET /admin/users/:id/<action>: says what will happen, with Confirm and Cancel. */
export function confirmAction(services: Services, action: ConfirmedAction) {
  return async function confirmAction(ctx: Context) {
    const user = await actionTarget(services, ctx, action);
    renderPage(ctx, 'admin/confirm.njk', {
      section: 'users',
      action: action.name,
      destructive: action.destructive,
      user,
      who: user.name || user.email,
      linkTtl: duration(ctx.state.t, services.config.actionLinkTtl),
      passkeys: action.name === 'reset-otp' ? (await services.passkeys.list(user.id)).length : 0,
    });
  };
}

/** POST /admin/users/:id/<action>: does it, then shows the user (or the list, after a deletion) with a notice. */
export function runAction(services: Services, action: ConfirmedAction) {
  return async function runAction(ctx: Context) {
    const form = await readProtectedForm(ctx);
    const user = await actionTarget(services, ctx, action);
    await action.run(services.lifecycle, actorOf(ctx), requestOrigin(ctx), user.id, form);
    ctx.status = 303;
    ctx.redirect(action.done(user));
  };
}
