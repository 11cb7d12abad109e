// API tokens: 256-bit random strings shown once; stored as sha256 (a fast hash is enough for
// high-entropy secrets) and looked up by their first 8 characters.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Db } from "../db/types";

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export async function createApiToken(db: Db, userId: number, opts: { note?: string; scopes?: string[]; expiresAt?: Date | null }) {
  for (;;) {
    const token = randomBytes(32).toString("base64url");
    const prefix = token.slice(0, 8);
    if (await db.apiToken.findUnique({ where: { prefix } })) continue;
    const row = await db.apiToken.create({
      data: { userId, prefix, hash: hashToken(token), note: opts.note ?? "", scopes: (opts.scopes ?? []).join(" "), expiresAt: opts.expiresAt ?? null },
    });
    return { token, row };
  }
}

/** The token's owner if the token is valid (known, not revoked, not expired); records last use. */
export async function findTokenOwner(db: Db, token: string, now: Date) {
  if (token.length < 16) return null;
  const row = await db.apiToken.findUnique({ where: { prefix: token.slice(0, 8) }, include: { user: true } });
  if (!row || row.revokedAt || (row.expiresAt && row.expiresAt <= now)) return null;
  const a = Buffer.from(row.hash, "hex");
  const b = Buffer.from(hashToken(token), "hex");
  if (a.length !== b.length || !timingSafeEqual(a, b)) return null;
  // Throttle last-used writes to once a minute per token.
  if (!row.lastUsed || now.getTime() - row.lastUsed.getTime() > 60_000) {
    await db.apiToken.update({ where: { id: row.id }, data: { lastUsed: now } });
  }
  return { user: row.user, scopes: row.scopes ? row.scopes.split(" ") : [], tokenId: row.id };
}

/** Reads "Authorization: token X" or "Bearer X". */
export function readAuthorizationToken(header: string | null | undefined): string | null {
  if (!header) return null;
  const m = /^(?:token|bearer)\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : null;
}
