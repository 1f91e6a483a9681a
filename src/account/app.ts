// The account page as a first-party client of the provider. Its session
// follows the grant of its sign-in: ending that sign-in session (here or from
// another browser), signing out everywhere, or an administrator's reset or
// disable ends it on the next request.
import type { FirstPartyApp } from '../http/first-party/app.ts';

export const accountPage: FirstPartyApp = {
  name: 'account',
  clientId: 'govlink-account',
  clientName: 'Govlink account',
  secretPurpose: 'account-client',
  cookiePurpose: 'account-session',
  cookies: { session: 'govlink.account', login: 'govlink.account-login' },
  basePath: '/account',
  scope: 'openid profile email',
  followsGrant: true,
};
