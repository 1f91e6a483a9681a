// A new development database gets a demo organisation, an administrator and
// the portal client, so that `npm start` leads straight to a sign-in; every
// start ensures the clients of the first-party pages.
import { randomBytes } from 'node:crypto';
import type { Services } from './services.ts';
import { countOrganisations } from './queries/organisations.ts';
import { clientExists, findClient, updateClientMetadata } from './queries/clients.ts';
import { createOrganisation, createUser } from './accounts/directory.ts';
import { clientMetadata, registerClient } from './oidc/clients.ts';
import { firstPartyClient, type FirstPartyApp } from './http/first-party/app.ts';
import { adminScreen } from './admin/screen/app.ts';
import { accountPage } from './account/app.ts';

export const portalClientId = 'govlink-portal';

/** The portal's client secret, derived from SECRET_KEY so the portal process can know it too. */
export function portalClientSecret(services: Pick<Services, 'box'>): string {
  return services.box.derive('portal');
}

export async function ensurePortalClient(services: Services): Promise<void> {
  const { db, box, provider, config } = services;
  if (await clientExists(db, portalClientId)) return;
  await registerClient(db, box, provider, {
    clientId: portalClientId,
    name: 'Govlink portal',
    secret: portalClientSecret(services),
    redirectUris: [`${config.portal.url}/callback`],
    postLogoutRedirectUris: [`${config.portal.url}/`],
    grantTypes: ['authorization_code', 'refresh_token'],
    firstParty: true,
  });
}

/**
 * The first-party pages (the Update user screen, the account page) are part
 * of the product, so their clients are ensured on every start, production
 * included: registered when missing, and their URIs and secret brought up to
 * date when ISSUER or SECRET_KEY changed.
 */
async function ensureFirstPartyClient(services: Services, app: FirstPartyApp): Promise<void> {
  const { db, box, provider, config } = services;
  const wanted = firstPartyClient(app, config.issuer, box);
  if (!(await clientExists(db, app.clientId))) {
    try {
      await registerClient(db, box, provider, wanted);
    } catch (error) {
      // Several processes starting at once on one Postgres: one registers, the others find it.
      if (!(await clientExists(db, app.clientId))) throw error;
    }
    return;
  }
  // A secret sealed under an earlier SECRET_KEY cannot be opened: rewrite it.
  const existing = await findClient(db, box, app.clientId).catch(() => undefined);
  const metadata = clientMetadata(wanted);
  const current = existing && ['redirect_uris', 'post_logout_redirect_uris', 'client_secret'].every((key) => JSON.stringify(existing[key]) === JSON.stringify(metadata[key]));
  if (!current) await updateClientMetadata(db, box, metadata);
}

export const ensureAdminClient = (services: Services) => ensureFirstPartyClient(services, adminScreen);
export const ensureAccountClient = (services: Services) => ensureFirstPartyClient(services, accountPage);

export type SeedResult = { email: string; password: string } | null;

export async function seedDemoData(services: Services, options: { adminPassword?: string } = {}): Promise<SeedResult> {
  await ensureAdminClient(services);
  await ensureAccountClient(services);
  if (services.config.env === 'production') return null;
  await ensurePortalClient(services);
  if ((await countOrganisations(services.db)) > 0) return null;
  const organisation = await createOrganisation(services.db, 'Demo organisation');
  const password = options.adminPassword ?? `demo-${randomBytes(9).toString('base64url')}`;
  const email = 'admin@example.gov';
  await createUser(services.db, { email, orgId: organisation.id, role: 'org_admin', name: 'Demo Administrator', password });
  return { email, password };
}
