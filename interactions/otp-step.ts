import type { Context } from 'koa';
import type { Services } from '../src/services.ts';
import type { SecondFactorOutcome } from '../src/accounts/sign-in.ts';
import { readProtectedForm } from '../src/http/csrf.ts';
import { requestOrigin } from '../src/http/origin.ts';
import { renderExpired } from './load-interaction.ts';
import { renderStep } from './show-step.ts';

/** Step 2: a code from the enrolled authenticator. */
export function otpStep(services: Services) {
  return async function otpStep(ctx: Context) {
    const { code = '' } = await readProtectedForm(ctx);
    const { pendingLogin } = ctx.state;
    if (!pendingLogin) return renderExpired(ctx);
    const outcome = await services.signIn.checkOtp(pendingLogin, code.slice(0, 32), requestOrigin(ctx));
    await finishOrExplain(services, ctx, outcome, 'code');
  };
}

/** Step 2 for a user without an authenticator: the code confirms the new one. */
export function otpSetupStep(services: Services) {
  return async function otpSetupStep(ctx: Context) {
    const { code = '' } = await readProtectedForm(ctx);
    const { pendingLogin } = ctx.state;
    if (!pendingLogin) return renderExpired(ctx);
    const outcome = await services.signIn.confirmEnrolment(pendingLogin, code.slice(0, 32), requestOrigin(ctx));
    await finishOrExplain(services, ctx, outcome, 'code');
  };
}

/**
 * Both factors are checked: the provider hears of the login now. New recovery
 * codes, or the count left after using one, are shown on the way back to the
 * relying party.
 */
export async function finishOrExplain(services: Services, ctx: Context, outcome: SecondFactorOutcome, field: 'code' | 'passkey' | 'recovery_code') {
  const { t } = ctx.state;
  if (outcome.ok) {
    const returnTo = await services.provider.interactionResult(
      ctx.req,
      ctx.res,
      { login: { accountId: outcome.user.id, acr: 'mfa', amr: outcome.amr, remember: true } },
      { mergeWithLastSubmission: false },
    );
    if (outcome.newRecoveryCodes) return ctx.state.render(ctx, 'interactions/recovery-codes.njk', { codes: outcome.newRecoveryCodes, continueTo: returnTo });
    if (outcome.recoveryCodesLeft !== undefined) return ctx.state.render(ctx, 'interactions/recovery-code-used.njk', { left: outcome.recoveryCodesLeft, continueTo: returnTo });
    ctx.status = 303;
    return ctx.redirect(returnTo);
  }
  if (outcome.reason === 'expired') return renderExpired(ctx);
  ctx.status = outcome.reason === 'locked' ? 429 : 400;
  if (outcome.reason === 'locked') ctx.set('Retry-After', String(outcome.retryAfterSeconds));
  const minutes = outcome.reason === 'locked' ? Math.ceil(outcome.retryAfterSeconds / 60) : 0;
  const message = outcome.reason === 'locked' ? t('otp.locked', { minutes }) : t(`second_factor.invalid_${field}`);
  return renderStep(services, ctx, { errors: [{ field, message }], ...(field === 'recovery_code' ? { show: 'recovery' as const } : {}) });
}
