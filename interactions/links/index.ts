// The pages behind emailed links:
//   GET  /link/:token           the step the user is at, or why the link no longer works
//   POST /link/:token/password  choose a password (invitation, reset), or confirm the current one (OTP reset)
//   POST /link/:token/otp       confirm the new authenticator with one code (invitation, OTP reset)
import Router from '@koa/router';
import type { Context, Next } from 'koa';
import type { Services } from '../../src/services.ts';
import type { FieldError } from '../../src/http/views.ts';
import type { LinkLookup } from '../../src/accounts/action-links.ts';
import { newTotpSecret, totpEnrolment } from '../../src/accounts/totp.ts';
import { readProtectedForm } from '../../src/http/csrf.ts';
import { requestOrigin } from '../../src/http/origin.ts';
import { clearFlow, readFlow, writeFlow } from './flow-cookie.ts';

type ValidLink = Extract<LinkLookup, { state: 'valid' }>;

declare module 'koa' {
  interface DefaultState {
    actionLink: ValidLink;
  }
}


export function linkRoutes(services: Services): Router {
  const router = new Router({ prefix: '/link' });
  router.get('/:token', loadLink(services), showStep(services));
  router.post('/:token/password', loadLink(services), passwordStep(services));
  router.post('/:token/otp', loadLink(services), otpStep(services));
  return router;
}

/** Finds the link; an expired, used, superseded or unknown one gets a page that says so. */
function loadLink(services: Services) {
  return async function loadLink(ctx: Context, next: Next) {
    const lookup = await services.links.inspect(services.db, ctx.params.token ?? '');
    if (lookup.state !== 'valid') {
      if (lookup.state === 'expired' && lookup.link && lookup.user) await services.linkFlows.noticeExpired(lookup.link, lookup.user, requestOrigin(ctx));
      clearFlow(ctx);
      ctx.status = lookup.state === 'unknown' ? 404 : 410;
      return ctx.state.render(ctx, 'links/problem.njk', { state: lookup.state, kind: lookup.link?.kind });
    }
    ctx.state.actionLink = lookup;
    await next();
  };
}

function pageBase(ctx: Context) {
  const { link, user } = ctx.state.actionLink;
  return { kind: link.kind, token: ctx.params.token, email: user.email, expiresAt: link.expiresAt.toISOString().replace('T', ' ').slice(0, 16) + ' UTC' };
}

async function renderEnrolment(ctx: Context, secret: string, errors: FieldError[] = []) {
  ctx.state.render(ctx, 'links/otp-setup.njk', { ...pageBase(ctx), errors, ...(await totpEnrolment(secret, ctx.state.actionLink.user.email)) });
}

function showStep(services: Services) {
  return async function showStep(ctx: Context) {
    const { link } = ctx.state.actionLink;
    const flow = readFlow(ctx, services, link.id);
    if (flow?.secret) return renderEnrolment(ctx, flow.secret);
    const template = link.kind === 'otp_reset' ? 'links/verify-password.njk' : 'links/choose-password.njk';
    ctx.state.render(ctx, template, pageBase(ctx));
  };
}

function passwordStep(services: Services) {
  return async function passwordStep(ctx: Context) {
    const { t } = ctx.state;
    const { link, user } = ctx.state.actionLink;
    const { password = '', password_confirm: confirmation = '' } = await readProtectedForm(ctx);
    const origin = requestOrigin(ctx);

    if (link.kind === 'otp_reset') {
      const verdict = password ? await services.linkFlows.verifyCurrentPassword(user, password.slice(0, 1024), origin) : ({ ok: false, locked: false } as const);
      if (!verdict.ok) {
        ctx.status = verdict.locked ? 429 : 400;
        const message = verdict.locked ? t('sign_in.locked', { minutes: Math.ceil((verdict.retryAfterSeconds ?? 60) / 60) }) : t('links.password_wrong');
        return ctx.state.render(ctx, 'links/verify-password.njk', { ...pageBase(ctx), errors: [{ field: 'password', message }] });
      }
      const flow = { linkId: link.id, passwordVerified: true, secret: newTotpSecret() };
      writeFlow(ctx, services, flow);
      return ctx.redirect(`/link/${ctx.params.token}`);
    }

    const problems = services.linkFlows.checkNewPassword(user, password, confirmation);
    if (problems.length) {
      ctx.status = 400;
      const errors = problems.map((problem) => ({ field: problem === 'mismatch' ? 'password_confirm' : 'password', message: t(`password.${problem}`) }));
      return ctx.state.render(ctx, 'links/choose-password.njk', { ...pageBase(ctx), errors });
    }
    if (link.kind === 'password_reset') {
      const outcome = await services.linkFlows.completePasswordReset(link, user, password, origin);
      if (!outcome.ok) return gone(ctx);
      return ctx.state.render(ctx, 'links/done.njk', pageBase(ctx));
    }
    writeFlow(ctx, services, { linkId: link.id, passwordHash: await services.linkFlows.hashChosenPassword(password), secret: newTotpSecret() });
    ctx.redirect(`/link/${ctx.params.token}`);
  };
}

function otpStep(services: Services) {
  return async function otpStep(ctx: Context) {
    const { t } = ctx.state;
    const { link, user } = ctx.state.actionLink;
    const { code = '' } = await readProtectedForm(ctx);
    const flow = readFlow(ctx, services, link.id);
    // Without the password step in this browser there is nothing to confirm.
    if (!flow?.secret || (link.kind === 'invitation' ? !flow.passwordHash : !flow.passwordVerified)) return ctx.redirect(`/link/${ctx.params.token}`);
    const origin = requestOrigin(ctx);
    const outcome =
      link.kind === 'invitation'
        ? await services.linkFlows.completeInvitation(link, user, flow.passwordHash!, flow.secret, code.slice(0, 32), origin)
        : await services.linkFlows.completeOtpReset(link, user, flow.secret, code.slice(0, 32), origin);
    if (outcome.ok) {
      clearFlow(ctx);
      return ctx.state.render(ctx, 'links/done.njk', { ...pageBase(ctx), codes: outcome.recoveryCodes });
    }
    if (outcome.reason === 'link_gone') return gone(ctx);
    ctx.status = outcome.reason === 'locked' ? 429 : 400;
    const message = outcome.reason === 'locked' ? t('otp.locked', { minutes: Math.ceil((outcome.retryAfterSeconds ?? 60) / 60) }) : t('otp_setup.invalid');
    return renderEnrolment(ctx, flow.secret, [{ field: 'code', message }]);
  };
}

function gone(ctx: Context) {
  clearFlow(ctx);
  ctx.status = 410;
  ctx.state.render(ctx, 'links/problem.njk', { state: 'used', kind: ctx.state.actionLink.link.kind });
}
