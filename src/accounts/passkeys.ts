// Passkeys and security keys (WebAuthn) as a second factor, with
// @simplewebauthn/server. The relying party id and origin come from ISSUER.
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/index.ts';
import type { User } from '../queries/users.ts';
import { findPasskey, insertPasskey, listPasskeys, recordPasskeyUse, type Passkey } from '../queries/passkeys.ts';
import { saveChallenge, takeChallenge } from '../queries/webauthn-challenges.ts';

export type { Passkey };

const challengeSeconds = 5 * 60;

/** RFC 8176: a synced passkey is a software key, a device-bound one a hardware key. */
export const passkeyAmr = (passkey: Pick<Passkey, 'deviceType'>) => (passkey.deviceType === 'multiDevice' ? 'swk' : 'hwk');

export class Passkeys {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly rpId: string;
  private readonly origin: string;
  constructor(deps: { db: Db; clock: Clock; issuer: string }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.rpId = new URL(deps.issuer).hostname;
    this.origin = new URL(deps.issuer).origin;
  }

  list(userId: string): Promise<Passkey[]> {
    return listPasskeys(this.db, userId);
  }

  private expiry(): Date {
    return new Date(this.clock.now().getTime() + challengeSeconds * 1000);
  }

  /** Options for navigator.credentials.create(); `key` names the ceremony (one challenge per key). */
  async registrationOptions(user: User, key: string): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const existing = await listPasskeys(this.db, user.id);
    const options = await generateRegistrationOptions({
      rpName: 'Govlink',
      rpID: this.rpId,
      userName: user.email,
      userDisplayName: user.name || user.email,
      userID: new TextEncoder().encode(user.id),
      attestationType: 'none',
      excludeCredentials: existing.map((p) => ({ id: p.id, transports: p.transports })),
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
    });
    await saveChallenge(this.db, key, options.challenge, this.expiry());
    return options;
  }

  /** Checks the browser's answer to registrationOptions and stores the new passkey (all through `db`, which may be a transaction). */
  async register(db: Db, user: User, key: string, response: RegistrationResponseJSON, name: string): Promise<Passkey | null> {
    const challenge = await takeChallenge(db, key, this.clock.now());
    if (!challenge) return null;
    const verification = await verifyRegistrationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: this.origin,
      expectedRPID: this.rpId,
      requireUserVerification: false,
    }).catch(() => null);
    if (!verification?.verified) return null;
    const { credential, credentialDeviceType, credentialBackedUp, aaguid } = verification.registrationInfo;
    if (await findPasskey(db, credential.id)) return null;
    const passkey: Passkey = {
      id: credential.id,
      userId: user.id,
      name: name.trim().slice(0, 100) || 'Passkey',
      publicKey: Buffer.from(credential.publicKey).toString('base64url'),
      counter: credential.counter,
      transports: credential.transports ?? [],
      deviceType: credentialDeviceType,
      backedUp: credentialBackedUp,
      aaguid,
      createdAt: this.clock.now(),
      lastUsedAt: null,
    };
    await insertPasskey(db, passkey);
    return passkey;
  }

  /** Options for navigator.credentials.get(), limited to this user's passkeys. */
  async authenticationOptions(user: User, key: string): Promise<PublicKeyCredentialRequestOptionsJSON | null> {
    const passkeys = await listPasskeys(this.db, user.id);
    if (!passkeys.length) return null;
    const options = await generateAuthenticationOptions({
      rpID: this.rpId,
      allowCredentials: passkeys.map((p) => ({ id: p.id, transports: p.transports })),
      userVerification: 'preferred',
    });
    await saveChallenge(this.db, key, options.challenge, this.expiry());
    return options;
  }

  /** Checks a sign-in with a passkey: challenge, signature, origin, rpID and counter. */
  async authenticate(user: User, key: string, response: AuthenticationResponseJSON): Promise<Passkey | null> {
    const challenge = await takeChallenge(this.db, key, this.clock.now());
    if (!challenge || typeof response?.id !== 'string') return null;
    const passkey = await findPasskey(this.db, response.id);
    if (!passkey || passkey.userId !== user.id) return null;
    const verification = await verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: this.origin,
      expectedRPID: this.rpId,
      credential: { id: passkey.id, publicKey: Buffer.from(passkey.publicKey, 'base64url'), counter: passkey.counter, transports: passkey.transports },
      requireUserVerification: false,
    }).catch(() => null);
    if (!verification?.verified) return null;
    const { newCounter, credentialBackedUp } = verification.authenticationInfo;
    if (!(await recordPasskeyUse(this.db, passkey.id, passkey.counter, newCounter, credentialBackedUp, this.clock.now()))) return null;
    return { ...passkey, counter: newCounter, backedUp: credentialBackedUp };
  }
}
