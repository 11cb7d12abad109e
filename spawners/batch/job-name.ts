// The name a server's batch job carries in squeue/qstat. Pure.
//
// Jobs are tracked by their id, never by name, but a name must be valid for every scheduler and
// must tell an administrator whose job it is, so two servers never share one:
// - Characters: letters, digits, "_", "." and "-" only, a letter first, at most 63 (what every
//   dialect takes on a directive line: Grid Engine refuses "/", ":", "@", "\", "*", "?" and
//   whitespace in -N and a digit first; PBS Pro wants a letter first; Slurm and LSF take more).
// - Join: "gyre-<user>" for the default server, "gyre-<user>-S-<server>" for a named one. Hub
//   names are lower case, so the first "-S-" always ends the user part and the join is injective.
// - Fit: a longer name is cut and ends in "-H" and 12 hex digits of the SHA-256 of the full name.
//   "H" never occurs in an unshortened name, so a shortened name never equals an unshortened one;
//   two shortened names are equal only if 48 bits of their hashes are.
import { createHash } from "node:crypto";

/** Longest job name Gyre gives (the job script's own check: job-script.ts JOB_NAME). */
export const JOB_NAME_MAX_LENGTH = 63;
const HASH_CHARS = 12;

/** The job name of `user`'s server `server` ("" = the default server); valid for any input. */
export function makeJobName(user: string, server: string): string {
  // Hub names never hold other characters; anything else would be a caller's bug, made harmless.
  const safe = (s: string) => s.replace(/[^a-z0-9_.-]/g, "_");
  const full = `gyre-${safe(user)}${server ? `-S-${safe(server)}` : ""}`;
  if (full.length <= JOB_NAME_MAX_LENGTH) return full;
  const hash = createHash("sha256").update(full).digest("hex").slice(0, HASH_CHARS);
  return `${full.slice(0, JOB_NAME_MAX_LENGTH - 2 - HASH_CHARS)}-H${hash}`;
}
