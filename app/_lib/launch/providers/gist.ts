// /v2/gist/<user>/<gist id>[/<ref>]: a GitHub gist. As in BinderHub, the ref is optional; empty,
// HEAD, master and main mean the newest revision, anything else must be one of the gist's
// revisions (a commit id). Secret gists are refused unless the admin allows them.
import { LaunchError } from "../launch-error";
import { decodeLinkPart, isCommitId } from "../refs";
import { readGitHubAnswer } from "./api-answers";
import type { ApiAnswer, LaunchProvider, ProviderSettings, RepoSpec, Resolution } from "./types";

const USER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const GIST_ID = /^[0-9a-f]{1,64}$/i;
const LATEST = new Set(["", "HEAD", "master", "main"]);

interface GistBody {
  public?: boolean;
  owner?: { login?: string };
  history?: { version?: string }[];
}

export const gistProvider: LaunchProvider = {
  id: "gist",
  displayName: "GitHub Gist",
  parse(rawSpec: string, settings: ProviderSettings): RepoSpec {
    const parts = rawSpec.split("/");
    if (parts.length < 2) throw new LaunchError("bad-link", "The link is not of the form /v2/gist/<user>/<gist id>[/<ref>].");
    const user = decodeLinkPart(parts[0], "user");
    const id = decodeLinkPart(parts[1], "gist id");
    const ref = decodeLinkPart(parts[2] ?? "", "ref");
    if (!USER.test(user)) throw new LaunchError("bad-link", `"${user.slice(0, 64)}" is not a GitHub user name.`);
    if (!GIST_ID.test(id)) throw new LaunchError("bad-link", `"${id.slice(0, 64)}" is not a gist id.`);
    if (!LATEST.has(ref) && !isCommitId(ref))
      throw new LaunchError("bad-link", `A gist can be launched at HEAD or at one of its revisions (a 40-character id), not "${ref.slice(0, 64)}".`);
    return {
      provider: "gist",
      rawSpec,
      ref: LATEST.has(ref) ? "HEAD" : ref,
      repoUrl: `${settings.github.gistUrl}/${user}/${id}.git`,
      subject: { kind: "gist", user },
      shortName: `gist-${id.slice(0, 8)}`,
      repoPart: `${user}/${id}`,
    };
  },
  resolution(spec: RepoSpec, settings: ProviderSettings): Resolution {
    const id = spec.repoPart.split("/")[1];
    const what = `gist ${spec.repoPart}`;
    const read = (answer: ApiAnswer, now: number) => {
      const reading = readGitHubAnswer(answer, now, what, (b) => pickRevision(b as GistBody, spec.ref));
      if (answer.status === 200 && "commit" in reading) {
        const body = answer.body as GistBody;
        if (body.public === false && !settings.github.allowSecretGists)
          return { error: new LaunchError("denied", "This is a secret gist; this hub does not launch secret gists.") };
        // the allow-list is by user: a gist must really be that user's
        const user = spec.subject.kind === "gist" ? spec.subject.user : "";
        if (body.owner?.login?.toLowerCase() !== user.toLowerCase()) return { error: new LaunchError("not-found", `Gist ${id} does not belong to ${user}.`) };
      }
      if (answer.status === 200 && "error" in reading && spec.ref !== "HEAD") {
        return { error: new LaunchError("not-found", `Gist ${spec.repoPart} has no revision ${spec.ref}.`) };
      }
      return reading;
    };
    return { kind: "api", api: "github", url: `${settings.github.apiUrl}/gists/${encodeURIComponent(id)}`, read };
  },
  refUrl(spec: RepoSpec, commit: string, settings: ProviderSettings): string {
    return `${settings.github.gistUrl}/${spec.repoPart}/${commit}`;
  },
};

function pickRevision(body: GistBody | null, ref: string): string | undefined {
  const versions = (body?.history ?? []).map((h) => h.version).filter((v): v is string => typeof v === "string");
  if (ref === "HEAD") return versions[0];
  return versions.includes(ref) ? ref : undefined;
}
