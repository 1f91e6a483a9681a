// Who may use the screen. Signing in is the shared first-party sign-in
// (src/http/first-party); the screen's session says who signed in, and the
// database says, on every request, whether they are still an active
// administrator.
import type { Context, Next } from 'koa';
import type { Services } from '../../services.ts';
import { actorForUser } from '../../accounts/actors.ts';
import { HttpError } from '../../http/errors.ts';
import type { FirstParty } from '../../http/first-party/index.ts';
import { renderPage } from './pages.ts';

/**
 * Every screen page: a live session, and its user read from the database
 * now, so a demoted, disabled or deleted administrator is refused on their
 * very next request. Without a session, GETs go to sign in and come back.
 */
export function requireAdmin(services: Services, firstParty: FirstParty) {
  return async function requireAdmin(ctx: Context, next: Next) {
    const session = firstParty.sessions.read(ctx);
    if (!session) return firstParty.sendToSignIn(ctx);
    firstParty.sessions.touch(ctx, session);
    const actor = await actorForUser(services.db, session.userId);
    ctx.state.adminScreen = { session, actor };
    if (!actor) throw new HttpError(403, 'admin.not_an_admin');
    await next();
  };
}

export async function requireSuperAdmin(ctx: Context, next: Next) {
  if (ctx.state.adminScreen?.actor?.role !== 'super_admin') throw new HttpError(403, 'admin.super_admins_only');
  await next();
}

export function showSignedOut() {
  return async function showSignedOut(ctx: Context) {
    renderPage(ctx, 'admin/signed-out.njk');
  };
}
