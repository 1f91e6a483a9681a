// One management API route: what the OpenAPI document says of it (method,
// path, schemas, answers) and the handler, in one value. The router and the
// document are both built from the same list of routes.
import type { Context } from 'koa';
import { z } from 'zod';
import type { Actor } from '../../accounts/permissions.ts';
import type { Origin } from '../../accounts/audit.ts';
import { readJsonBody } from '../../http/body.ts';
import { requestOrigin } from '../../http/origin.ts';

export type Method = 'get' | 'post' | 'patch' | 'delete';

export type ApiAnswer = { status: number; body?: unknown; location?: string };

/** What the OpenAPI document needs to know of a route. */
export type RouteDoc = {
  method: Method;
  /** an OpenAPI path template under /admin/api, e.g. /users/{id} */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  /** served without a token */
  public?: boolean;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** the body may be left out entirely (then it is parsed as {}) */
  bodyOptional?: boolean;
  /** the successful answers, by status */
  responses: Record<number, { description: string; schema?: z.ZodType }>;
  /** error statuses beyond those the document adds itself (400 for input, 401 and 403 for the token, 415 for a body) */
  problems?: number[];
};

export type ApiRoute = RouteDoc & { run(ctx: Context, actor: Actor | null): Promise<ApiAnswer> };

export type ApiRequest<Q, B> = { actor: Actor; origin: Origin; params: Record<string, string>; query: Q; body: B };

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

/** A route without query parameters refuses any, as a route without a body schema ignores the body. */
const noQuery = z.strictObject({});

const paramsOf = (ctx: Context): Record<string, string> => (ctx as Context & { params?: Record<string, string> }).params ?? {};

/** A route for administrators: the caller is authenticated before the query and body are parsed. */
export function defineRoute<Q extends z.ZodObject | undefined = undefined, B extends z.ZodType | undefined = undefined>(
  route: Omit<RouteDoc, 'query' | 'body' | 'public'> & { query?: Q; body?: B; handle(request: ApiRequest<Parsed<Q>, Parsed<B>>): Promise<ApiAnswer> },
): ApiRoute {
  const { handle, ...doc } = route;
  return {
    ...doc,
    async run(ctx, actor) {
      if (!actor) throw new Error(`${route.operationId} needs an authenticated caller`);
      const query = (route.query ?? noQuery).parse(ctx.query);
      const absent = route.bodyOptional && !ctx.request.length && !ctx.get('transfer-encoding');
      const body = route.body ? route.body.parse(absent ? {} : await readJsonBody(ctx)) : undefined;
      return handle({ actor, origin: requestOrigin(ctx), params: paramsOf(ctx), query: query as Parsed<Q>, body: body as Parsed<B> });
    },
  };
}

/** A route anyone may call. */
export function definePublicRoute(route: Omit<RouteDoc, 'query' | 'body' | 'public'> & { handle(): Promise<ApiAnswer> }): ApiRoute {
  const { handle, ...doc } = route;
  return {
    ...doc,
    public: true,
    async run(ctx) {
      noQuery.parse(ctx.query);
      return handle();
    },
  };
}

/** '/users/{id}' → '/users/:id' */
export const routerPath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');
