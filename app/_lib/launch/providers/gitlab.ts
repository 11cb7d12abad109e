// /v2/gl/<url-escaped project path>/<ref>: a GitLab project. As in BinderHub, the spec is split at
// its first "/": the project path ("group%2Fsubgroup%2Fproject") and the ref are %-decoded.
import { LaunchError } from "../launch-error";
import { checkRef, decodeLinkPart } from "../refs";
import { readGitLabAnswer } from "./api-answers";
import type { LaunchProvider, ProviderSettings, RepoSpec, Resolution } from "./types";

const SEGMENT = /^[A-Za-z0-9_.][A-Za-z0-9_.-]*$/;

export const gitlabProvider: LaunchProvider = {
  id: "gl",
  displayName: "GitLab",
  parse(rawSpec: string, settings: ProviderSettings): RepoSpec {
    const slash = rawSpec.indexOf("/");
    if (slash <= 0 || slash === rawSpec.length - 1) throw new LaunchError("bad-link", "The link is not of the form /v2/gl/<url-escaped project path>/<ref>.");
    const project = decodeLinkPart(rawSpec.slice(0, slash), "project path").replace(/\.git$/, "");
    const ref = checkRef(decodeLinkPart(rawSpec.slice(slash + 1), "ref"));
    const segments = project.split("/");
    if (segments.length < 2 || !segments.every((s) => SEGMENT.test(s) && s !== "." && s !== "..")) {
      throw new LaunchError("bad-link", `"${project.slice(0, 200)}" is not a GitLab project path such as group/project.`);
    }
    return {
      provider: "gl",
      rawSpec,
      ref,
      repoUrl: `${settings.gitlab.webUrl}/${project}.git`,
      subject: { kind: "gitlab", project },
      shortName: segments[segments.length - 1],
      repoPart: encodeURIComponent(project),
    };
  },
  resolution(spec: RepoSpec, settings: ProviderSettings): Resolution {
    const url = `${settings.gitlab.apiUrl}/projects/${spec.repoPart}/repository/commits/${encodeURIComponent(spec.ref)}`;
    const what = `${decodeURIComponent(spec.repoPart)} at "${spec.ref}"`;
    return { kind: "api", api: "gitlab", url, read: (answer, now) => readGitLabAnswer(answer, now, what) };
  },
  refUrl(spec: RepoSpec, commit: string, settings: ProviderSettings): string {
    return `${settings.gitlab.webUrl}/${decodeURIComponent(spec.repoPart)}/-/tree/${commit}`;
  },
};
