// How the screen writes durations and list cursors (times: src/http/format.ts).
import { z } from 'zod';
import type { Translate } from '../../i18n/index.ts';
import type { UserCursor } from '../../queries/users.ts';

/** ACTION_LINK_TTL in words: "12 hours", "30 minutes", "90 seconds". */
export function duration(t: Translate, seconds: number): string {
  if (seconds % 3600 === 0) return t(seconds === 3600 ? 'admin.duration.hour' : 'admin.duration.hours', { n: seconds / 3600 });
  if (seconds % 60 === 0) return t(seconds === 60 ? 'admin.duration.minute' : 'admin.duration.minutes', { n: seconds / 60 });
  return t(seconds === 1 ? 'admin.duration.second' : 'admin.duration.seconds', { n: seconds });
}

const cursorSchema = z.tuple([z.string().max(254), z.uuid()]);

/** The last user of a page as an opaque `after` parameter. */
export function encodeCursor(cursor: UserCursor): string {
  return Buffer.from(JSON.stringify([cursor.email, cursor.id])).toString('base64url');
}

export function decodeCursor(value: string): UserCursor | null {
  try {
    const parsed = cursorSchema.safeParse(JSON.parse(Buffer.from(value, 'base64url').toString('utf8')));
    return parsed.success ? { email: parsed.data[0], id: parsed.data[1] } : null;
  } catch {
    return null;
  }
}
