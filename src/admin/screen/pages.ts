// Rendering the screen's pages with the top bar, and the screen's one error
// boundary: refusals from the account rules become pages in the screen's own
// look, with the signed-in administrator still shown; anything else goes on
// to the app's error boundary (a logged 500).
import type { Context, Next } from 'koa';
import type { Actor } from '../../accounts/permissions.ts';
import { PermissionError } from '../../accounts/permissions.ts';
import { DirectoryError } from '../../accounts/directory.ts';
import { HttpError } from '../../http/errors.ts';
import type { FirstPartySession } from '../../http/first-party/session.ts';

declare module 'koa' {
  interface DefaultState {
    /** Set by requireAdmin: who is signed in to the screen and, if they may use it, as what. */
    adminScreen?: { session: FirstPartySession; actor: Actor | null };
  }
}

export type { FieldError } from '../../http/views.ts';

/** Renders a screen page; the top bar shows who is signed in, with links by role. */
export function renderPage(ctx: Context, template: string, data: Record<string, unknown> = {}): void {
  const screen = ctx.state.adminScreen;
  const nav = screen && {
    name: screen.actor?.name ?? screen.session.name,
    isAdmin: Boolean(screen.actor),
    isSuperAdmin: screen.actor?.role === 'super_admin',
  };
  ctx.state.render(ctx, template, { ...data, nav });
}

type ErrorPage = { status: number; titleKey: string; detailKey: string; retry?: string };

/** Account rules that refuse are not bugs: 403/404 for permissions, 400/409 for the directory. */
function errorPage(error: unknown): ErrorPage | null {
  if (error instanceof PermissionError) {
    return error.status === 404
      ? { status: 404, titleKey: 'admin.error.not_found.title', detailKey: 'admin.error.not_found.detail' }
      : { status: 403, titleKey: 'admin.error.not_allowed.title', detailKey: 'admin.error.not_allowed.detail' };
  }
  if (error instanceof DirectoryError) {
    const known = ['invited', 'not_invited', 'not_applicable'].includes(error.code);
    return { status: error.code === 'duplicate' ? 409 : 400, titleKey: 'admin.error.cannot.title', detailKey: known ? `admin.directory.${error.code}` : 'admin.directory.other' };
  }
  if (error instanceof HttpError) {
    const retry = typeof error.details?.retry === 'string' ? error.details.retry : undefined;
    return { status: error.status, titleKey: `${error.key}.title`, detailKey: `${error.key}.detail`, ...(retry ? { retry } : {}) };
  }
  return null;
}

export function screenErrors() {
  return async function screenErrors(ctx: Context, next: Next) {
    try {
      await next();
    } catch (caught) {
      const page = errorPage(caught);
      if (!page) throw caught;
      ctx.state.log?.info({ status: page.status, refusal: page.titleKey, detail: (caught as Error).message }, 'admin screen refused a request');
      ctx.status = page.status;
      renderPage(ctx, 'admin/error.njk', page);
    }
  };
}
