// TOTP as Google Authenticator and FreeOTP expect it: SHA-1, 6 digits, 30 s.
import { randomBytes } from 'node:crypto';
import { generateURI, verify } from 'otplib';
import { ScureBase32Plugin } from 'otplib';
import QRCode from 'qrcode';

export const totpPeriod = 30;
const base32 = new ScureBase32Plugin();

/** 20 random bytes (160 bits, RFC 4226's recommendation), base32 for the apps. */
export function newTotpSecret(): string {
  return base32.encode(randomBytes(20), { padding: false });
}

function totpUri(secret: string, account: string, issuer: string): string {
  return generateURI({ issuer, label: account, secret, algorithm: 'sha1', digits: 6, period: totpPeriod });
}

/** What a set-up page shows (partials/otp-enrolment.njk): the secret, its otpauth URI, and that URI as a QR code drawn on the server. */
export async function totpEnrolment(secret: string, account: string): Promise<{ secret: string; uri: string; qrSvg: string }> {
  const uri = totpUri(secret, account, 'Govlink');
  return { secret, uri, qrSvg: await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }) };
}

export function normaliseCode(code: string): string {
  return code.replace(/[\s-]/g, '');
}

/**
 * The time step that `code` belongs to, within one step either side of `now`
 * (clock drift), or null. The caller must still claim the step atomically so
 * that the code is never accepted twice.
 */
export async function matchTotpStep(secret: string, code: string, now: Date): Promise<number | null> {
  const token = normaliseCode(code);
  if (!/^\d{6}$/.test(token)) return null;
  const result = await verify({ secret, token, epoch: Math.floor(now.getTime() / 1000), epochTolerance: totpPeriod, algorithm: 'sha1', digits: 6, period: totpPeriod });
  return result.valid ? (result as { timeStep: number }).timeStep : null;
}
