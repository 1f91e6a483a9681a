import type { Context } from 'koa';
import { z } from 'zod';
import type { Services } from '../src/services.ts';
import { readProtectedForm } from '../src/http/csrf.ts';
import { requestOrigin } from '../src/http/origin.ts';
import { renderStep } from './show-step.ts';

const passwordForm = z.object({
  email: z.string().trim().min(1).max(254),
  password: z.string().min(1).max(1024),
});

/** Step 1. Success leads to the second-factor page; failure tells nothing about the account. */
export function passwordStep(services: Services) {
  return async function passwordStep(ctx: Context) {
    const { t } = ctx.state;
    const fields = await readProtectedForm(ctx);
    const form = passwordForm.safeParse(fields);
    if (!form.success) {
      ctx.status = 400;
      const errors = [];
      if (!fields.email?.trim()) errors.push({ field: 'email', message: t('sign_in.email_missing') });
      if (!fields.password) errors.push({ field: 'password', message: t('sign_in.password_missing') });
      if (!errors.length) errors.push({ field: 'email', message: t('sign_in.invalid_credentials') });
      return renderStep(services, ctx, { errors, email: fields.email?.slice(0, 254) });
    }
    const outcome = await services.signIn.checkPassword(ctx.state.interaction.uid, form.data.email, form.data.password, requestOrigin(ctx));
    if (outcome.ok) return ctx.redirect(`/interaction/${ctx.state.interaction.uid}`);
    ctx.status = outcome.reason === 'locked' ? 429 : outcome.reason === 'disabled' ? 403 : 400;
    if (outcome.reason === 'locked') ctx.set('Retry-After', String(outcome.retryAfterSeconds));
    const message =
      outcome.reason === 'locked'
        ? t('sign_in.locked', { minutes: Math.ceil(outcome.retryAfterSeconds / 60) })
        : outcome.reason === 'disabled'
          ? t('sign_in.disabled')
          : t('sign_in.invalid_credentials');
    return renderStep(services, ctx, { errors: [{ field: 'email', message }], email: form.data.email });
  };
}
