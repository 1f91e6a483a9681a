// Serves the few files in public/ (stylesheet, scripts) with long caching.
import { readFileSync, readdirSync } from 'node:fs';
import type { Context, Next } from 'koa';

const types: Record<string, string> = { css: 'text/css; charset=utf-8', js: 'text/javascript; charset=utf-8', svg: 'image/svg+xml' };

const load = (file: string | URL) => ({ body: readFileSync(file), type: types[String(file).split('.').pop() ?? ''] ?? 'application/octet-stream' });

/** `extra` maps more routes to files elsewhere. */
export function staticFiles(extra: Record<string, string> = {}) {
  const dir = new URL('../../public/', import.meta.url);
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const name of readdirSync(dir)) files.set(`/static/${name}`, load(new URL(name, dir)));
  for (const [route, file] of Object.entries(extra)) files.set(route, load(file));
  return async function staticFiles(ctx: Context, next: Next) {
    const file = ctx.method === 'GET' || ctx.method === 'HEAD' ? files.get(ctx.path) : undefined;
    if (!file) return next();
    ctx.type = file.type;
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = file.body;
  };
}
