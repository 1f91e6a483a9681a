// Reads urlencoded form bodies (and JSON for the management API), with a
// size limit, into plain objects for the zod schemas at each route.
import type { Context } from 'koa';
import { HttpError } from './errors.ts';

const limitBytes = 64 * 1024;

async function readText(ctx: Context): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > limitBytes) throw new HttpError(413, 'error.too_large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function readFormBody(ctx: Context): Promise<Record<string, string>> {
  if (!ctx.is('application/x-www-form-urlencoded')) throw new HttpError(415, 'error.unsupported_media_type');
  const fields: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(await readText(ctx))) fields[key] = value;
  return fields;
}

export async function readJsonBody(ctx: Context): Promise<unknown> {
  if (!ctx.is('application/json', 'application/*+json')) throw new HttpError(415, 'error.unsupported_media_type');
  const text = await readText(ctx);
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    throw new HttpError(400, 'error.invalid_json');
  }
}
