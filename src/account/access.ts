// Who may use the account page: any active user, signed in through the
// shared first-party sign-in with acr=mfa. On every request the page's
// session must still have its grant at the provider (ending the sign-in
// session, signing out everywhere or an administrator's reset takes it
// away) and its user must still be active in the database.
import type { Context, Next } from 'koa';
import type { Services } from '../services.ts';
import { HttpError } from '../http/errors.ts';
import type { FirstParty } from '../http/first-party/index.ts';
import { renderPage } from './pages.ts';

export function requireAccountUser(services: Services, firstParty: FirstParty) {
  return async function requireAccountUser(ctx: Context, next: Next) {
    const session = firstParty.sessions.read(ctx);
    if (!session) return firstParty.sendToSignIn(ctx);
    if (!(await firstParty.stillGranted(session))) {
      firstParty.sessions.end(ctx);
      return firstParty.sendToSignIn(ctx);
    }
    const user = await services.selfService.activeUser(session.userId);
    if (!user) {
      firstParty.sessions.end(ctx);
      throw new HttpError(403, 'account.not_active');
    }
    firstParty.sessions.touch(ctx, session);
    ctx.state.account = { session, user };
    await next();
  };
}

/** GET /account/signed-out: where the provider's logout, and signing out everywhere, end. */
export function showSignedOut() {
  return async function showSignedOut(ctx: Context) {
    renderPage(ctx, 'account/signed-out.njk', { everywhere: ctx.query.done === 'everywhere' });
  };
}
