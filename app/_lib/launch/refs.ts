// Pure checks of the names that come from a launch link and end up in git commands or API URLs.
// Commands get them as separate arguments (never a shell), but git still reads an argument that
// starts with "-" as an option, so each name is checked before it goes anywhere.
import { LaunchError } from "./launch-error";

export const COMMIT_PATTERN = /^[0-9a-f]{40}$/;

/** A full commit id (what every ref is resolved to). */
export function isCommitId(ref: string): boolean {
  return COMMIT_PATTERN.test(ref);
}

/**
 * Whether `ref` may be a branch, tag, commit or "HEAD": git's rules for ref names
 * (git-check-ref-format(1)) plus no leading "-", so no ref can pass for an option.
 */
export function isValidRef(ref: string): boolean {
  if (ref === "HEAD" || isCommitId(ref)) return true;
  if (!ref || ref.length > 255 || ref.startsWith("-") || ref.startsWith("/") || ref.endsWith("/") || ref.endsWith(".")) return false;
  // control characters, space, ~ ^ : ? * [ \ and DEL are never allowed
  // eslint-disable-next-line no-control-regex -- control characters are what it refuses
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(ref)) return false;
  if (ref.includes("..") || ref.includes("@{") || ref.includes("//") || ref === "@") return false;
  return ref.split("/").every((part) => part.length > 0 && !part.startsWith(".") && !part.endsWith(".lock"));
}

/** The ref, or a bad-link LaunchError saying what is wrong with it. */
export function checkRef(ref: string): string {
  if (!isValidRef(ref)) throw new LaunchError("bad-link", `"${ref.slice(0, 100)}" is not a valid branch, tag or commit.`);
  return ref;
}

/** decodeURIComponent that answers a bad-link LaunchError instead of a URIError. */
export function decodeLinkPart(part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new LaunchError("bad-link", `The ${what} in the link has a malformed %-escape.`);
  }
}
