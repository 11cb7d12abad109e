// /hub/launch/v2/<provider>/<spec>?urlpath=… – a launch link's page (the hub's /v2/... redirects
// here): the link is checked at once, then the page starts the launch with a POST and shows its
// phases live until the notebook opens.
import type { Metadata } from "next";
import { getRuntime } from "@/app/_lib/runtime";
import { requireCurrentUser } from "@/app/_lib/auth/current-user";
import { checkLaunchLink } from "@/app/_lib/launch/launches";
import { isLaunchError, launchErrorStatus } from "@/app/_lib/launch/launch-error";
import { PageFrame } from "@/app/_components/page-frame";
import { Card } from "@/app/_components/ui";
import type { SearchParams } from "@/app/_components/search-params";
import { LaunchProgress } from "./launch-progress";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Launching" };

type Props = { params: Promise<{ spec: string[] }>; searchParams: SearchParams };

export default async function LaunchPage({ params, searchParams }: Props) {
  const { spec } = await params;
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(await searchParams)) for (const one of Array.isArray(v) ? v : v === undefined ? [] : [v]) query.append(k, one);
  // Next hands over segments decoded or not depending on the character; re-escaping each one
  // gives the raw link back (a "%2F" inside a GitLab project stays one segment)
  const link = spec.map((s) => encodeURIComponent(safeDecode(s))).join("/");
  const search = query.toString();
  const viewer = await requireCurrentUser(`/launch/v2/${link}${search ? `?${search}` : ""}`);
  let error: { status: number; message: string } | null = null;
  let repo = link;
  try {
    const checked = checkLaunchLink(getRuntime().launch, link, query);
    repo = `${checked.spec.repoPart} @ ${checked.spec.ref}`;
  } catch (err) {
    if (!isLaunchError(err)) throw err;
    error = { status: launchErrorStatus(err.kind), message: err.message };
  }
  return (
    <PageFrame user={viewer}>
      <Card className="mx-auto max-w-2xl">
        <LaunchProgress user={viewer.name} csrf={viewer.csrfToken} repo={repo} linkError={error} />
      </Card>
    </PageFrame>
  );
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
