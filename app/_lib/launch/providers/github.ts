// /v2/gh/<owner>/<repo>/<ref>: a GitHub repository. As in BinderHub, the spec is split at the
// first two slashes only, so a ref may contain "/" (feature/x); a ".git" suffix of the repository
// name is dropped; a spec without a ref is refused with a hint to add /HEAD.
import { LaunchError } from "../launch-error";
import { checkRef, decodeLinkPart } from "../refs";
import { readGitHubAnswer } from "./api-answers";
import type { LaunchProvider, ProviderSettings, RepoSpec, Resolution } from "./types";

const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const REPO = /^[A-Za-z0-9._-]{1,100}$/;

export const githubProvider: LaunchProvider = {
  id: "gh",
  displayName: "GitHub",
  parse(rawSpec: string, settings: ProviderSettings): RepoSpec {
    const first = rawSpec.indexOf("/");
    const second = first < 0 ? -1 : rawSpec.indexOf("/", first + 1);
    if (first < 0 || second < 0) {
      const hint = first > 0 && !["main", "master", "HEAD"].includes(rawSpec.slice(first + 1)) ? ` Did you mean "${rawSpec}/HEAD"?` : "";
      throw new LaunchError("bad-link", `The link is not of the form /v2/gh/<owner>/<repo>/<ref>.${hint}`);
    }
    const owner = decodeLinkPart(rawSpec.slice(0, first), "owner");
    const repo = decodeLinkPart(rawSpec.slice(first + 1, second), "repository").replace(/\.git$/, "");
    const ref = checkRef(decodeLinkPart(rawSpec.slice(second + 1), "ref"));
    if (!OWNER.test(owner)) throw new LaunchError("bad-link", `"${owner.slice(0, 64)}" is not a GitHub user or organisation name.`);
    if (!REPO.test(repo) || repo === "." || repo === "..") throw new LaunchError("bad-link", `"${repo.slice(0, 100)}" is not a GitHub repository name.`);
    return {
      provider: "gh",
      rawSpec,
      ref,
      repoUrl: `${settings.github.webUrl}/${owner}/${repo}`,
      subject: { kind: "github", owner },
      shortName: repo,
      repoPart: `${owner}/${repo}`,
    };
  },
  resolution(spec: RepoSpec, settings: ProviderSettings): Resolution {
    const url = `${settings.github.apiUrl}/repos/${spec.repoPart}/commits/${encodeURIComponent(spec.ref)}`;
    const what = `${spec.repoPart} at "${spec.ref}"`;
    return { kind: "api", api: "github", url, read: (answer, now) => readGitHubAnswer(answer, now, what, (b) => (b as { sha?: string } | null)?.sha) };
  },
  refUrl(spec: RepoSpec, commit: string, settings: ProviderSettings): string {
    return `${settings.github.webUrl}/${spec.repoPart}/tree/${commit}`;
  },
};
