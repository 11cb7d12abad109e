// Hub user names and server names: the rules and their checks. Pure.
import { HttpError } from "@/app/_lib/http/errors";

/**
 * Hub user names: lower case, start with a letter, then letters, digits, "-" or "_", at most 32
 * characters. The same rule keeps names valid as OS account names (useradd), URL path segments
 * and Kubernetes label values. Only ASCII capitals are lower-cased before the check: input is
 * never trimmed or case-folded (Unicode folding turns the Kelvin sign "K" into "k", so "\u212Ax"
 * would become someone else's "kx"), so a name either is what it says or is refused.
 */
export const USERNAME_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;
export const USERNAME_RULE = "a letter first, then up to 31 lower-case letters, digits, '-' or '_'";

/** Server names: like user names but may start with a digit; "proxy" is reserved for dashboards. */
export const SERVERNAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/;
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
  if (!SERVERNAME_PATTERN.test(name))
    throw new HttpError(400, `Invalid server name ${JSON.stringify(raw.slice(0, 64))}: use up to 32 lower-case letters, digits, '-' or '_'.`);
  if (RESERVED_SERVER_NAMES.has(name)) throw new HttpError(400, `"${name}" is reserved and cannot be a server name.`);
  return name;
}
