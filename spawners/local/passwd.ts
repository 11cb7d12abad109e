// Pure helpers about OS accounts: whether a name is safe to hand to getent/useradd, and parsing a
// passwd line. No I/O (see os-user.ts for that). Which account a hub user maps to is the hub's
// decision (app/_lib/users/os-account.ts); the spawner receives it as ctx.user.osUser.

/**
 * OS account names we accept: a lower-case letter or "_" first, then up to 31 lower-case letters,
 * digits, "_" or "-". Stricter than Debian's NAME_REGEX on purpose: the name ends up in argv of
 * getent/useradd and in file names, so nothing that could read as an option or a path is allowed.
 */
export const OS_USER_NAME_PATTERN = /^[a-z_][a-z0-9_-]{0,31}$/;

/** True when `name` may be passed to getent/useradd. */
export function isValidOsUserName(name: string): boolean {
  return OS_USER_NAME_PATTERN.test(name);
}

/** One passwd entry, as `getent passwd <name>` prints it. */
export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

/** Parses "name:x:uid:gid:gecos:home:shell"; returns null for anything malformed. */
export function parsePasswdLine(line: string): PasswdEntry | null {
  const f = line.trim().split(":");
  if (f.length !== 7) return null;
  const uid = Number(f[2]);
  const gid = Number(f[3]);
  if (!f[0] || !Number.isInteger(uid) || !Number.isInteger(gid) || uid < 0 || gid < 0 || !f[5].startsWith("/")) return null;
  return { name: f[0], uid, gid, home: f[5], shell: f[6] || "/bin/sh" };
}

/**
 * Whether the passwd database asks /etc/passwd first, from the text of /etc/nsswitch.conf: then an
 * entry found there is what getent (glibc's NSS) answers, and the hub need not run getent for it.
 * Only a plain "files" as the first source counts ("compat" reads NIS markers; an action after it,
 * such as [SUCCESS=continue], could change the answer). No passwd line: glibc's default is files.
 */
export function passwdFilesFirst(nsswitch: string): boolean {
  let sources: string[] | null = null;
  for (const raw of nsswitch.split("\n")) {
    const m = /^\s*passwd\s*:(.*)$/.exec(raw.replace(/#.*/, ""));
    if (m) sources = m[1].trim().split(/\s+/).filter(Boolean);
  }
  if (!sources) return true;
  return sources[0] === "files" && !(sources[1] ?? "").startsWith("[");
}

/**
 * `name`'s entry in the text of /etc/passwd (the first line with that name, as glibc takes it), or
 * null. Lines of NIS markers ("+", "-") and malformed lines are skipped.
 */
export function findPasswdEntry(passwd: string, name: string): PasswdEntry | null {
  const prefix = `${name}:`;
  for (const line of passwd.split("\n")) {
    if (!line.startsWith(prefix)) continue;
    const entry = parsePasswdLine(line);
    if (entry && entry.name === name) return entry;
  }
  return null;
}

/**
 * Every account's entry in the text of /etc/passwd, by name: what findPasswdEntry answers for each
 * name (the first well-formed line of that name), read in one pass so that a hub starting many
 * servers parses the file once per change of it, not once per start.
 */
export function indexPasswdEntries(passwd: string): Map<string, PasswdEntry> {
  const entries = new Map<string, PasswdEntry>();
  for (const line of passwd.split("\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0 || entries.has(line.slice(0, colon))) continue;
    const entry = parsePasswdLine(line);
    if (entry && entry.name === line.slice(0, colon)) entries.set(entry.name, entry);
  }
  return entries;
}

/** The first uid of ordinary accounts when /etc/login.defs does not say (Debian's and most distributions' UID_MIN). */
export const DEFAULT_UID_MIN = 1000;

/** UID_MIN from the text of /etc/login.defs, or null when it sets none (a "KEY value" line; "#" starts a comment). */
export function parseLoginDefsUidMin(text: string): number | null {
  for (const line of text.split("\n")) {
    const m = /^\s*UID_MIN\s+(\d+)\s*(?:#.*)?$/.exec(line);
    if (m) return Number(m[1]);
  }
  return null;
}

/** Expands `spawner.local.notebookDir` ({home}, {username}). */
export function resolveNotebookDir(template: string, vars: { home: string; username: string }): string {
  return template.replaceAll("{home}", vars.home).replaceAll("{username}", vars.username);
}
