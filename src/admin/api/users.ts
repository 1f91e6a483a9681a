// /admin/api/users and /admin/api/users/{id}: list and search, invite, read,
// edit, delete. The rules (who may do what to whom) live in the lifecycle.
import { z } from 'zod';
import type { Services } from '../../services.ts';
import { searchUsers } from '../../queries/users.ts';
import { defineRoute, type ApiRoute } from './route.ts';
import { newUserSchema, userJson, userListSchema, userPatchSchema, userSchema } from './schemas.ts';
import { page, pageSize, userCursorParameter, userPosition } from './cursor.ts';
import { organisationFilter } from './scope.ts';

const userListQuery = z.strictObject({
  org: z.uuid().optional().describe("an organisation id; org admins may give only their own (another is 404), super admins get every organisation's users without it"),
  q: z.string().trim().max(200).optional().describe('finds users whose email or name contains this text, case-insensitively'),
  limit: pageSize(50),
  cursor: userCursorParameter.optional(),
});

export function userRoutes({ db, lifecycle }: Services): ApiRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/users',
      operationId: 'listUsers',
      tag: 'users',
      summary: 'List and search users, by email, a page at a time',
      query: userListQuery,
      responses: { 200: { description: 'A page of users', schema: userListSchema } },
      problems: [404],
      async handle({ actor, query }) {
        const orgId = await organisationFilter(db, actor, query.org);
        const rows = await searchUsers(db, { orgId, q: query.q || undefined, after: query.cursor, limit: query.limit + 1 });
        const { items, nextCursor } = page(rows, query.limit, userPosition);
        return { status: 200, body: { items: items.map(userJson), ...(nextCursor ? { nextCursor } : {}) } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/users',
      operationId: 'inviteUser',
      tag: 'users',
      summary: 'Invite a user: they get an email with a link to choose a password and set up their authenticator',
      body: newUserSchema,
      responses: { 201: { description: 'The invited user (status invited)', schema: userSchema } },
      problems: [404, 409],
      async handle({ actor, origin, body }) {
        const user = await lifecycle.invite(actor, origin, body);
        return { status: 201, body: userJson(user), location: `/admin/api/users/${user.id}` };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/users/{id}',
      operationId: 'getUser',
      tag: 'users',
      summary: 'Read a user',
      responses: { 200: { description: 'The user', schema: userSchema } },
      problems: [404],
      async handle({ actor, params }) {
        return { status: 200, body: userJson(await lifecycle.visibleUser(actor, params.id!)) };
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/users/{id}',
      operationId: 'updateUser',
      tag: 'users',
      summary: 'Change the name or role of a user, or disable or enable them',
      description: 'Disabling ends every session and token of the user. Nobody can change their own role or status.',
      body: userPatchSchema,
      responses: { 200: { description: 'The user as changed', schema: userSchema } },
      problems: [404, 409],
      async handle({ actor, origin, params, body }) {
        return { status: 200, body: userJson(await lifecycle.update(actor, origin, params.id!, body)) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/users/{id}',
      operationId: 'deleteUser',
      tag: 'users',
      summary: 'Delete a user',
      description: 'Ends every session and token of the user. Their audit events are kept.',
      responses: { 204: { description: 'Deleted' } },
      problems: [404],
      async handle({ actor, origin, params }) {
        await lifecycle.delete(actor, origin, params.id!);
        return { status: 204 };
      },
    }),
  ];
}
