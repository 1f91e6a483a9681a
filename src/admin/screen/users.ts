// The list of users (search, organisation filter, pages) and the invitation form.
import type { Context } from 'koa';
import { z } from 'zod';
import type { Services } from '../../services.ts';
import type { Actor } from '../../accounts/permissions.ts';
import { PermissionError, requireAssignableRole } from '../../accounts/permissions.ts';
import { DirectoryError } from '../../accounts/directory.ts';
import { readProtectedForm } from '../../http/csrf.ts';
import { HttpError } from '../../http/errors.ts';
import { requestOrigin } from '../../http/origin.ts';
import { findOrganisationById, listOrganisations } from '../../queries/organisations.ts';
import { roles, searchUsers, type Role } from '../../queries/users.ts';
import { page, userCursorParameter, userPosition } from '../api/cursor.ts';
import { renderPage, type FieldError } from './pages.ts';

const pageSize = 25;

/** Whether a rule from permissions.ts lets this through, for deciding what to offer. */
export function allows(rule: () => unknown): boolean {
  try {
    rule();
    return true;
  } catch (error) {
    if (error instanceof PermissionError) return false;
    throw error;
  }
}

export function isRole(value: string): value is Role {
  return (roles as readonly string[]).includes(value);
}

/** The roles this administrator may give: theirs and below. */
export function assignableRoles(actor: Actor): Role[] {
  return roles.filter((role) => allows(() => requireAssignableRole(actor, role)));
}

export function actorOf(ctx: Context): Actor {
  return ctx.state.adminScreen!.actor!;
}

/** Notices shown after a change, named in the query string of the page redirected to (POST, redirect, GET). */
const notices = ['invited', 'updated', 'password_reset', 'otp_reset', 'disabled', 'enabled', 'user_deleted', 'invitation_sent', 'organisation_created'] as const;
export const noticeParam = z.enum(notices).optional().catch(undefined);

const emptyAsUndefined = (value: unknown) => (value === '' ? undefined : value);

const listQuery = z.object({
  q: z.string().trim().max(200).optional(),
  org: z.preprocess(emptyAsUndefined, z.uuid().optional()),
  after: z.preprocess(emptyAsUndefined, userCursorParameter.optional()),
  done: noticeParam,
});

/** GET /admin: the users an administrator manages, searched by name or email, a page at a time. */
export function listUsers(services: Services) {
  return async function listUsers(ctx: Context) {
    const actor = actorOf(ctx);
    const parsed = listQuery.safeParse(ctx.query);
    if (!parsed.success) throw new HttpError(400, 'error.bad_request');
    const query = parsed.data;
    // An organisation administrator sees their own organisation only; another's id is "not found".
    if (actor.role !== 'super_admin' && query.org && query.org !== actor.orgId) throw new PermissionError(404, 'No such organisation.');
    const orgId = actor.role === 'super_admin' ? query.org : actor.orgId!;

    const found = await searchUsers(services.db, { orgId, q: query.q || undefined, after: query.after, limit: pageSize + 1 });
    const { items: users, nextCursor } = page(found, pageSize, userPosition);
    const organisations = actor.role === 'super_admin' ? await listOrganisations(services.db) : [];
    const organisation = orgId ? await findOrganisationById(services.db, orgId) : undefined;
    if (orgId && !organisation) throw new PermissionError(404, 'No such organisation.');
    const orgNames = Object.fromEntries(organisations.map((o) => [o.id, o.name]));
    const search = (extra: Record<string, string>) => `/admin?${new URLSearchParams({ ...(query.q ? { q: query.q } : {}), ...(query.org ? { org: query.org } : {}), ...extra })}`;

    renderPage(ctx, 'admin/users.njk', {
      section: 'users',
      notice: query.done,
      users,
      q: query.q ?? '',
      org: query.org ?? '',
      organisation,
      organisations,
      orgNames,
      showOrganisation: actor.role === 'super_admin' && !query.org,
      nextHref: nextCursor ? search({ after: nextCursor }) : null,
      firstHref: query.after ? search({}) : null,
    });
  };
}

type InviteValues = { email: string; name: string; role: string; org_id: string };

/** The role choices of a select: the roles this administrator may give, by name. */
export function roleOptions(ctx: Context) {
  return assignableRoles(actorOf(ctx)).map((role) => ({ value: role, label: ctx.state.t(`admin.role.${role}`) }));
}

async function renderInviteForm(services: Services, ctx: Context, values: InviteValues, errors: FieldError[] = []) {
  const { t } = ctx.state;
  const organisations = actorOf(ctx).role === 'super_admin' ? await listOrganisations(services.db) : [];
  renderPage(ctx, 'admin/invite.njk', {
    section: 'users',
    values,
    errors,
    roleOptions: roleOptions(ctx),
    orgOptions: organisations.length ? [{ value: '', label: t('admin.invite.choose_organisation') }, ...organisations.map((o) => ({ value: o.id, label: o.name }))] : [],
  });
}

/** GET /admin/users/new */
export function showInviteForm(services: Services) {
  return async function showInviteForm(ctx: Context) {
    const actor = actorOf(ctx);
    await renderInviteForm(services, ctx, { email: '', name: '', role: 'user', org_id: actor.orgId ?? '' });
  };
}

/** POST /admin/users: creates an invited user and emails them their link. */
export function inviteUser(services: Services) {
  return async function inviteUser(ctx: Context) {
    const { t } = ctx.state;
    const actor = actorOf(ctx);
    const form = await readProtectedForm(ctx);
    const values: InviteValues = { email: (form.email ?? '').trim(), name: (form.name ?? '').trim(), role: form.role ?? 'user', org_id: form.org_id ?? '' };
    const errors: FieldError[] = [];
    let status = 400;
    if (!values.email) errors.push({ field: 'email', message: t('admin.invite.email_missing') });
    if (values.name.length > 200) errors.push({ field: 'name', message: t('admin.directory.invalid_name') });
    if (!isRole(values.role)) {
      errors.push({ field: 'role', message: t('admin.invite.role_missing') });
    } else if (!assignableRoles(actor).includes(values.role)) {
      status = 403;
      errors.push({ field: 'role', message: t('admin.error.role_above_yours') });
    }
    if (actor.role === 'super_admin' && !z.uuid().safeParse(values.org_id).success) errors.push({ field: 'org_id', message: t('admin.invite.org_missing') });
    if (errors.length) {
      ctx.status = status;
      return renderInviteForm(services, ctx, values, errors);
    }

    try {
      const user = await services.lifecycle.invite(actor, requestOrigin(ctx), {
        email: values.email,
        name: values.name,
        role: values.role as Role,
        ...(values.org_id ? { orgId: values.org_id } : {}),
      });
      ctx.status = 303;
      ctx.redirect(`/admin/users/${user.id}?done=invited`);
    } catch (error) {
      if (!(error instanceof DirectoryError)) throw error;
      ctx.status = error.code === 'duplicate' ? 409 : 400;
      const field = error.code === 'org_required' ? 'org_id' : 'email';
      const key = error.code === 'duplicate' ? 'admin.directory.duplicate_user' : error.code === 'invalid_email' ? 'admin.directory.invalid_email' : 'admin.invite.org_missing';
      await renderInviteForm(services, ctx, values, [{ field, message: t(key) }]);
    }
  };
}
