import Router from '@koa/router';
import type { Db } from '../db/index.ts';

/** /healthz: the process answers. /readyz: and its database does too. */
export function healthRoutes(db: Db): Router {
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    try {
      await db.raw('select 1');
      ctx.body = { status: 'ok', database: 'ok' };
    } catch (error) {
      ctx.state.log.warn({ err: error }, 'database not reachable');
      ctx.status = 503;
      ctx.body = { status: 'unavailable', database: 'unreachable' };
    }
  });
  return router;
}
