// Passkeys on the account page:
//   GET  /account/passkeys/options     WebAuthn creation options (JSON), for passkey.js
//   POST /account/passkeys             the new credential (`response`) and its `name`
//   GET  /account/passkeys/:id         rename it, or remove it
//   POST /account/passkeys/:id         rename
//   POST /account/passkeys/:id/remove  remove, unless it is the last second factor
import type { Context } from 'koa';
import type { Services } from '../services.ts';
import type { Passkey } from '../accounts/passkeys.ts';
import { readProtectedForm } from '../http/csrf.ts';
import { HttpError } from '../http/errors.ts';
import { requestOrigin } from '../http/origin.ts';
import { parsePasskeyResponse } from '../http/passkey-response.ts';
import { utc } from '../http/format.ts';
import { renderOverview } from './overview.ts';
import { accountOf, renderPage, type FieldError } from './pages.ts';

const maxPasskeyName = 100;
const passkeyId = /^[\w-]{1,1024}$/;

/** A passkey name as typed: trimmed, with line breaks and other control characters removed. */
function cleanName(input: string | undefined): string {
  return (input ?? '').replace(/\p{Cc}/gu, ' ').trim();
}

export function passkeyRegistrationOptions(services: Services) {
  return async function passkeyRegistrationOptions(ctx: Context) {
    const options = await services.selfService.passkeyRegistrationOptions(accountOf(ctx).user);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = options;
  };
}

export function addPasskey(services: Services) {
  return async function addPasskey(ctx: Context) {
    const { t } = ctx.state;
    const form = await readProtectedForm(ctx);
    const name = cleanName(form.name);
    if (name.length > maxPasskeyName) {
      ctx.status = 400;
      return renderOverview(services, ctx, { errors: [{ field: 'name', message: t('account.passkeys.name_too_long', { max: maxPasskeyName }) }] });
    }
    const passkey = await services.selfService.addPasskey(accountOf(ctx).user, parsePasskeyResponse(form.response), name, requestOrigin(ctx));
    if (!passkey) {
      ctx.status = 400;
      return renderOverview(services, ctx, { errors: [{ field: 'add-passkey', message: t('account.passkeys.not_added') }] });
    }
    ctx.status = 303;
    ctx.redirect('/account?done=passkey_added');
  };
}

async function ownPasskey(services: Services, ctx: Context): Promise<Passkey> {
  const id = ctx.params.id ?? '';
  const passkey = passkeyId.test(id) ? await services.selfService.passkey(accountOf(ctx).user, id) : undefined;
  if (!passkey) throw new HttpError(404, 'account.passkey_not_found');
  return passkey;
}

async function renderPasskeyPage(services: Services, ctx: Context, passkey: Passkey, options: { errors?: FieldError[]; name?: string } = {}) {
  const { totp, passkeys } = await services.selfService.factors(accountOf(ctx).user);
  renderPage(ctx, 'account/passkey.njk', {
    passkey: { id: passkey.id, name: passkey.name, created: utc(passkey.createdAt) },
    name: options.name ?? passkey.name,
    errors: options.errors ?? [],
    maxName: maxPasskeyName,
    isLastFactor: !totp && passkeys.length === 1,
  });
}

export function showPasskey(services: Services) {
  return async function showPasskey(ctx: Context) {
    await renderPasskeyPage(services, ctx, await ownPasskey(services, ctx));
  };
}

export function renamePasskey(services: Services) {
  return async function renamePasskey(ctx: Context) {
    const { t } = ctx.state;
    const form = await readProtectedForm(ctx);
    const passkey = await ownPasskey(services, ctx);
    const name = cleanName(form.name);
    if (!name || name.length > maxPasskeyName) {
      ctx.status = 400;
      const message = name ? t('account.passkeys.name_too_long', { max: maxPasskeyName }) : t('account.passkeys.name_missing');
      return renderPasskeyPage(services, ctx, passkey, { name, errors: [{ field: 'name', message }] });
    }
    if (!(await services.selfService.renamePasskey(accountOf(ctx).user, passkey.id, name, requestOrigin(ctx)))) throw new HttpError(404, 'account.passkey_not_found');
    ctx.status = 303;
    ctx.redirect('/account?done=passkey_renamed');
  };
}

export function removePasskey(services: Services) {
  return async function removePasskey(ctx: Context) {
    const { t } = ctx.state;
    await readProtectedForm(ctx);
    const passkey = await ownPasskey(services, ctx);
    const outcome = await services.selfService.removePasskey(accountOf(ctx).user, passkey.id, requestOrigin(ctx));
    if (!outcome.ok && outcome.reason === 'not_found') throw new HttpError(404, 'account.passkey_not_found');
    if (!outcome.ok) {
      ctx.status = 409;
      return renderPasskeyPage(services, ctx, passkey, { errors: [{ field: 'remove-passkey', message: t('account.passkeys.last_factor') }] });
    }
    ctx.status = 303;
    ctx.redirect('/account?done=passkey_removed');
  };
}
