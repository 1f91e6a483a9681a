// A new development database gets a demo organisation, an administrator and
// the portal client, so that `npm start` leads straight to a sign-in.
import { randomBytes } from 'node:crypto';
import type { Services } from './services.ts';
import { countOrganisations } from './queries/organisations.ts';
import { clientExists } from './queries/clients.ts';
import { createOrganisation, createUser } from './accounts/directory.ts';
import { registerClient } from './oidc/clients.ts';

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

export type SeedResult = { email: string; password: string } | null;

export async function seedDemoData(services: Services, options: { adminPassword?: string } = {}): Promise<SeedResult> {
  if (services.config.env === 'production') return null;
  await ensurePortalClient(services);
  if ((await countOrganisations(services.db)) > 0) return null;
  const organisation = await createOrganisation(services.db, 'Demo organisation');
  const password = options.adminPassword ?? `demo-${randomBytes(9).toString('base64url')}`;
  const email = 'admin@example.gov';
  await createUser(services.db, { email, orgId: organisation.id, role: 'org_admin', name: 'Demo Administrator', password });
  return { email, password };
}
