// First run: make sure an admin exists — from config/env, or via a one-time setup link printed in
// the terminal. Never a default password.
import { randomBytes } from "node:crypto";
import type { ResolvedConfig } from "../config/load";
import type { Db } from "../db/types";
import type { Logger } from "../log";
import { hashToken } from "./api-tokens";
import { hashPassword } from "./passwords";
import { validateUsername } from "../users";

export async function ensureInitialAdmin(db: Db, config: ResolvedConfig, log: Logger): Promise<string | null> {
  if ((await db.user.count({ where: { admin: true } })) > 0) return null;
  const { name, password } = config.auth.initialAdmin;
  if (name && password) {
    const admin = validateUsername(name);
    if (password.length < config.auth.local.minPasswordLength) {
      throw new Error(`auth.initialAdmin.password is shorter than auth.local.minPasswordLength (${config.auth.local.minPasswordLength}).`);
    }
    await db.user.upsert({ where: { name: admin }, create: { name: admin, admin: true, passwordHash: await hashPassword(password) }, update: { admin: true, passwordHash: await hashPassword(password) } });
    log.info({ admin }, "created the initial admin account from configuration");
    return null;
  }
  const token = randomBytes(24).toString("base64url");
  await db.setupToken.deleteMany({ where: { purpose: "initial-admin" } });
  await db.setupToken.create({ data: { hash: hashToken(token), purpose: "initial-admin", expiresAt: new Date(Date.now() + 24 * 3600_000) } });
  const link = `${config.hub.publicUrl}/hub/setup?token=${token}`;
  // Printed to the terminal (not only the log) so the person who started the hub sees it.
  process.stdout.write(`\n  No admin account exists yet. Create one within 24 hours at:\n\n    ${link}\n\n`);
  return link;
}
