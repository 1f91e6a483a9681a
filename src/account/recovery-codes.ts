// GET|POST /account/recovery-codes: a confirmation, then ten new codes shown
// once; the old ones stop working.
import type { Context } from 'koa';
import type { Services } from '../services.ts';
import { recoveryCodeCount } from '../accounts/recovery-codes.ts';
import { readProtectedForm } from '../http/csrf.ts';
import { requestOrigin } from '../http/origin.ts';
import { accountOf, renderPage } from './pages.ts';

export function confirmRecoveryCodes(services: Services) {
  return async function confirmRecoveryCodes(ctx: Context) {
    const { recoveryCodesLeft } = await services.selfService.factors(accountOf(ctx).user);
    renderPage(ctx, 'account/recovery-codes-confirm.njk', { recoveryCodesLeft, count: recoveryCodeCount });
  };
}

export function regenerateRecoveryCodes(services: Services) {
  return async function regenerateRecoveryCodes(ctx: Context) {
    await readProtectedForm(ctx);
    const codes = await services.selfService.regenerateRecoveryCodes(accountOf(ctx).user, requestOrigin(ctx));
    renderPage(ctx, 'account/recovery-codes.njk', { codes });
  };
}
