// Signing keys (RS256, ES256) and cookie keys are made on first start and kept
// in the database, private parts sealed with SECRET_KEY: a restart keeps
// sessions and tokens valid, and every process signs with the same keys.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { JWK } from 'oidc-provider';
import type { Db } from '../db/index.ts';
import { randomToken, type SecretBox } from '../crypto.ts';
import { insertKeyMaterialOnce, listKeyMaterial } from '../queries/key-material.ts';

export type ProviderKeys = { jwks: { keys: JWK[] }; cookieKeys: string[] };

function newSigningKeys(box: SecretBox) {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  return [
    { alg: 'RS256', jwk: rsa },
    { alg: 'ES256', jwk: ec },
  ].map(({ alg, jwk }) => {
    const kid = randomToken(12);
    return { kid, alg, sealed: box.encrypt('signing-key', JSON.stringify({ ...jwk, kid, alg, use: 'sig' })) };
  });
}

export async function loadProviderKeys(db: Db, box: SecretBox): Promise<ProviderKeys> {
  let material = await listKeyMaterial(db);
  if (!material.some((k) => k.kind === 'signing')) await insertKeyMaterialOnce(db, 'signing', newSigningKeys(box));
  if (!material.some((k) => k.kind === 'cookie')) {
    const kid = randomToken(12);
    await insertKeyMaterialOnce(db, 'cookie', [{ kid, alg: null, sealed: box.encrypt('cookie-key', randomBytes(32).toString('base64url')) }]);
  }
  material = await listKeyMaterial(db);
  return {
    jwks: { keys: material.filter((k) => k.kind === 'signing').map((k) => JSON.parse(box.decrypt('signing-key', k.sealed)) as JWK) },
    // Newest first: oidc-provider signs with the first and verifies with all.
    cookieKeys: material.filter((k) => k.kind === 'cookie').map((k) => box.decrypt('cookie-key', k.sealed)),
  };
}
