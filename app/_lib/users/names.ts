// Hub user names and server names: the rules and their checks. Pure.
import { HttpError } from "@/app/_lib/http/errors";

/** Longest user or server name: JupyterHub's (its name columns hold 255 characters). */
export const NAME_MAX_LENGTH = 255;

/**
 * The characters of a user or server name, as a regular expression source: a lower-case letter or
 * digit first, then up to 254 lower-case letters, digits, ".", "_" or "-", with no ".." anywhere.
 * A name is one URL path segment that no client or proxy resolves as "." or "..", and never a
 * hidden file name. Wherever a name becomes something with a tighter rule (an OS account, a DNS
 * label, a Kubernetes object, a batch job, a file name) it goes through that thing's own mapping
 * (os-account.ts, proxy/origins/user-label.ts, spawners/kubernetes/names.ts, makeJobName,
 * toFileNamePart), never in raw.
 */
export const NAME_SOURCE = "[a-z0-9](?:[a-z0-9_-]|\\.(?!\\.)){0,254}";

/**
 * Hub user names (JupyterHub's limits; BinderHub's launcher makes 40-character names with dots
 * and digits first). Only ASCII capitals are lower-cased before the check: input is never trimmed
 * or case-folded (Unicode folding turns the Kelvin sign "K" into "k", so "\u212Ax" would become
 * someone else's "kx"), so a name either is what it says or is refused.
 */
export const USERNAME_PATTERN = new RegExp(`^${NAME_SOURCE}$`);
export const USERNAME_RULE = `a lower-case letter or digit first, then lower-case letters, digits, '.', '-' or '_' (no '..'), at most ${NAME_MAX_LENGTH} characters`;

/** Server names: the same rule; "proxy" and the paths Jupyter serves under a server are reserved. */
export const SERVERNAME_PATTERN = USERNAME_PATTERN;
const RESERVED_SERVER_NAMES = new Set(["proxy", "api", "tree", "notebooks", "edit", "files", "static", "logout", "lab", "terminals", "kernels"]);

/** ASCII capitals lower-cased, nothing else changed (no trimming, no Unicode case folding). */
export function asciiLower(raw: string): string {
  return raw.replace(/[A-Z]+/g, (s) => s.toLowerCase());
}

/**
 * The name to look up for `raw`: ASCII capitals lower-cased, nothing else. Anything that is not
 * already a valid name (spaces, tabs, non-ASCII letters) stays invalid and matches no user.
 */
export function normalizeUsername(raw: string): string {
  return asciiLower(raw);
}

/** Returns the normalised name or throws a 400 that says what a valid name looks like. */
export function validateUsername(raw: unknown): string {
  if (typeof raw !== "string" || !raw) throw new HttpError(400, "A user name is required.");
  const name = normalizeUsername(raw);
  if (!USERNAME_PATTERN.test(name)) throw new HttpError(400, `Invalid user name ${JSON.stringify(raw.slice(0, 64))}: use ${USERNAME_RULE}.`);
  return name;
}

export function validateServerName(raw: unknown): string {
  if (raw === undefined || raw === null || raw === "") return "";
  if (typeof raw !== "string") throw new HttpError(400, "A server name must be a string.");
  const name = asciiLower(raw);
  if (!SERVERNAME_PATTERN.test(name)) throw new HttpError(400, `Invalid server name ${JSON.stringify(raw.slice(0, 64))}: use ${USERNAME_RULE}.`);
  if (RESERVED_SERVER_NAMES.has(name)) throw new HttpError(400, `"${name}" is reserved and cannot be a server name.`);
  return name;
}
