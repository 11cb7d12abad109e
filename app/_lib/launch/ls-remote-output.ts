// Picking the commit of a ref out of `git ls-remote` output ("<sha>\t<refname>" lines). Pure.
// Order of preference for a short name: the branch, then the tag (its peeled "^{}" line first,
// which is the commit an annotated tag points to), then a full ref name given as is.
import { COMMIT_PATTERN } from "./refs";

export function pickLsRemoteCommit(output: string, ref: string): string | null {
  const refs = new Map<string, string>();
  for (const line of output.split("\n")) {
    const [sha, name] = line.trim().split(/\s+/);
    if (sha && name && COMMIT_PATTERN.test(sha)) refs.set(name, sha);
  }
  const candidates = ref === "HEAD" ? ["HEAD"] : [`refs/heads/${ref}`, `refs/tags/${ref}^{}`, `refs/tags/${ref}`, ...(ref.startsWith("refs/") ? [ref] : [])];
  for (const c of candidates) {
    const sha = refs.get(c);
    if (sha) return sha;
  }
  return null;
}
