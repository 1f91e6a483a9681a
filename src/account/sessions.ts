// The user's sign-in sessions:
//   POST /account/sessions/:uid/end          end one (that browser signs in again)
//   GET|POST /account/sign-out-everywhere    a confirmation, then every session, grant and refresh token
import type { Context } from 'koa';
import type { Services } from '../services.ts';
import { readProtectedForm } from '../http/csrf.ts';
import { HttpError } from '../http/errors.ts';
import { requestOrigin } from '../http/origin.ts';
import type { FirstParty } from '../http/first-party/index.ts';
import { accountOf, renderPage } from './pages.ts';

const sessionUid = /^[\w-]{1,64}$/;

export function endSession(services: Services) {
  return async function endSession(ctx: Context) {
    await readProtectedForm(ctx);
    const uid = ctx.params.uid ?? '';
    if (!sessionUid.test(uid) || !(await services.selfService.endSession(accountOf(ctx).user, uid, requestOrigin(ctx)))) throw new HttpError(404, 'account.session_not_found');
    ctx.status = 303;
    ctx.redirect('/account?done=session_ended');
  };
}

export function confirmSignOutEverywhere(services: Services) {
  return async function confirmSignOutEverywhere(ctx: Context) {
    const sessions = await services.selfService.sessions(accountOf(ctx).user);
    renderPage(ctx, 'account/sign-out-everywhere.njk', { sessionCount: sessions.length });
  };
}

/** Ends this page's session too: its grant went with the rest. */
export function signOutEverywhere(services: Services, firstParty: FirstParty) {
  return async function signOutEverywhere(ctx: Context) {
    await readProtectedForm(ctx);
    await services.selfService.signOutEverywhere(accountOf(ctx).user, requestOrigin(ctx));
    firstParty.sessions.end(ctx);
    ctx.status = 303;
    ctx.redirect('/account/signed-out?done=everywhere');
  };
}
