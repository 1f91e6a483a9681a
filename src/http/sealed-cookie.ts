// State a page keeps in the browser (a session, a sign-in, a link or a
// set-up in progress) lives in cookies sealed with AES-256-GCM under a key
// derived from SECRET_KEY: nothing on the server, so any process behind the
// load balancer can serve any request. A cookie that was tampered with,
// sealed under another purpose or does not have the expected shape reads as
// absent.
import type { Context } from 'koa';
import type { z } from 'zod';
import type { Purpose, SecretBox } from '../crypto.ts';

export function sealedCookies(box: SecretBox, purpose: Purpose) {
  return {
    read<T>(ctx: Context, name: string, schema: z.ZodType<T>): T | null {
      const sealed = ctx.cookies.get(name);
      if (!sealed) return null;
      try {
        const parsed = schema.safeParse(JSON.parse(box.decrypt(purpose, sealed)));
        return parsed.success ? parsed.data : null;
      } catch {
        return null;
      }
    },

    write(ctx: Context, name: string, path: string, value: unknown, maxAgeMs: number): void {
      ctx.cookies.set(name, box.encrypt(purpose, JSON.stringify(value)), { httpOnly: true, sameSite: 'lax', secure: ctx.secure, path, maxAge: Math.max(0, maxAgeMs), overwrite: true });
    },

    clear: clearCookie,
  };
}

/** Clearing needs no key. */
export function clearCookie(ctx: Context, name: string, path: string): void {
  ctx.cookies.set(name, '', { httpOnly: true, sameSite: 'lax', secure: ctx.secure, path, maxAge: 0, overwrite: true });
}
