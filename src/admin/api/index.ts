// The management API under /admin/api: JSON in and out, bearer tokens for the
// resource $ISSUER/admin/api, errors as RFC 9457 problems. The routes are
// values (route.ts) listed here once; the router and the OpenAPI document are
// both built from this list.
import Router from '@koa/router';
import type { Context, Next } from 'koa';
import type { Services } from '../../services.ts';
import { bearerAuthentication } from './bearer.ts';
import { apiProblems } from './problems.ts';
import { routerPath, type ApiRoute } from './route.ts';
import { organisationRoutes } from './organisations.ts';
import { userRoutes } from './users.ts';
import { userActionRoutes } from './user-actions.ts';
import { auditRoutes } from './audit.ts';
import { mailRoutes } from './mail.ts';
import { openApiRoute } from './openapi.ts';

const adminApiPrefix = '/admin/api';

export function adminApiRoutes(services: Services) {
  const operations: ApiRoute[] = [
    ...organisationRoutes(services),
    ...userRoutes(services),
    ...userActionRoutes(services),
    ...auditRoutes(services),
    ...mailRoutes(services),
  ];
  operations.push(openApiRoute(services, operations));

  const authenticate = bearerAuthentication(services);
  const router = new Router({ prefix: adminApiPrefix });
  for (const route of operations) {
    router.register(routerPath(route.path), [route.method], async (ctx: Context) => {
      const actor = route.public ? null : await authenticate(ctx);
      const answer = await route.run(ctx, actor);
      // An explicit null body first: Koa would otherwise answer a bodiless 202 with its status text.
      if (answer.body === undefined) ctx.body = null;
      ctx.status = answer.status;
      if (answer.body !== undefined) ctx.body = answer.body;
      if (answer.location) ctx.set('Location', `${services.config.issuer}${answer.location}`);
    });
  }

  const problems = apiProblems();
  const matched = router.routes() as unknown as (ctx: Context, next: Next) => Promise<void>;
  const allowed = router.allowedMethods() as unknown as (ctx: Context, next: Next) => Promise<void>;
  return {
    router,
    operations,
    /** Serves every request under /admin/api; nothing there falls through to the provider. */
    routes() {
      return async function adminApi(ctx: Context, next: Next) {
        if (ctx.path !== adminApiPrefix && !ctx.path.startsWith(`${adminApiPrefix}/`)) return next();
        await problems(ctx, () => matched(ctx, () => allowed(ctx, async () => {})));
      };
    },
  };
}
