// Which OS account a hub user's servers run as, for every spawner kind. One rule, applied by the
// hub (loadSpawnUser), whose result reaches the spawner as SpawnContext.user.osUser. Pure.
//
// Hub names may be up to 255 characters with dots and a digit first (JupyterHub's limits); OS
// account names may not (useradd: at most 32, a letter or "_" first, no dots). When hub.osUserTemplate
// applied to a name gives no valid account, the account is derived from what the template gave:
// a readable prefix, "--" and 16 hex digits of its SHA-256, 31 characters at most
// ("alice.smith" → "alice-smith--6342582757b1ffe0"). A template result that is a valid account but
// already has that shape (ends in "--" and 16 hex digits) is derived too, so a derived account never
// equals another user's underived one; two derived accounts are equal only if 64 bits of their
// hashes are. Stored accounts and hub.osUserMapFile entries are used as they are.
import { createHash } from "node:crypto";
import { asciiLower } from "./names";

/**
 * POSIX-portable account names (useradd's default rule), at most 31 characters (32 with a
 * trailing "$"). Spawners check the name again with their own, stricter rule before they pass it
 * to getent, sudo or ssh.
 */
export const OS_ACCOUNT_PATTERN = /^[a-z_][a-z0-9_-]{0,30}\$?$/;

/** What a derived account looks like (its tail): never used as it is. */
const DERIVED_TAIL = /--[0-9a-f]{16}$/;
/** Hex digits of the hash in a derived account (64 bits). */
const DERIVED_HASH_CHARS = 16;
/** Longest readable prefix: prefix + "--" + hash stays within 31 characters. */
const DERIVED_PREFIX_MAX = 31 - 2 - DERIVED_HASH_CHARS;

/**
 * The OS account for what the template gave (`wanted`): itself when it is a valid account name
 * that does not look derived, else "<prefix>--<16 hex digits of sha256(wanted)>". Deterministic;
 * always matches OS_ACCOUNT_PATTERN.
 */
export function deriveOsAccount(wanted: string): string {
  if (OS_ACCOUNT_PATTERN.test(wanted) && !DERIVED_TAIL.test(wanted)) return wanted;
  const hash = createHash("sha256").update(wanted, "utf8").digest("hex").slice(0, DERIVED_HASH_CHARS);
  let prefix = wanted.toLowerCase().replace(/[^a-z0-9]+/g, "-");
  if (!/^[a-z]/.test(prefix)) prefix = "u" + prefix;
  prefix = prefix.slice(0, DERIVED_PREFIX_MAX).replace(/-+$/, "");
  return `${prefix}--${hash}`;
}

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
 * file's entry, else the template, mapped by deriveOsAccount() when the name makes it no valid
 * account. Throws OsAccountError when the stored account, the map entry or the template itself is
 * not valid (a template is checked with the one-letter name "a"), so a bad mapping refuses the
 * spawn (or the GitHub login) instead of running as a wrong account.
 */
export function resolveOsAccount(opts: { userName: string; stored?: string | null; mapping: OsAccountMapping }): string {
  const name = asciiLower(opts.userName);
  const given = opts.stored || opts.mapping.map?.get(name);
  const template = opts.mapping.template;
  const account =
    given ?? (OS_ACCOUNT_PATTERN.test(template.replaceAll("{username}", "a")) ? deriveOsAccount(template.replaceAll("{username}", name)) : template);
  if (!OS_ACCOUNT_PATTERN.test(account)) {
    throw new OsAccountError(
      `The OS account "${account.slice(0, 40)}" mapped for ${name.slice(0, 64)} is not a valid account name (hub.osUserTemplate, hub.osUserMapFile).`,
    );
  }
  return account;
}
