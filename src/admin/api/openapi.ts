// GET /admin/api/openapi.json: an OpenAPI 3.1 document built from the routes
// themselves (paths, methods, zod schemas), so it says what the API does.
import { z } from 'zod';
import type { Services } from '../../services.ts';
import { adminApiResource, adminApiScope } from '../../oidc/resources.ts';
import { definePublicRoute, type ApiRoute } from './route.ts';
import { problemSchema, requestSchemas, responseSchemas } from './schemas.ts';

type JsonSchema = Record<string, unknown>;
type Registry = typeof requestSchemas;

const schemaRefBase = '#/components/schemas/';

const reasons: Record<number, string> = {
  400: 'The request is not valid: the problem lists the fields',
  401: 'No valid access token for this API (see WWW-Authenticate)',
  403: 'The caller may not do this',
  404: 'No such resource, or one in another organisation',
  409: 'The request conflicts with the current state (a duplicate, or a user in the wrong status)',
  415: 'The body is not application/json',
};

/** A registry's schemas as OpenAPI components: JSON Schema 2020-12 without the $schema and $id noise. */
function components(registry: Registry, io: 'input' | 'output'): Record<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(registry, { io, uri: (id) => `${schemaRefBase}${id}` }) as { schemas: Record<string, JsonSchema> };
  return Object.fromEntries(Object.entries(schemas).map(([id, { $schema: _s, $id: _i, ...schema }]) => [id, schema]));
}

function ref(schema: z.ZodType): JsonSchema {
  const id = responseSchemas.get(schema)?.id ?? requestSchemas.get(schema)?.id;
  if (!id) throw new Error('document only named schemas as bodies: add the schema to a registry in schemas.ts');
  return { $ref: `${schemaRefBase}${id}` };
}

function parameters(route: ApiRoute): JsonSchema[] {
  const inPath = [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({ name, in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }));
  const inQuery = Object.entries(route.query?.shape ?? {}).map(([name, field]) => {
    const { $schema: _s, description, ...schema } = z.toJSONSchema(field as z.ZodType, { io: 'input' }) as JsonSchema;
    return { name, in: 'query', required: !(field as z.ZodType).safeParse(undefined).success, ...(description ? { description } : {}), schema };
  });
  return [...inPath, ...inQuery];
}

function responses(route: ApiRoute): JsonSchema {
  const answers: JsonSchema = {};
  for (const [status, { description, schema }] of Object.entries(route.responses)) {
    answers[status] = { description, ...(schema ? { content: { 'application/json': { schema: ref(schema) } } } : {}) };
  }
  const problems = new Set(route.problems ?? []);
  if (!route.public) [400, 401, 403].forEach((status) => problems.add(status));
  if (route.body) problems.add(415);
  for (const status of [...problems].sort((a, b) => a - b)) {
    answers[status] = {
      description: reasons[status] ?? 'A problem',
      ...(status === 401 ? { headers: { 'WWW-Authenticate': { description: 'the RFC 6750 Bearer challenge', schema: { type: 'string' } } } } : {}),
      content: { 'application/problem+json': { schema: ref(problemSchema) } },
    };
  }
  return answers;
}

function operation(route: ApiRoute): JsonSchema {
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: [route.tag],
    ...(route.public ? { security: [] } : {}),
    parameters: parameters(route),
    ...(route.body ? { requestBody: { required: !route.bodyOptional, content: { 'application/json': { schema: ref(route.body) } } } } : {}),
    responses: responses(route),
  };
}

export function openApiDocument({ config, provider }: Services, routes: ApiRoute[]): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) (paths[route.path] ??= {})[route.method] = operation(route);
  const scopes = { [adminApiScope]: 'use the management API, with the role the caller has in the database' };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Govlink management API',
      version: '1.0.0',
      description:
        `Manage organisations and users. An OAuth 2.0 protected resource: send an access token issued by ${config.issuer} ` +
        `for the resource ${adminApiResource(config.issuer)} (RFC 8707 \`resource\` parameter) with the \`${adminApiScope}\` scope. ` +
        'Administrators get one through the authorization code flow (two-factor sign-in); service clients made with --admin-role through client credentials. ' +
        "The caller's role and organisation are read on every request. Errors are RFC 9457 application/problem+json.",
    },
    servers: [{ url: adminApiResource(config.issuer) }],
    security: [{ oauth2: [adminApiScope] }],
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: { ...components(requestSchemas, 'input'), ...components(responseSchemas, 'output') },
      securitySchemes: {
        oauth2: {
          type: 'oauth2',
          description: `Tokens for the resource ${adminApiResource(config.issuer)}.`,
          flows: {
            authorizationCode: { authorizationUrl: provider.urlFor('authorization'), tokenUrl: provider.urlFor('token'), scopes },
            clientCredentials: { tokenUrl: provider.urlFor('token'), scopes },
          },
        },
      },
    },
  };
}

export function openApiRoute(services: Services, routes: ApiRoute[]): ApiRoute {
  let document: JsonSchema | undefined;
  return definePublicRoute({
    method: 'get',
    path: '/openapi.json',
    operationId: 'openApiDocument',
    tag: 'meta',
    summary: 'This document',
    responses: { 200: { description: 'The OpenAPI 3.1 document of the management API' } },
    async handle() {
      document ??= openApiDocument(services, routes);
      return { status: 200, body: document };
    },
  });
}
