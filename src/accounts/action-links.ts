// Emailed links: 256 random bits, stored only as a SHA-256 hash, single use,
// bound to one user and one action, superseded by a newer link of the same
// kind, valid for ACTION_LINK_TTL.
import type { Clock } from '../clock.ts';
import type { Db } from '../db/index.ts';
import { randomToken, sha256 } from '../crypto.ts';
import { findLinkByTokenHash, insertLink, listOpenLinks, supersedeLinks, useLink, type ActionLink, type LinkKind } from '../queries/action-links.ts';
import { latestMailForActionLinks, type LinkMail } from '../queries/mail-outbox.ts';
import { findUserById, type User } from '../queries/users.ts';

export type { ActionLink, LinkKind };

export type LinkState = 'valid' | 'expired' | 'used' | 'superseded' | 'unknown';

export type LinkLookup = { state: 'valid'; link: ActionLink; user: User } | { state: Exclude<LinkState, 'valid'>; link: ActionLink | null; user: User | null };

/** Link tokens are 43 base64url characters; anything else is not worth a query. */
export const linkTokenPattern = /^[\w-]{43}$/;

export class ActionLinks {
  private readonly clock: Clock;
  private readonly issuer: string;
  private readonly ttlSeconds: number;
  constructor(deps: { clock: Clock; issuer: string; ttlSeconds: number }) {
    this.clock = deps.clock;
    this.issuer = deps.issuer;
    this.ttlSeconds = deps.ttlSeconds;
  }

  /** A new link, replacing any open one of the same kind. Call inside the transaction of the change. */
  async issue(trx: Db, userId: string, kind: LinkKind, createdBy: { userId: string | null; clientId: string | null }): Promise<{ link: ActionLink; url: string }> {
    const now = this.clock.now();
    const token = randomToken(32);
    await supersedeLinks(trx, userId, kind, now);
    const link = await insertLink(trx, {
      userId,
      kind,
      tokenHash: sha256(token),
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.ttlSeconds * 1000),
      createdByUserId: createdBy.userId,
      createdByClientId: createdBy.clientId,
    });
    return { link, url: `${this.issuer}/link/${token}` };
  }

  async inspect(db: Db, token: string): Promise<LinkLookup> {
    if (!linkTokenPattern.test(token)) return { state: 'unknown', link: null, user: null };
    const link = await findLinkByTokenHash(db, sha256(token));
    if (!link) return { state: 'unknown', link: null, user: null };
    const user = (await findUserById(db, link.userId)) ?? null;
    if (!user) return { state: 'unknown', link, user: null };
    if (link.usedAt) return { state: 'used', link, user };
    if (link.supersededAt) return { state: 'superseded', link, user };
    if (link.expiresAt <= this.clock.now()) return { state: 'expired', link, user };
    return { state: 'valid', link, user };
  }

  /** The user's links still waiting, each with its newest mail (for administrators: when it expires, whether it was delivered). */
  async openWithDelivery(db: Db, userId: string): Promise<{ link: ActionLink; mail: LinkMail | null }[]> {
    const links = await listOpenLinks(db, userId, this.clock.now());
    const mail = await latestMailForActionLinks(db, links.map((link) => link.id));
    return links.map((link) => ({ link, mail: mail.get(link.id) ?? null }));
  }

  /** Uses the link; false when it was used, superseded or expired in the meantime. */
  use(trx: Db, link: ActionLink): Promise<boolean> {
    return useLink(trx, link.id, this.clock.now());
  }
}
