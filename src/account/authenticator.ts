// GET|POST /account/authenticator: a new authenticator app in place of the
// old one (or a first one, for a user with passkeys only). The new secret
// waits in a sealed cookie scoped to this page until a code from the new app
// confirms it, so an abandoned attempt leaves nothing in the database and
// the old app keeps working until then.
import type { Context } from 'koa';
import { z } from 'zod';
import type { Services } from '../services.ts';
import { newTotpSecret, totpEnrolment } from '../accounts/totp.ts';
import { readProtectedForm } from '../http/csrf.ts';
import { requestOrigin } from '../http/origin.ts';
import { sealedCookies } from '../http/sealed-cookie.ts';
import { accountPage } from './app.ts';
import { accountOf, renderPage, type FieldError } from './pages.ts';

const flowCookie = 'govlink.account-totp';
const flowPath = '/account/authenticator';
const flowSeconds = 30 * 60;
const flowSchema = z.object({ purpose: z.literal('account-totp'), userId: z.string(), secret: z.string(), exp: z.number() });

function enrolmentFlow(services: Services) {
  const cookies = sealedCookies(services.box, accountPage.cookiePurpose);
  const nowSeconds = () => services.clock.now().getTime() / 1000;
  return {
    /** The secret being set up by this user in this browser, if the flow has not expired. */
    read(ctx: Context, userId: string): string | null {
      const flow = cookies.read(ctx, flowCookie, flowSchema);
      return flow && flow.userId === userId && flow.exp > nowSeconds() ? flow.secret : null;
    },
    write(ctx: Context, userId: string, secret: string): void {
      cookies.write(ctx, flowCookie, flowPath, { purpose: 'account-totp', userId, secret, exp: Math.floor(nowSeconds()) + flowSeconds }, flowSeconds * 1000);
    },
    clear(ctx: Context): void {
      cookies.clear(ctx, flowCookie, flowPath);
    },
  };
}

async function renderEnrolment(services: Services, ctx: Context, secret: string, errors: FieldError[] = []) {
  const { user } = accountOf(ctx);
  const { totp } = await services.selfService.factors(user);
  renderPage(ctx, 'account/authenticator.njk', { errors, replacing: Boolean(totp), ...(await totpEnrolment(secret, user.email)) });
}

export function showAuthenticatorSetup(services: Services) {
  const flow = enrolmentFlow(services);
  return async function showAuthenticatorSetup(ctx: Context) {
    const { user } = accountOf(ctx);
    let secret = flow.read(ctx, user.id);
    if (!secret) {
      secret = newTotpSecret();
      flow.write(ctx, user.id, secret);
    }
    await renderEnrolment(services, ctx, secret);
  };
}

export function confirmAuthenticator(services: Services) {
  const flow = enrolmentFlow(services);
  return async function confirmAuthenticator(ctx: Context) {
    const { t } = ctx.state;
    const { user } = accountOf(ctx);
    const { code = '' } = await readProtectedForm(ctx);
    const secret = flow.read(ctx, user.id);
    ctx.status = 303;
    // Without the set-up page in this browser there is nothing to confirm.
    if (!secret) return ctx.redirect(flowPath);
    const outcome = await services.selfService.confirmTotp(user, secret, code.slice(0, 32), requestOrigin(ctx));
    if (outcome.ok) {
      flow.clear(ctx);
      return ctx.redirect(`/account?done=${outcome.replaced ? 'totp_replaced' : 'totp_added'}`);
    }
    if (outcome.reason === 'locked') {
      ctx.status = 429;
      ctx.set('Retry-After', String(outcome.retryAfterSeconds));
      return renderEnrolment(services, ctx, secret, [{ field: 'code', message: t('otp.locked', { minutes: Math.ceil(outcome.retryAfterSeconds / 60) }) }]);
    }
    ctx.status = 400;
    await renderEnrolment(services, ctx, secret, [{ field: 'code', message: t('otp_setup.invalid') }]);
  };
}
