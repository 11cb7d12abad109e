// I/O: look up (and optionally create) the OS account a server runs as. Names are checked
// against OS_USER_NAME_PATTERN before any command runs; commands are argument arrays.
import { chmod, stat } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { execa } from "execa";
import { SpawnError } from "../types";
import { FileCache } from "./file-cache";
import { DEFAULT_UID_MIN, indexPasswdEntries, isValidOsUserName, parseLoginDefsUidMin, parsePasswdLine, passwdFilesFirst, type PasswdEntry } from "./passwd";

/** Mode of the home directories Gyre creates: private to their owner (see createOsUser). */
export const HOME_MODE = 0o700;

/** getent exits 2 when the key is not in the database (getent(1)). */
const GETENT_NOT_FOUND = 2;

/**
 * The passwd entry of `name`, or null when there is no such account. Throws SpawnError for a bad
 * name. When /etc/nsswitch.conf asks /etc/passwd first and the name is there, that entry is the
 * answer (what getent would print) without running getent: each run forks the hub, a large
 * process, once per server start. Otherwise getent asks every source (LDAP, SSSD…).
 */
export async function lookupOsUser(name: string): Promise<PasswdEntry | null> {
  assertValidOsUserName(name);
  const local = await readLocalPasswdEntry(name);
  if (local) return local;
  const r = await execa("getent", ["passwd", name], { reject: false, timeout: 10_000 });
  if (r.exitCode === GETENT_NOT_FOUND) return null;
  if (r.exitCode !== 0) throw new SpawnError(`Could not look up the OS account "${name}" (getent exited with ${r.exitCode}).`);
  const entry = parsePasswdLine(String(r.stdout).split("\n")[0] ?? "");
  if (!entry || entry.name !== name) throw new SpawnError(`The OS account "${name}" has a malformed passwd entry.`);
  return entry;
}

const nsswitchFile = new FileCache("/etc/nsswitch.conf", (text) => passwdFilesFirst(text ?? ""));
const passwdFile = new FileCache("/etc/passwd", (text) => indexPasswdEntries(text ?? ""));

/**
 * `name` from /etc/passwd when the passwd database asks that file first; null otherwise or when it
 * is not there. Both files are parsed once per change of them (file-cache.ts), not per start.
 */
async function readLocalPasswdEntry(name: string): Promise<PasswdEntry | null> {
  try {
    if (!nsswitchFile.get()) return null;
    return passwdFile.get().get(name) ?? null;
  } catch {
    return null;
  }
}

/**
 * Creates `name` with a private home directory and bash, then looks it up. Debian's useradd
 * creates homes 0755 (login.defs HOME_MODE unset, UMASK 022) and Jupyter writes files 0644, so
 * every other account's kernel could read them: the home is created 0700 (`-K HOME_MODE=0700`,
 * no moment when it is open), and checked, or fixed, right after for a useradd that ignores the key.
 */
export async function createOsUser(name: string): Promise<PasswdEntry> {
  assertValidOsUserName(name);
  const mode = HOME_MODE.toString(8).padStart(4, "0");
  const r = await execa("useradd", ["-m", "-K", `HOME_MODE=${mode}`, "-s", "/bin/bash", "--", name], { reject: false, timeout: 30_000 });
  // 9 = the account exists already (a concurrent spawn created it): fine
  if (r.exitCode !== 0 && r.exitCode !== 9)
    throw new SpawnError(`Could not create the OS account "${name}": ${String(r.stderr).trim() || `useradd exited with ${r.exitCode}`}`);
  const entry = await lookupOsUser(name);
  if (!entry) throw new SpawnError(`The OS account "${name}" was created but cannot be found.`);
  if (r.exitCode === 0) {
    const home = await stat(entry.home).catch(() => null);
    if (home && home.uid === entry.uid && (home.mode & 0o777) !== HOME_MODE) await chmod(entry.home, HOME_MODE);
  }
  return entry;
}

/** UID_MIN of /etc/login.defs, else DEFAULT_UID_MIN: the default of spawner.local.minimumUid. */
export function systemUidMin(): number {
  try {
    return parseLoginDefsUidMin(readFileSync("/etc/login.defs", "utf8")) ?? DEFAULT_UID_MIN;
  } catch {
    return DEFAULT_UID_MIN;
  }
}

/** Looks `name` up; creates it when missing and `create` is set, else fails with a clear reason. */
export async function resolveOsUser(name: string, create: boolean): Promise<PasswdEntry> {
  const entry = await lookupOsUser(name);
  if (entry) return entry;
  if (create) return createOsUser(name);
  throw new SpawnError(`The OS account "${name}" does not exist on the hub host. Ask an administrator to create it (or enable spawner.local.createOsUsers).`);
}

function assertValidOsUserName(name: string): void {
  if (!isValidOsUserName(name)) throw new SpawnError(`"${name.slice(0, 64)}" is not a valid OS account name.`);
}
