// Step 2 by other means than the authenticator app: a passkey (WebAuthn,
// with a little JavaScript) or a recovery code (a plain form).
import type { Context } from 'koa';
import type { Services } from '../src/services.ts';
import { readProtectedForm } from '../src/http/csrf.ts';
import { requestOrigin } from '../src/http/origin.ts';
import { badRequest } from '../src/http/errors.ts';
import { parsePasskeyResponse } from '../src/http/passkey-response.ts';
import { renderExpired } from './load-interaction.ts';
import { finishOrExplain } from './otp-step.ts';

/** GET …/passkey/options: the WebAuthn request options for this sign-in (JSON). */
export function passkeyOptions(services: Services) {
  return async function passkeyOptions(ctx: Context) {
    const { pendingLogin } = ctx.state;
    const options = pendingLogin && (await services.signIn.passkeyOptions(pendingLogin));
    if (!options) throw badRequest();
    ctx.set('Cache-Control', 'no-store');
    ctx.body = options;
  };
}

export function passkeyStep(services: Services) {
  return async function passkeyStep(ctx: Context) {
    const { response } = await readProtectedForm(ctx);
    const { pendingLogin } = ctx.state;
    if (!pendingLogin) return renderExpired(ctx);
    const outcome = await services.signIn.checkPasskey(pendingLogin, parsePasskeyResponse(response), requestOrigin(ctx));
    await finishOrExplain(services, ctx, outcome, 'passkey');
  };
}

/** GET …/passkey-setup/options: WebAuthn creation options for a first-time passkey (JSON). */
export function passkeySetupOptions(services: Services) {
  return async function passkeySetupOptions(ctx: Context) {
    const { pendingLogin } = ctx.state;
    const options = pendingLogin && (await services.signIn.passkeySetupOptions(pendingLogin));
    if (!options) throw badRequest();
    ctx.set('Cache-Control', 'no-store');
    ctx.body = options;
  };
}

export function passkeySetupStep(services: Services) {
  return async function passkeySetupStep(ctx: Context) {
    const { response, name = '' } = await readProtectedForm(ctx);
    const { pendingLogin } = ctx.state;
    if (!pendingLogin) return renderExpired(ctx);
    const outcome = await services.signIn.confirmPasskeyEnrolment(pendingLogin, parsePasskeyResponse(response), name, requestOrigin(ctx));
    await finishOrExplain(services, ctx, outcome, 'passkey');
  };
}

export function recoveryCodeStep(services: Services) {
  return async function recoveryCodeStep(ctx: Context) {
    const { recovery_code: code = '' } = await readProtectedForm(ctx);
    const { pendingLogin } = ctx.state;
    if (!pendingLogin) return renderExpired(ctx);
    const outcome = await services.signIn.checkRecoveryCode(pendingLogin, code.slice(0, 64), requestOrigin(ctx));
    await finishOrExplain(services, ctx, outcome, 'recovery_code');
  };
}
