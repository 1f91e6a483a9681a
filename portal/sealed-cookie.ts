// The portal keeps no server-side state: the session and the in-flight login
// live in cookies that are sealed (AES-256-GCM: encrypted and authenticated)
// so the browser can neither read nor alter them.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { Context } from 'koa';

const IV_BYTES = 12;
const TAG_BYTES = 16;

export type Sealer = {
  seal(value: unknown): string;
  /** The sealed value, or undefined when it was tampered with, made for another purpose or is not ours. */
  open(sealed: string): unknown;
};

/**
 * A sealer for one purpose. Each purpose gets its own HKDF-derived key and the
 * purpose is bound as additional data, so a cookie sealed as a login
 * transaction can never be opened as a session.
 */
export function createSealer(secret: string, purpose: string): Sealer {
  const key = Buffer.from(hkdfSync('sha256', secret, 'govlink-portal', `cookie:${purpose}`, 32));
  const aad = Buffer.from(purpose);
  return {
    seal(value) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(aad);
      const ciphertext = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64url');
    },
    open(sealed) {
      const bytes = Buffer.from(sealed, 'base64url');
      if (bytes.length <= IV_BYTES + TAG_BYTES) return undefined;
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES)).setAAD(aad);
        decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
        const plaintext = Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
        return JSON.parse(plaintext.toString('utf8')) as unknown;
      } catch {
        return undefined;
      }
    },
  };
}

/** Only the header access the helpers need, so they work whatever a Koa context's state type is. */
export type CookieContext = Pick<Context, 'get' | 'append'>;

export type CookieOptions = { path: string; secure: boolean; maxAgeSeconds: number };

/**
 * Cookies are written by hand rather than with ctx.cookies: Koa refuses to set
 * a Secure cookie unless it sees TLS itself, which it does not behind a
 * TLS-terminating proxy, and whether the portal is on https is known from its
 * configured public URL.
 */
export function setCookie(ctx: CookieContext, name: string, value: string, options: CookieOptions): void {
  const attributes = [
    `${name}=${value}`,
    `Path=${options.path}`,
    `Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`,
    'HttpOnly',
    // Lax: the cookie still comes along on the top-level redirect back from
    // the provider to /callback, but not on cross-site POSTs.
    'SameSite=Lax',
  ];
  if (options.secure) attributes.push('Secure');
  ctx.append('Set-Cookie', attributes.join('; '));
}

export function clearCookie(ctx: CookieContext, name: string, options: Omit<CookieOptions, 'maxAgeSeconds'>): void {
  setCookie(ctx, name, '', { ...options, maxAgeSeconds: 0 });
}

export function readCookie(ctx: CookieContext, name: string): string | undefined {
  for (const pair of (ctx.get('cookie') || '').split(';')) {
    const eq = pair.indexOf('=');
    if (eq > 0 && pair.slice(0, eq).trim() === name) return pair.slice(eq + 1).trim();
  }
  return undefined;
}
