// nbgitpuller's links, served by the hub: /hub/user-redirect/git-pull?repo=&branch=&urlpath=
// (also targetpath, subpath and app, as nbgitpuller reads them). Pure: the query → what to
// clone or merge, where, what the allow-list sees, and what to open afterwards.
import type { ProviderSettings } from "./providers";
import type { AllowSubject } from "./providers/types";
import { checkGitUrl } from "./providers/git";
import { LaunchError } from "./launch-error";
import { checkRef } from "./refs";

export interface GitPullLink {
  repoUrl: string;
  /** null: the repository's default branch */
  branch: string | null;
  /** folder relative to the server's root (nbgitpuller's targetpath; default: the repository's name) */
  targetPath: string;
  /** path inside the server to open afterwards */
  urlPath: string;
  subject: AllowSubject;
  allowHttp: boolean;
}

const SAFE_SEGMENT = /^[A-Za-z0-9._][A-Za-z0-9._ -]*$/;

export function parseGitPullLink(query: URLSearchParams, settings: ProviderSettings): GitPullLink {
  const repo = query.get("repo");
  if (!repo) throw new LaunchError("bad-link", "A git-pull link needs repo=<repository URL>.");
  const url = checkGitUrl(repo.trim(), settings.httpHosts);
  const branchParam = query.get("branch");
  const branch = branchParam ? checkRef(branchParam) : null;
  const defaultTarget = (url.pathname.replace(/\/+$/, "").split("/").pop() ?? "").replace(/\.git$/, "");
  const targetPath = checkRelativePath(query.get("targetpath") ?? query.get("targetPath") ?? defaultTarget, "targetpath");
  const subPath = checkRelativePath(query.get("subpath") ?? query.get("subPath") ?? "", "subpath");
  const urlPathParam = query.get("urlpath") ?? query.get("urlPath");
  let urlPath: string;
  if (urlPathParam) urlPath = urlPathParam.replace(/^\/*/, "");
  else {
    const path = [targetPath, subPath].filter(Boolean).join("/");
    const app = (query.get("app") ?? "").toLowerCase();
    urlPath =
      app === "lab" ? `lab/tree/${encodeURI(path)}` : path.toLowerCase().endsWith(".ipynb") ? `notebooks/${encodeURI(path)}` : `tree/${encodeURI(path)}`;
  }
  return { repoUrl: url.href, branch, targetPath, urlPath, subject: subjectOf(url, settings), allowHttp: url.protocol === "http:" };
}

/** What the allow-list sees for a repository URL: GitHub and GitLab URLs count as those providers. */
export function subjectOf(url: URL, settings: ProviderSettings): AllowSubject {
  const host = url.host.toLowerCase();
  const segments = url.pathname
    .replace(/\.git$/, "")
    .split("/")
    .filter(Boolean);
  if (host === new URL(settings.github.webUrl).host.toLowerCase() && segments.length >= 2) return { kind: "github", owner: segments[0] };
  if (host === new URL(settings.gitlab.webUrl).host.toLowerCase() && segments.length >= 2) return { kind: "gitlab", project: segments.join("/") };
  return { kind: "git", host };
}

function checkRelativePath(path: string, what: string): string {
  if (path.startsWith("/")) return fail(what);
  const trimmed = path.replace(/\/+$/g, "");
  if (trimmed === "" || trimmed === ".") return what === "subpath" ? "" : fail(what);
  if (!trimmed.split("/").every((s) => SAFE_SEGMENT.test(s) && s !== ".." && s !== ".")) return fail(what);
  return trimmed;
}

function fail(what: string): never {
  throw new LaunchError("bad-link", `The ${what} of the link must be a folder inside your home, without "..".`);
}
