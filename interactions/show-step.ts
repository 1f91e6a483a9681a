import type { Context } from 'koa';
import type { Services } from '../src/services.ts';
import type { FieldError } from '../src/http/views.ts';
import { totpEnrolment } from '../src/accounts/totp.ts';
import { describeConsent, grantConsent } from './consent-step.ts';

export type StepPageData = { errors?: FieldError[]; email?: string; show?: 'recovery' };

/** Renders the page for wherever this interaction is: password, second factor, set-up or consent. */
export function showCurrentStep(services: Services) {
  return async function showCurrentStep(ctx: Context) {
    await renderStep(services, ctx, {});
  };
}

export async function renderStep(services: Services, ctx: Context, data: StepPageData) {
  const { interaction } = ctx.state;
  const client = await services.provider.Client.find(String(interaction.params.client_id));
  const base = { uid: interaction.uid, clientName: client?.clientName ?? client?.clientId, ...data };
  if (interaction.prompt.name === 'consent') {
    // First-party clients are ours: their users are never asked, even with prompt=consent.
    if (client?.first_party) {
      ctx.status = 303;
      return ctx.redirect(await grantConsent(services, ctx));
    }
    return ctx.state.render(ctx, 'interactions/consent.njk', { ...base, ...describeConsent(interaction) });
  }
  const pending = ctx.state.pendingLogin;
  if (!pending) return ctx.state.render(ctx, 'interactions/password.njk', base);
  const need = await services.signIn.secondFactorNeed(pending.user);
  if (need.kind === 'verify') return ctx.state.render(ctx, 'interactions/second-factor.njk', { ...base, factors: need });
  if (need.kind === 'reset_pending') {
    ctx.status = 403;
    return ctx.state.render(ctx, 'interactions/otp-reset-pending.njk', base);
  }
  const enrolment = await totpEnrolment(await services.signIn.enrolmentSecret(pending.login), pending.user.email);
  return ctx.state.render(ctx, 'interactions/otp-setup.njk', { ...base, ...enrolment });
}
