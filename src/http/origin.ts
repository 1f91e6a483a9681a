import type { Context } from 'koa';
import type { Origin } from '../accounts/audit.ts';

/** The client address (behind a trusted proxy: the one it saw) and user agent. */
export function requestOrigin(ctx: Context): Origin {
  return { ip: ctx.ip || 'unknown', userAgent: ctx.get('user-agent') };
}
