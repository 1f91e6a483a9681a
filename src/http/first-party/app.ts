// A first-party page: a part of the product that runs inside the provider
// and signs its users in through it like any relying party (the Update user
// screen at /admin, the account page at /account). Each is described once;
// its client registration (src/seed.ts) and its sign-in (this folder) read
// the same description.
import type { Purpose, SecretBox } from '../../crypto.ts';
import type { NewClient } from '../../oidc/clients.ts';

export type FirstPartyApp = {
  /** names the page in log lines and prefixes its translation keys: "admin" → admin.sign_in_failed */
  name: string;
  clientId: string;
  clientName: string;
  /** the client secret is derived from SECRET_KEY under this purpose, so every process knows it without storing it */
  secretPurpose: Purpose;
  /** the page's session and sign-in-in-progress cookies are sealed under this purpose */
  cookiePurpose: Purpose;
  cookies: { session: string; login: string };
  /** sign-in, callback, sign-out and signed-out live under it, and the session cookie is scoped to it */
  basePath: string;
  scope: string;
  /**
   * The page asks for the provider's session id (`sid`) and remembers the
   * grant its sign-in made; its own session then lasts only while that grant
   * does, so ending the sign-in session elsewhere, signing out everywhere or
   * an administrator's reset ends it on the next request.
   */
  followsGrant: boolean;
};

/** Where the provider sends the browser back with the code. */
export const callbackUrl = (app: FirstPartyApp, issuer: string) => `${issuer}${app.basePath}/callback`;

/** Where the provider's logout sends the browser back. */
export const signedOutUrl = (app: FirstPartyApp, issuer: string) => `${issuer}${app.basePath}/signed-out`;

export function firstPartySecret(app: FirstPartyApp, box: SecretBox): string {
  return box.derive(app.secretPurpose);
}

/** The client as registered with the provider: confidential, authorization code only, no consent. */
export function firstPartyClient(app: FirstPartyApp, issuer: string, box: SecretBox): NewClient {
  return {
    clientId: app.clientId,
    name: app.clientName,
    secret: firstPartySecret(app, box),
    redirectUris: [callbackUrl(app, issuer)],
    postLogoutRedirectUris: [signedOutUrl(app, issuer)],
    grantTypes: ['authorization_code'],
    firstParty: true,
  };
}
