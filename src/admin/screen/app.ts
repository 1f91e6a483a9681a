// The Update user screen as a first-party client of the provider.
import type { FirstPartyApp } from '../../http/first-party/app.ts';

export const adminScreen: FirstPartyApp = {
  name: 'admin',
  clientId: 'govlink-admin',
  clientName: 'Govlink administration',
  secretPurpose: 'admin-client',
  cookiePurpose: 'admin-session',
  cookies: { session: 'govlink.admin', login: 'govlink.admin-login' },
  basePath: '/admin',
  scope: 'openid profile email',
  followsGrant: false,
};
