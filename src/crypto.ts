// Secrets at rest: AES-256-GCM with keys derived from SECRET_KEY by HKDF, one
// derived key per purpose so that a leak of one kind of ciphertext key does
// not open the others.
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from './config.ts';

export type Purpose = 'totp-secret' | 'signing-key' | 'client-secret' | 'cookie-key' | 'portal' | 'portal-cookie' | 'pending-login' | 'recovery-code' | 'admin-client' | 'admin-session' | 'account-client' | 'account-session';

export class SecretBox {
  private readonly root: Buffer;
  // Derived once per purpose: every sealed cookie and TOTP secret would otherwise pay for an HKDF.
  private readonly keys = new Map<Purpose, Buffer>();
  constructor(secretKey: string) {
    this.root = Buffer.from(secretKey, 'utf8');
  }

  key(purpose: Purpose): Buffer {
    let key = this.keys.get(purpose);
    if (!key) {
      key = Buffer.from(hkdfSync('sha256', this.root, Buffer.alloc(0), `govlink-idp ${purpose}`, 32));
      this.keys.set(purpose, key);
    }
    return key;
  }

  /** A stable secret derived for `purpose`, as base64url text. */
  derive(purpose: Purpose): string {
    return this.key(purpose).toString('base64url');
  }

  encrypt(purpose: Purpose, plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key(purpose), iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), body.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  decrypt(purpose: Purpose, sealed: string): string {
    const [version, iv, body, tag] = sealed.split('.');
    if (version !== 'v1' || !iv || !body || !tag) throw new Error('not a sealed value');
    const decipher = createDecipheriv('aes-256-gcm', this.key(purpose), Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }
}

/** SECRET_KEY from the environment, or in development one generated once into DATA_DIR. */
export function loadSecretKey(config: Config): string {
  if (config.secretKey) return config.secretKey;
  const file = path.join(config.dataDir, 'secret-key');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    mkdirSync(config.dataDir, { recursive: true });
    const generated = randomBytes(32).toString('base64url');
    try {
      writeFileSync(file, `${generated}\n`, { mode: 0o600, flag: 'wx' });
      return generated;
    } catch {
      return readFileSync(file, 'utf8').trim(); // another process wrote it first
    }
  }
}

export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** 256 random bits as base64url text: for links, CSRF tokens and the like. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
