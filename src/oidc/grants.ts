// First-party clients (client metadata first_party: true) are ours: their
// users are not asked for consent. Others get the consent page.
import type { KoaContextWithOIDC } from 'oidc-provider';

export async function loadExistingGrant(ctx: KoaContextWithOIDC) {
  const { oidc } = ctx;
  const client = oidc.client!;
  const grantId = oidc.result?.consent?.grantId ?? oidc.session!.grantIdFor(client.clientId);
  let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
  if (!client.first_party) return grant;

  grant ??= new oidc.provider.Grant({ clientId: client.clientId, accountId: oidc.session!.accountId! });
  const requested = oidc.requestParamOIDCScopes ? [...oidc.requestParamOIDCScopes] : [];
  if (requested.length) grant.addOIDCScope(requested.join(' '));
  const claims = oidc.requestParamClaims ? [...oidc.requestParamClaims] : [];
  if (claims.length) grant.addOIDCClaims(claims);
  for (const [indicator, resourceServer] of Object.entries(oidc.resourceServers ?? {})) {
    grant.addResourceScope(indicator, resourceServer.scope);
  }
  await grant.save();
  return grant;
}
