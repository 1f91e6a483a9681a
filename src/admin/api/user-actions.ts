// What an administrator does to a user beyond editing: the resets that email
// a link, sending an invitation again, and the links still waiting.
import type { Services } from '../../services.ts';
import type { Actor } from '../../accounts/permissions.ts';
import type { Origin } from '../../accounts/audit.ts';
import { defineRoute, type ApiAnswer, type ApiRoute, type RouteDoc } from './route.ts';
import { actionLinkListSchema, iso, isoOrNull, resetOtpSchema } from './schemas.ts';

const accepted: ApiAnswer = { status: 202 };

export function userActionRoutes({ db, links, lifecycle }: Services): ApiRoute[] {
  const action = (doc: Pick<RouteDoc, 'path' | 'operationId' | 'summary' | 'description'>, act: (actor: Actor, origin: Origin, userId: string) => Promise<void>) =>
    defineRoute({
      method: 'post',
      tag: 'users',
      ...doc,
      responses: { 202: { description: 'Done; the email is on its way' } },
      problems: [404, 409],
      async handle({ actor, origin, params }) {
        await act(actor, origin, params.id!);
        return accepted;
      },
    });

  return [
    action(
      {
        path: '/users/{id}/reset-password',
        operationId: 'resetPassword',
        summary: "Reset a user's password",
        description: 'The old password stops working at once and every session ends; the user is emailed a link, valid for ACTION_LINK_TTL, to choose a new one. 409 for a user who has not accepted their invitation.',
      },
      (actor, origin, id) => lifecycle.resetPassword(actor, origin, id),
    ),
    defineRoute({
      method: 'post',
      path: '/users/{id}/reset-otp',
      operationId: 'resetOtp',
      tag: 'users',
      summary: "Reset a user's one-time code authenticator",
      description:
        'The authenticator and the recovery codes are removed at once, and every session ends; passkeys too unless removePasskeys is false. Sign-in is refused until the user enrols a new authenticator through the emailed link (or signs in with a kept passkey). The body is optional. 409 for a user who has not accepted their invitation.',
      body: resetOtpSchema,
      bodyOptional: true,
      responses: { 202: { description: 'Done; the email is on its way' } },
      problems: [404, 409],
      async handle({ actor, origin, params, body }) {
        await lifecycle.resetOtp(actor, origin, params.id!, { removePasskeys: body.removePasskeys });
        return accepted;
      },
    }),
    action(
      {
        path: '/users/{id}/resend-invitation',
        operationId: 'resendInvitation',
        summary: 'Send the invitation again, with a new link',
        description: 'The previous invitation link stops working. 409 for a user who has accepted their invitation.',
      },
      (actor, origin, id) => lifecycle.reinvite(actor, origin, id),
    ),
    defineRoute({
      method: 'get',
      path: '/users/{id}/links',
      operationId: 'listOpenLinks',
      tag: 'users',
      summary: "A user's emailed links that are still open, with when they expire and whether their mail was delivered",
      responses: { 200: { description: 'Open links, newest first', schema: actionLinkListSchema } },
      problems: [404],
      async handle({ actor, params }) {
        const user = await lifecycle.visibleUser(actor, params.id!);
        const items = (await links.openWithDelivery(db, user.id)).map(({ link, mail }) => ({
          id: link.id,
          kind: link.kind,
          createdAt: iso(link.createdAt),
          expiresAt: iso(link.expiresAt),
          mail: mail ? { status: mail.status, lastError: mail.lastError, sentAt: isoOrNull(mail.sentAt) } : null,
        }));
        return { status: 200, body: { items } };
      },
    }),
  ];
}
