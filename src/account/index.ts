// The account page at /account: where a user manages their own password,
// second factors, recovery codes and sign-in sessions, and sees their recent
// security events. A first-party client of this provider, signed in with
// acr=mfa; any active user may use it.
//   GET  /account/sign-in, /account/callback, POST /account/sign-out, GET /account/signed-out
//   GET  /account                                  everything, with the way to change it
//   GET|POST /account/password                     change the password
//   GET|POST /account/authenticator                replace (or add) the authenticator app
//   GET  /account/passkeys/options, POST /account/passkeys            add a passkey
//   GET|POST /account/passkeys/:id, POST /account/passkeys/:id/remove rename, remove
//   GET|POST /account/recovery-codes               make new recovery codes
//   POST /account/sessions/:uid/end                end one sign-in session
//   GET|POST /account/sign-out-everywhere          end them all
import Router from '@koa/router';
import type { Services } from '../services.ts';
import { createFirstParty } from '../http/first-party/index.ts';
import { requireAccountUser, showSignedOut } from './access.ts';
import { accountPage } from './app.ts';
import { confirmAuthenticator, showAuthenticatorSetup } from './authenticator.ts';
import { showOverview } from './overview.ts';
import { accountErrors } from './pages.ts';
import { addPasskey, passkeyRegistrationOptions, removePasskey, renamePasskey, showPasskey } from './passkeys.ts';
import { changePassword, showPasswordForm } from './password.ts';
import { confirmRecoveryCodes, regenerateRecoveryCodes } from './recovery-codes.ts';
import { confirmSignOutEverywhere, endSession, signOutEverywhere } from './sessions.ts';

export function accountRoutes(services: Services): Router {
  const firstParty = createFirstParty(services, accountPage);
  const user = requireAccountUser(services, firstParty);
  const router = new Router();
  router.use(accountErrors());

  router.get('/account/sign-in', firstParty.startSignIn);
  router.get('/account/callback', firstParty.completeSignIn);
  router.post('/account/sign-out', firstParty.signOut);
  router.get('/account/signed-out', showSignedOut());

  router.get('/account', user, showOverview(services));
  router.get('/account/password', user, showPasswordForm());
  router.post('/account/password', user, changePassword(services));
  router.get('/account/authenticator', user, showAuthenticatorSetup(services));
  router.post('/account/authenticator', user, confirmAuthenticator(services));
  router.get('/account/passkeys/options', user, passkeyRegistrationOptions(services));
  router.post('/account/passkeys', user, addPasskey(services));
  router.get('/account/passkeys/:id', user, showPasskey(services));
  router.post('/account/passkeys/:id', user, renamePasskey(services));
  router.post('/account/passkeys/:id/remove', user, removePasskey(services));
  router.get('/account/recovery-codes', user, confirmRecoveryCodes(services));
  router.post('/account/recovery-codes', user, regenerateRecoveryCodes(services));
  router.post('/account/sessions/:uid/end', user, endSession(services));
  router.get('/account/sign-out-everywhere', user, confirmSignOutEverywhere(services));
  router.post('/account/sign-out-everywhere', user, signOutEverywhere(services, firstParty));
  return router;
}
