// Names a launch gets: its folder in the user's home and its named server. Pure. Both contain
// the commit, so a second launch of the same commit finds the same folder (and the user's edits
// in it), and a launch of a new commit gets a fresh one.
import type { RepoSpec } from "./providers";

/** "<repoDir>/<repo>-<first 12 of the commit>", e.g. "~/launches/requirements-1a2b3c4d5e6f". */
export function launchFolder(repoDir: string, spec: Pick<RepoSpec, "shortName">, commit: string): string {
  return `${repoDir.replace(/\/+$/, "")}/${slug(spec.shortName, 40, false)}-${commit.slice(0, 12)}`;
}

/**
 * The named server of a launch: "<repo>-<first 8 of the commit>", lower-case, at most 32
 * characters, within the hub's server-name rule (app/_lib/users/names.ts SERVERNAME_PATTERN).
 */
export function launchServerName(spec: Pick<RepoSpec, "shortName">, commit: string): string {
  return `${slug(spec.shortName, 23, true) || "launch"}-${commit.slice(0, 8)}`;
}

function slug(name: string, max: number, lower: boolean): string {
  const s = (lower ? name.toLowerCase() : name).replace(/[^A-Za-z0-9_-]+/g, "-").replace(/^[-_]+|[-_]+$/g, "");
  return s.slice(0, max).replace(/[-_]+$/, "");
}
