// Which OS account a hub user's servers run as, for every spawner kind. One rule, applied by the
// hub (loadSpawnUser), whose result reaches the spawner as SpawnContext.user.osUser. Pure.
import { asciiLower } from "./names";

/**
 * POSIX-portable account names (useradd's default rule), at most 32 characters. Spawners check
 * the name again with their own, stricter rule before they pass it to getent, sudo or ssh.
 */
export const OS_ACCOUNT_PATTERN = /^[a-z_][a-z0-9_-]{0,30}\$?$/;

/** The hub's mapping: hub.osUserTemplate and the entries of hub.osUserMapFile. */
export interface OsAccountMapping {
  /** "{username}" is replaced by the hub user name */
  template: string;
  /** hub user name → OS account, from hub.osUserMapFile */
  map?: ReadonlyMap<string, string>;
}

/** No valid OS account for a user; the message says which and why, and is safe to show. */
export class OsAccountError extends Error {
  name = "OsAccountError";
}

/** Parses hub.osUserMapFile: "hub-user os-account" per line, "#" starts a comment. */
export function parseOsAccountMap(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*/, "").trim();
    if (!line) continue;
    const [user, account] = line.split(/\s+/);
    // ASCII lower-casing only: a line naming "\u212Aelvin" must not map the hub user "kelvin".
    if (user && account) map.set(asciiLower(user), account);
  }
  return map;
}

/**
 * The OS account of hub user `userName`: the one stored for the user (User.osUser), else the map
 * file's entry, else the template. Throws OsAccountError when the result is not a valid account
 * name, so a bad mapping refuses the spawn (or the GitHub login) instead of running as a wrong
 * account.
 */
export function resolveOsAccount(opts: { userName: string; stored?: string | null; mapping: OsAccountMapping }): string {
  const name = asciiLower(opts.userName);
  const account = opts.stored || opts.mapping.map?.get(name) || opts.mapping.template.replaceAll("{username}", name);
  if (!OS_ACCOUNT_PATTERN.test(account)) {
    throw new OsAccountError(
      `The OS account "${account.slice(0, 40)}" mapped for ${name} is not a valid account name (hub.osUserTemplate, hub.osUserMapFile).`,
    );
  }
  return account;
}
