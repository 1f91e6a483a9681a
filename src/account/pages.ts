// Rendering the account page with its top bar, and its one error boundary:
// a refusal (an HttpError) becomes a page in the account page's own look;
// anything else goes on to the app's error boundary (a logged 500).
import type { Context, Next } from 'koa';
import { HttpError } from '../http/errors.ts';
import type { FirstPartySession } from '../http/first-party/session.ts';
import type { User } from '../queries/users.ts';
import type { CurrentSignIn } from '../accounts/self-service.ts';
import { accountPage } from './app.ts';

declare module 'koa' {
  interface DefaultState {
    /** Set by requireAccountUser: the page's session and its user, read from the database on this request. */
    account?: { session: FirstPartySession; user: User };
  }
}

export type { FieldError } from '../http/views.ts';

/** Who is signed in to this request; requireAccountUser ran before. */
export function accountOf(ctx: Context): { session: FirstPartySession; user: User } {
  return ctx.state.account!;
}

/** This browser's sign-in session at the provider: the one that gave this page its sid. */
export function currentSignIn(ctx: Context): CurrentSignIn {
  return { clientId: accountPage.clientId, sid: accountOf(ctx).session.sid };
}

/** Renders an account page; the top bar shows who is signed in. */
export function renderPage(ctx: Context, template: string, data: Record<string, unknown> = {}): void {
  const account = ctx.state.account;
  const nav = account && { name: account.user.name || account.user.email };
  ctx.state.render(ctx, template, { ...data, nav });
}

export function accountErrors() {
  return async function accountErrors(ctx: Context, next: Next) {
    try {
      await next();
    } catch (caught) {
      if (!(caught instanceof HttpError)) throw caught;
      const retry = typeof caught.details?.retry === 'string' ? caught.details.retry : undefined;
      ctx.state.log?.info({ status: caught.status, refusal: caught.key }, 'account page refused a request');
      ctx.status = caught.status;
      renderPage(ctx, 'account/error.njk', { titleKey: `${caught.key}.title`, detailKey: `${caught.key}.detail`, retry });
    }
  };
}
