// The one place where the management API's errors become HTTP answers. The
// rules throw their own errors (PermissionError, DirectoryError) and zod
// throws on bad input; here they become HttpErrors, which the shared error
// boundary writes as RFC 9457 application/problem+json.
import type { Context, Next } from 'koa';
import { z } from 'zod';
import { DirectoryError } from '../../accounts/directory.ts';
import { PermissionError } from '../../accounts/permissions.ts';
import { HttpError } from '../../http/errors.ts';

import type { FieldError } from '../../http/views.ts';

const invalidInput = (errors: FieldError[]) => new HttpError(400, 'admin_api.invalid_input', { code: 'invalid_input', errors });

/** Which request field a rule's refusal is about. */
const fieldOfDirectoryError: Record<string, string> = { invalid_email: 'email', invalid_name: 'name', org_required: 'orgId' };

/** Refusals because of the target's current state: the same request may succeed later. */
const conflicts = new Set(['duplicate', 'invited', 'not_invited']);

function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ field: [...issue.path, key].join('.'), message: 'Unknown field.' }))
      : [{ field: issue.path.join('.'), message: issue.message }],
  );
}

function toHttpError(error: unknown): unknown {
  if (error instanceof z.ZodError) return invalidInput(fieldErrors(error));
  if (error instanceof PermissionError) {
    return error.status === 404
      ? new HttpError(404, 'admin_api.not_found', { code: 'not_found', detail: error.message })
      : new HttpError(403, 'admin_api.not_allowed', { code: 'not_allowed', detail: error.message });
  }
  if (error instanceof DirectoryError) {
    if (conflicts.has(error.code)) return new HttpError(409, 'admin_api.conflict', { code: error.code, detail: error.message });
    const field = fieldOfDirectoryError[error.code];
    return new HttpError(400, 'admin_api.invalid_input', { code: error.code, detail: error.message, ...(field ? { errors: [{ field, message: error.message }] } : {}) });
  }
  // A unique index caught a race the rules' own check could not (two requests creating the same thing).
  if ((error as { code?: string }).code === '23505') return new HttpError(409, 'admin_api.conflict', { code: 'duplicate' });
  return error;
}

/**
 * Everything under /admin/api answers JSON, errors included, and is never
 * cached. Paths and methods the API does not serve get 404 and 405 problems.
 */
export function apiProblems() {
  return async function apiProblems(ctx: Context, next: Next) {
    ctx.state.problemJson = true;
    ctx.set('Cache-Control', 'no-store');
    try {
      await next();
    } catch (error) {
      throw toHttpError(error);
    }
    if (ctx.status === 405 && ctx.body === undefined) throw new HttpError(405, 'admin_api.method_not_allowed', { code: 'method_not_allowed' });
    if (ctx.status === 404 && ctx.body === undefined) throw new HttpError(404, 'admin_api.no_such_endpoint', { code: 'not_found' });
  };
}
