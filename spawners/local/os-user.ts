// I/O: look up (and optionally create) the OS account a server runs as. Names are checked
// against OS_USER_NAME_PATTERN before any command runs; commands are argument arrays.
import { execa } from "execa";
import { SpawnError } from "../types";
import { isValidOsUserName, parsePasswdLine, type PasswdEntry } from "./passwd";

/** getent exits 2 when the key is not in the database (getent(1)). */
const GETENT_NOT_FOUND = 2;

/** The passwd entry of `name`, or null when there is no such account. Throws SpawnError for a bad name. */
export async function lookupOsUser(name: string): Promise<PasswdEntry | null> {
  assertValidOsUserName(name);
  const r = await execa("getent", ["passwd", name], { reject: false, timeout: 10_000 });
  if (r.exitCode === GETENT_NOT_FOUND) return null;
  if (r.exitCode !== 0) throw new SpawnError(`Could not look up the OS account "${name}" (getent exited with ${r.exitCode}).`);
  const entry = parsePasswdLine(String(r.stdout).split("\n")[0] ?? "");
  if (!entry || entry.name !== name) throw new SpawnError(`The OS account "${name}" has a malformed passwd entry.`);
  return entry;
}

/** Creates `name` with a home directory and bash (`useradd -m -s /bin/bash`), then looks it up. */
export async function createOsUser(name: string): Promise<PasswdEntry> {
  assertValidOsUserName(name);
  const r = await execa("useradd", ["-m", "-s", "/bin/bash", "--", name], { reject: false, timeout: 30_000 });
  // 9 = the account exists already (a concurrent spawn created it): fine
  if (r.exitCode !== 0 && r.exitCode !== 9)
    throw new SpawnError(`Could not create the OS account "${name}": ${String(r.stderr).trim() || `useradd exited with ${r.exitCode}`}`);
  const entry = await lookupOsUser(name);
  if (!entry) throw new SpawnError(`The OS account "${name}" was created but cannot be found.`);
  return entry;
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
