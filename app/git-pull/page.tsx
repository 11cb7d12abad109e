// /hub/git-pull?repo=…&branch=…&urlpath=… – a git-pull link (nbgitpuller's parameters; reached
// from /hub/user-redirect/git-pull): says what will be pulled where, pulls with a POST, then
// opens the default server at urlpath.
import type { Metadata } from "next";
import { getRuntime } from "../_lib/runtime";
import { requireCurrentUser } from "../_lib/auth/current-user";
import { parseGitPullLink } from "../_lib/launch/git-pull-link";
import { decideLaunchAllowed } from "../_lib/launch/allow-list";
import { PageFrame } from "../_components/page-frame";
import { Card } from "../_components/ui";
import type { SearchParams } from "../_components/search-params";
import { GitPullProgress } from "./git-pull-progress";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Pulling a repository" };

export default async function GitPullPage({ searchParams }: { searchParams: SearchParams }) {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(await searchParams)) for (const one of Array.isArray(v) ? v : v === undefined ? [] : [v]) query.append(k, one);
  const viewer = await requireCurrentUser(`/git-pull?${query.toString()}`);
  const { launch } = getRuntime();
  let what = { repo: query.get("repo") ?? "", branch: query.get("branch") ?? "", target: "" };
  let error: string | null = null;
  try {
    if (!launch.config.enabled) throw new Error("git-pull links are not enabled on this hub (launch.enabled).");
    const link = parseGitPullLink(query, launch.settings);
    const decision = decideLaunchAllowed(link.subject, launch.config.allow);
    what = { repo: link.repoUrl, branch: link.branch ?? "", target: `${launch.config.gitPullDir.replace(/\/+$/, "")}/${link.targetPath}` };
    if (!decision.allowed) error = decision.reason;
  } catch (err) {
    if (!(err instanceof Error)) throw err;
    error = err.message;
  }
  return (
    <PageFrame user={viewer}>
      <Card className="mx-auto max-w-2xl">
        <GitPullProgress csrf={viewer.csrfToken} repo={what.repo} branch={what.branch} target={what.target} linkError={error} />
      </Card>
    </PageFrame>
  );
}
