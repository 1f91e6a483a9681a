// The Update user screen at /admin: server-rendered pages for organisation
// administrators, signed in through this provider like any relying party.
//   GET  /admin/sign-in                    to the provider (acr_values=mfa)
//   GET  /admin/callback                   back from it; only acr=mfa starts a session
//   POST /admin/sign-out                   ends the session here and at the provider
//   GET  /admin/signed-out                 where the provider's logout returns to
//   GET  /admin                            users: search, organisation filter, pages
//   GET  /admin/users/new, POST /admin/users           invite a user
//   GET  /admin/users/:id, POST /admin/users/:id       the Update user screen; name and role
//   POST /admin/users/:id/reinvite                     send the invitation again
//   GET|POST /admin/users/:id/{reset-password,reset-otp,disable,enable,delete}
//                                          a confirmation page, then the action
//   GET|POST /admin/organisations          super admins: list and create
import Router from '@koa/router';
import type { Services } from '../../services.ts';
import { createFirstParty } from '../../http/first-party/index.ts';
import { requireAdmin, requireSuperAdmin, showSignedOut } from './access.ts';
import { adminScreen } from './app.ts';
import { createOrganisationPage, listOrganisationsPage } from './organisations.ts';
import { screenErrors } from './pages.ts';
import { confirmAction, confirmedActions, reinviteUser, runAction, showUser, updateUser } from './user-page.ts';
import { inviteUser, listUsers, showInviteForm } from './users.ts';

export function adminScreenRoutes(services: Services): Router {
  const firstParty = createFirstParty(services, adminScreen);
  const admin = requireAdmin(services, firstParty);
  const router = new Router();
  router.use(screenErrors());

  router.get('/admin/sign-in', firstParty.startSignIn);
  router.get('/admin/callback', firstParty.completeSignIn);
  router.post('/admin/sign-out', firstParty.signOut);
  router.get('/admin/signed-out', showSignedOut());

  router.get('/admin', admin, listUsers(services));
  router.get('/admin/users/new', admin, showInviteForm(services));
  router.post('/admin/users', admin, inviteUser(services));
  router.get('/admin/users/:id', admin, showUser(services));
  router.post('/admin/users/:id', admin, updateUser(services));
  router.post('/admin/users/:id/reinvite', admin, reinviteUser(services));
  for (const action of confirmedActions) {
    router.get(`/admin/users/:id/${action.name}`, admin, confirmAction(services, action));
    router.post(`/admin/users/:id/${action.name}`, admin, runAction(services, action));
  }

  router.get('/admin/organisations', admin, requireSuperAdmin, listOrganisationsPage(services));
  router.post('/admin/organisations', admin, requireSuperAdmin, createOrganisationPage(services));
  return router;
}
