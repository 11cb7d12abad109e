// First run: make sure an admin exists — from config/env, or via a one-time setup link printed in
// the terminal. Never a default password.
import { randomBytes } from "node:crypto";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ResolvedConfig } from "@/config/load";
import { ConfigError } from "@/config/errors";
import type { Db } from "../db/types";
import type { Logger } from "../log";
import { hashToken } from "./api-tokens";
import { hashPassword } from "./passwords";
import { validateUsername } from "@/app/_lib/users/names";
import { upsertAdmin } from "@/app/_lib/users/admin";
import { getRuntime } from "../runtime";
import { resetPurpose } from "./reset-links";

import { INITIAL_ADMIN_PURPOSE } from "./setup-links";
/** How long a setup or reset link stays valid. */
const LINK_LIFETIME_MS = 24 * 3600_000;

/**
 * A one-time link that sets a new password for `userName` (recovery when nobody can sign in as an
 * admin: `npm run reset-password -- <name>` on the hub's host). Earlier reset links of that
 * account stop working.
 */
export async function createPasswordResetLink(db: Db, config: ResolvedConfig, userName: string): Promise<string> {
  const name = validateUsername(userName);
  if (!(await db.user.findUnique({ where: { name } }))) throw new Error(`There is no user named ${name}.`);
  const token = randomBytes(24).toString("base64url");
  await db.setupToken.deleteMany({ where: { purpose: resetPurpose(name) } });
  await db.setupToken.create({ data: { hash: hashToken(token), purpose: resetPurpose(name), expiresAt: new Date(Date.now() + LINK_LIFETIME_MS) } });
  return `${config.hub.publicUrl}/hub/setup?token=${token}`;
}

/**
 * In hub.dataDir (0700): the current one-time setup link, for `npm start` to repeat in its final
 * banner. Removed once an admin exists.
 */
export const SETUP_LINK_FILE = "setup-link";

/** Removes the saved setup link (setup done, or an admin exists). */
export function forgetSetupLink(dataDir: string): void {
  rmSync(join(dataDir, SETUP_LINK_FILE), { force: true });
}

export async function ensureInitialAdmin(db: Db, config: ResolvedConfig, log: Logger): Promise<string | null> {
  if ((await db.user.count({ where: { admin: true } })) > 0) {
    forgetSetupLink(config.hub.dataDir);
    return null;
  }
  const { name, password } = config.auth.initialAdmin;
  if (name && password) {
    let admin: string;
    try {
      admin = validateUsername(name);
    } catch (err) {
      throw new ConfigError(`auth.initialAdmin.name: ${(err as Error).message}`);
    }
    if (password.length < config.auth.local.minPasswordLength) {
      throw new Error(`auth.initialAdmin.password is shorter than auth.local.minPasswordLength (${config.auth.local.minPasswordLength}).`);
    }
    await upsertAdmin(db, getRuntime().proxy, admin, await hashPassword(password));
    log.info({ admin }, "created the initial admin account from configuration");
    forgetSetupLink(config.hub.dataDir);
    return null;
  }
  const token = randomBytes(24).toString("base64url");
  await db.setupToken.deleteMany({ where: { purpose: INITIAL_ADMIN_PURPOSE } });
  await db.setupToken.create({ data: { hash: hashToken(token), purpose: INITIAL_ADMIN_PURPOSE, expiresAt: new Date(Date.now() + LINK_LIFETIME_MS) } });
  const link = `${config.hub.publicUrl}/hub/setup?token=${token}`;
  writeFileSync(join(config.hub.dataDir, SETUP_LINK_FILE), link + "\n", { mode: 0o600 });
  // Printed to the terminal (not only the log) so the person who started the hub sees it.
  process.stdout.write(`\n  No admin account exists yet. Create one within 24 hours at:\n\n    ${link}\n\n`);
  return link;
}
