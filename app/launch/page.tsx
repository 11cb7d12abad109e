// /hub/launch – "launch a repository": writes the launch link and the badge Markdown for a
// repository, ref and file (as mybinder.org's form does). Nothing is launched from here.
import type { Metadata } from "next";
import { getRuntime } from "../_lib/runtime";
import { requireCurrentUser } from "../_lib/auth/current-user";
import { PageFrame } from "../_components/page-frame";
import { Card, Notice } from "../_components/ui";
import { LaunchForm } from "./launch-form";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Launch a repository" };

export default async function LaunchFormPage() {
  const viewer = await requireCurrentUser("/launch");
  const { config } = getRuntime();
  const allow = config.launch.allow;
  const trusted = [
    ...allow.githubOwners.map((o) => (o === "*" ? "any GitHub repository" : `GitHub: ${o}`)),
    ...allow.gitlabNamespaces.map((n) => (n === "*" ? "any GitLab project" : `GitLab: ${n}`)),
    ...allow.gistUsers.map((u) => (u === "*" ? "any gist" : `gists of ${u}`)),
    ...allow.gitHosts.map((h) => `git: ${h}`),
  ];
  return (
    <PageFrame user={viewer}>
      <Card className="mx-auto max-w-3xl space-y-5">
        <h1 className="text-xl font-semibold">Launch a repository</h1>
        {!config.launch.enabled ? (
          <Notice kind="info" testId="launch-disabled">
            Launch links are not enabled on this hub. An administrator can turn them on (launch.enabled).
          </Notice>
        ) : (
          <>
            <p className="text-sm text-slate-600">
              Fill in a repository to get a link that opens it, with its environment, in a server of whoever clicks it. Put the badge in a README, a paper or a
              tutorial.
            </p>
            <p className="text-sm text-slate-600" data-testid="launch-allowed">
              This hub launches: {trusted.length ? trusted.join("; ") : "nothing yet (an administrator lists trusted repositories in launch.allow)"}.
            </p>
            <LaunchForm publicUrl={config.hub.publicUrl} />
          </>
        )}
      </Card>
    </PageFrame>
  );
}
