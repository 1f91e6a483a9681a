// GET|POST /account/password: a new password, given the current one.
import type { Context } from 'koa';
import type { Services } from '../services.ts';
import { readProtectedForm } from '../http/csrf.ts';
import { requestOrigin } from '../http/origin.ts';
import { accountOf, currentSignIn, renderPage, type FieldError } from './pages.ts';

/** Longer inputs are refused by the policy anyway; this keeps argon2 from hashing megabytes. */
const maxInput = 1024;

function renderForm(ctx: Context, errors: FieldError[] = [], endOtherSessions = true) {
  renderPage(ctx, 'account/password.njk', { errors, endOtherSessions });
}

export function showPasswordForm() {
  return async function showPasswordForm(ctx: Context) {
    renderForm(ctx);
  };
}

export function changePassword(services: Services) {
  return async function changePassword(ctx: Context) {
    const { t } = ctx.state;
    const { user } = accountOf(ctx);
    const form = await readProtectedForm(ctx);
    const current = (form.current_password ?? '').slice(0, maxInput);
    const password = (form.password ?? '').slice(0, maxInput);
    const confirmation = (form.password_confirm ?? '').slice(0, maxInput);
    const endOtherSessions = form.end_other_sessions === 'yes';

    if (!current) {
      ctx.status = 400;
      const problems = services.selfService.passwordProblems(user, password, confirmation);
      return renderForm(ctx, [{ field: 'current_password', message: t('account.password.current_missing') }, ...problemErrors(t, problems)], endOtherSessions);
    }
    const outcome = await services.selfService.changePassword(user, { current, password, confirmation }, requestOrigin(ctx), { endOtherSessions, current: currentSignIn(ctx) });
    if (outcome.ok) {
      ctx.status = 303;
      return ctx.redirect('/account?done=password_changed');
    }
    if (outcome.reason === 'locked') {
      ctx.status = 429;
      ctx.set('Retry-After', String(outcome.retryAfterSeconds));
      return renderForm(ctx, [{ field: 'current_password', message: t('sign_in.locked', { minutes: Math.ceil(outcome.retryAfterSeconds / 60) }) }], endOtherSessions);
    }
    ctx.status = 400;
    const errors = [...(outcome.wrongCurrent ? [{ field: 'current_password', message: t('account.password.current_wrong') }] : []), ...problemErrors(t, outcome.problems)];
    renderForm(ctx, errors, endOtherSessions);
  };
}

function problemErrors(t: Context['state']['t'], problems: string[]): FieldError[] {
  return problems.map((problem) => ({ field: problem === 'mismatch' ? 'password_confirm' : 'password', message: t(`password.${problem}`) }));
}
