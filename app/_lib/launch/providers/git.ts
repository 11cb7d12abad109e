// /v2/git/<url-escaped repository URL>/<ref>: any git server the admin allows. As in BinderHub,
// the spec is split at its first "/" and both halves are %-decoded; "user@host:path" (scp-like
// ssh) is recognised — and refused here, like every scheme other than https (http only for the
// admin's httpHosts): launches fetch anonymously. A commit id needs no lookup; any other ref is
// resolved with `git ls-remote`.
import { LaunchError } from "../launch-error";
import { checkRef, decodeLinkPart, isCommitId } from "../refs";
import type { LaunchProvider, ProviderSettings, RepoSpec, Resolution } from "./types";

const SCP_LIKE = /^[\w-]+@[\w.-]+:.+$/;

/** The URL when git may fetch it anonymously from the hub's point of view; else a LaunchError. */
export function checkGitUrl(raw: string, httpHosts: string[]): URL {
  if (SCP_LIKE.test(raw)) throw new LaunchError("bad-link", "ssh repository URLs cannot be launched; use the repository's https URL.");
  // eslint-disable-next-line no-control-regex -- control characters are what it refuses
  if (raw.startsWith("-") || /[\x00-\x20\x7f]/.test(raw) || raw.includes("::"))
    throw new LaunchError("bad-link", "The repository URL in the link is not a plain URL.");
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new LaunchError("bad-link", "The repository URL in the link is not a valid URL.");
  }
  const host = url.host.toLowerCase();
  if (url.protocol === "http:" && !httpHosts.includes(host)) throw new LaunchError("bad-link", `${host} may only be reached over https.`);
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new LaunchError("bad-link", `${url.protocol.replace(/:$/, "")} repository URLs cannot be launched; use https.`);
  if (url.username || url.password) throw new LaunchError("bad-link", "The repository URL contains credentials; remove the user name and password.");
  if (url.search || url.hash) throw new LaunchError("bad-link", "The repository URL may not have a query or fragment.");
  if (!url.hostname) throw new LaunchError("bad-link", "The repository URL has no host.");
  return url;
}

export const gitProvider: LaunchProvider = {
  id: "git",
  displayName: "Git repository",
  parse(rawSpec: string, settings: ProviderSettings): RepoSpec {
    const slash = rawSpec.indexOf("/");
    if (slash <= 0 || slash === rawSpec.length - 1)
      throw new LaunchError("bad-link", "The link is not of the form /v2/git/<url-escaped repository URL>/<ref>.");
    const url = checkGitUrl(decodeLinkPart(rawSpec.slice(0, slash), "repository URL"), settings.httpHosts);
    const ref = checkRef(decodeLinkPart(rawSpec.slice(slash + 1), "ref"));
    const last = url.pathname.replace(/\/+$/, "").split("/").pop() ?? "";
    return {
      provider: "git",
      rawSpec,
      ref,
      repoUrl: url.href,
      subject: { kind: "git", host: url.host.toLowerCase() },
      shortName: last.replace(/\.git$/, "") || url.hostname,
      repoPart: encodeURIComponent(url.href),
    };
  },
  resolution(spec: RepoSpec): Resolution {
    if (isCommitId(spec.ref)) return { kind: "commit", commit: spec.ref };
    return { kind: "ls-remote", url: spec.repoUrl, ref: spec.ref };
  },
  refUrl(spec: RepoSpec): string {
    // an unknown git server has no known page per commit (BinderHub answers the repository URL too)
    return spec.repoUrl;
  },
};
