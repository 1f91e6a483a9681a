import type { Context } from 'koa';
import type { Interaction } from 'oidc-provider';
import type { Services } from '../src/services.ts';
import { readProtectedForm } from '../src/http/csrf.ts';

/** What the client asks for that is not granted yet, as oidc-provider's consent prompt reports it. */
const missingGrants = (interaction: Interaction) =>
  interaction.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };

/** What the consent page lists: the scopes and claims the client asks for that are not yet granted. */
export function describeConsent(interaction: Interaction) {
  const details = missingGrants(interaction);
  return {
    scopes: (details.missingOIDCScope ?? []).filter((s) => s !== 'openid'),
    claims: details.missingOIDCClaims ?? [],
    resources: Object.keys(details.missingResourceScopes ?? {}),
  };
}

/** Grants what the client asked for and returns where the provider continues. */
export async function grantConsent({ provider }: Services, ctx: Context): Promise<string> {
  const { interaction } = ctx.state;
  const details = missingGrants(interaction);
  const accountId = interaction.session!.accountId;
  const grant = interaction.grantId
    ? (await provider.Grant.find(interaction.grantId))!
    : new provider.Grant({ accountId, clientId: String(interaction.params.client_id) });
  if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
  if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
  const grantId = await grant.save();
  return provider.interactionResult(ctx.req, ctx.res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

export function consentStep(services: Services) {
  return async function consentStep(ctx: Context) {
    await readProtectedForm(ctx);
    ctx.status = 303;
    ctx.redirect(await grantConsent(services, ctx));
  };
}

export function abortStep({ provider }: Services) {
  return async function abortStep(ctx: Context) {
    await readProtectedForm(ctx);
    const returnTo = await provider.interactionResult(
      ctx.req,
      ctx.res,
      { error: 'access_denied', error_description: 'The user cancelled the sign-in' },
      { mergeWithLastSubmission: false },
    );
    ctx.status = 303;
    ctx.redirect(returnTo);
  };
}
