// The sign-in, as the provider sends users through it:
//   GET  /interaction/:uid            shows the step the user is at
//   POST /interaction/:uid/password   step 1: email and password
//   POST /interaction/:uid/otp        step 2: a code from the authenticator
//   POST /interaction/:uid/otp-setup  step 2 for a user without one: set it up
//   GET  /interaction/:uid/passkey/options, POST …/passkey            step 2 with a passkey
//   GET  /interaction/:uid/passkey-setup/options, POST …/passkey-setup   a passkey as the first second factor
//   POST /interaction/:uid/recovery   step 2 with a recovery code
//   POST /interaction/:uid/consent    third-party clients only
//   POST /interaction/:uid/abort      "cancel": the relying party gets access_denied
// Both factors are checked before the provider hears that the login is done.
import Router from '@koa/router';
import type { Services } from '../src/services.ts';
import { loadInteraction, loadPendingLogin, requirePrompt } from './load-interaction.ts';
import { showCurrentStep } from './show-step.ts';
import { passwordStep } from './password-step.ts';
import { otpStep, otpSetupStep } from './otp-step.ts';
import { abortStep, consentStep } from './consent-step.ts';
import { passkeyOptions, passkeySetupOptions, passkeySetupStep, passkeyStep, recoveryCodeStep } from './second-factor-steps.ts';

export function interactionRoutes(services: Services): Router {
  const router = new Router({ prefix: '/interaction' });
  const load = loadInteraction(services);
  const pending = loadPendingLogin(services);
  router.get('/:uid', load, pending, showCurrentStep(services));
  router.post('/:uid/password', load, requirePrompt('login'), pending, passwordStep(services));
  router.post('/:uid/otp', load, requirePrompt('login'), pending, otpStep(services));
  router.post('/:uid/otp-setup', load, requirePrompt('login'), pending, otpSetupStep(services));
  router.get('/:uid/passkey/options', load, requirePrompt('login'), pending, passkeyOptions(services));
  router.post('/:uid/passkey', load, requirePrompt('login'), pending, passkeyStep(services));
  router.get('/:uid/passkey-setup/options', load, requirePrompt('login'), pending, passkeySetupOptions(services));
  router.post('/:uid/passkey-setup', load, requirePrompt('login'), pending, passkeySetupStep(services));
  router.post('/:uid/recovery', load, requirePrompt('login'), pending, recoveryCodeStep(services));
  router.post('/:uid/consent', load, requirePrompt('consent'), consentStep(services));
  router.post('/:uid/abort', load, abortStep(services));
  return router;
}
