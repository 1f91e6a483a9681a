// The portal's only POST is the sign-out form, so a tiny urlencoded reader
// with a size cap is all the body parsing it needs.
import type { Context } from 'koa';
import { PortalError } from './errors.ts';

const MAX_FORM_BYTES = 8 * 1024;

/** The urlencoded form fields of the request; anything else (or too big) is an empty form. */
export async function readForm(ctx: Pick<Context, 'is' | 'req'>): Promise<URLSearchParams> {
  if (!ctx.is('application/x-www-form-urlencoded')) return new URLSearchParams();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_FORM_BYTES) throw new PortalError(413, { title: 'error.tooLarge.title', body: 'error.tooLarge.body' });
    chunks.push(buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
