// GET and POST /admin/api/organisations.
import type { Services } from '../../services.ts';
import { findOrganisationById, listOrganisations } from '../../queries/organisations.ts';
import { defineRoute, type ApiRoute } from './route.ts';
import { newOrganisationSchema, organisationJson, organisationListSchema, organisationSchema } from './schemas.ts';

export function organisationRoutes({ db, lifecycle }: Services): ApiRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/organisations',
      operationId: 'listOrganisations',
      tag: 'organisations',
      summary: 'List organisations',
      description: 'A super admin gets every organisation; an organisation administrator gets their own only.',
      responses: { 200: { description: 'The organisations, by name', schema: organisationListSchema } },
      async handle({ actor }) {
        const organisations = actor.role === 'super_admin' ? await listOrganisations(db) : [await findOrganisationById(db, actor.orgId!)].filter((o) => o !== undefined);
        return { status: 200, body: { items: organisations.map(organisationJson) } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/organisations',
      operationId: 'createOrganisation',
      tag: 'organisations',
      summary: 'Create an organisation (super admins only)',
      body: newOrganisationSchema,
      responses: { 201: { description: 'The new organisation', schema: organisationSchema } },
      problems: [409],
      async handle({ actor, origin, body }) {
        const organisation = await lifecycle.createOrganisation(actor, origin, body.name);
        return { status: 201, body: organisationJson(organisation) };
      },
    }),
  ];
}
