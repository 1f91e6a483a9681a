// Page cursors, of the management API and of the screen's list of users, are
// opaque to callers: the position after the last item sent, as base64url
// JSON. A cursor is parsed like any other input, so a forged or truncated one
// is a 400 on its field, never a query.
import { z } from 'zod';
import type { UserCursor } from '../../queries/users.ts';

function encodeCursor(position: unknown): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

function cursorParameter<T>(position: z.ZodType<T>) {
  return z
    .string()
    .max(1024)
    .transform((value, ctx) => {
      let decoded: unknown;
      try {
        decoded = /^[\w-]+$/.test(value) ? JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) : undefined;
      } catch {
        decoded = undefined;
      }
      const parsed = position.safeParse(decoded);
      if (parsed.success) return parsed.data;
      ctx.addIssue({ code: 'custom', message: 'Not a cursor from this API: pass the nextCursor of the previous page.' });
      return z.NEVER;
    })
    .describe('the nextCursor of the previous page');
}

export const userCursorParameter = cursorParameter<UserCursor>(z.strictObject({ email: z.string().max(254), id: z.uuid() }));
/** Users go by email: the cursor is the email and id of the last user sent. */
export const userPosition = (user: UserCursor): UserCursor => ({ email: user.email, id: user.id });
/** Audit events go newest first: the cursor is the id of the last event sent. */
export const auditCursorParameter = cursorParameter<{ before: string }>(z.strictObject({ before: z.string().regex(/^\d{1,18}$/) }));

export const pageSize = (fallback: number) => z.coerce.number().int().min(1).max(200).default(fallback).describe('items per page, 1 to 200');

/** Takes one more than the page size; the extra row only says there is a next page. */
export function page<T>(rows: T[], limit: number, positionOf: (last: T) => unknown): { items: T[]; nextCursor?: string } {
  if (rows.length <= limit) return { items: rows };
  const items = rows.slice(0, limit);
  return { items, nextCursor: encodeCursor(positionOf(items.at(-1)!)) };
}
