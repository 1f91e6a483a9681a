// The browser's answer to a WebAuthn ceremony, as passkey.js posts it in the
// `response` field: parsed at the edge, checked in depth by @simplewebauthn/server.
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { z } from 'zod';
import { badRequest } from './errors.ts';

const credentialResponse = z.object({ id: z.string().max(1024), rawId: z.string().max(1024), type: z.literal('public-key'), response: z.record(z.string(), z.unknown()) }).loose();

export function parsePasskeyResponse<T extends RegistrationResponseJSON | AuthenticationResponseJSON>(json: string | undefined): T {
  try {
    const parsed = credentialResponse.safeParse(JSON.parse(json ?? ''));
    if (parsed.success) return parsed.data as unknown as T;
  } catch {
    // not JSON
  }
  throw badRequest('error.bad_request');
}
