// /hub/origin-login?user=<owner>&state=<hash>&next=<path> – where the proxy sends a browser that has
// no session yet on a user's origin. The owner goes straight back with a code; an admin first
// confirms (the POST is app/_lib/http/origin-login-routes.ts); anyone else is refused.
import type { Metadata } from "next";
import Link from "next/link";
import { notFound, redirect } from "next/navigation";
import { isStateHash } from "@/proxy/origins/handshake";
import { userOrigin } from "@/proxy/origins/origin-plan";
import { requireCurrentUser } from "@/app/_lib/auth/current-user";
import { buildOriginCallbackUrl, decideOriginAccess } from "@/app/_lib/auth/origin-login";
import { getRuntime } from "@/app/_lib/runtime";
import { PageFrame } from "@/app/_components/page-frame";
import { Card, Notice, buttonClass } from "@/app/_components/ui";
import { firstParam, type SearchParams } from "@/app/_components/search-params";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Open a server" };

export default async function OriginLoginPage({ searchParams }: { searchParams: SearchParams }) {
  const q = await searchParams;
  const owner = firstParam(q.user);
  const state = firstParam(q.state);
  const next = firstParam(q.next);
  const { db, keys, origins } = getRuntime();
  if (origins.mode !== "per-user") notFound();
  const viewer = await requireCurrentUser(`/origin-login?${new URLSearchParams({ user: owner, state, next })}`);
  const complete = owner !== "" && isStateHash(state);
  const access = complete ? await decideOriginAccess(db, viewer, owner, getRuntime().config.roles) : "forbidden";
  if (access === "owner" || access === "shared") {
    redirect(
      buildOriginCallbackUrl({
        plan: origins,
        key: keys.originCode,
        owner,
        viewer,
        session: { id: viewer.sessionId, expiresAt: viewer.sessionExpiresAt },
        stateHash: state,
        next,
        now: new Date(),
      }),
    );
  }
  return (
    <PageFrame user={viewer}>
      <Card className="mx-auto max-w-xl">
        {!complete ? (
          <>
            <h1 className="text-xl font-semibold">Incomplete sign-in request</h1>
            <div className="mt-4">
              <Notice kind="error">This link is missing parts the server&apos;s origin sends. Open the server&apos;s page again.</Notice>
            </div>
          </>
        ) : access === "forbidden" ? (
          <>
            <h1 className="text-xl font-semibold">Not your server</h1>
            <div className="mt-4">
              <Notice kind="error" testId="origin-login-forbidden">
                You may not open {owner}&apos;s server. Only its owner, an admin, or someone it is shared with can.
              </Notice>
            </div>
            <p className="mt-4 text-sm">
              <Link href="/home" className="font-medium text-sky-700 underline">
                Go to your home page
              </Link>
            </p>
          </>
        ) : (
          <>
            <h1 data-testid="origin-login-heading" className="text-xl font-semibold">
              Open {owner}&apos;s server as an admin?
            </h1>
            <p className="mt-3 text-sm text-slate-700">
              Its pages — notebooks, their output, files, dashboards — are written by {owner}, and they will run in your browser with your access to {owner}
              &apos;s servers at <span className="font-mono">{userOrigin(origins, owner)}</span>. They cannot reach this hub or anyone else&apos;s servers from
              there. Continue only if you meant to open {owner}&apos;s server.
            </p>
            <form method="post" action="/hub/origin-login" className="mt-6 flex flex-wrap items-center gap-4">
              <input type="hidden" name="user" value={owner} />
              <input type="hidden" name="state" value={state} />
              <input type="hidden" name="next" value={next} />
              <input type="hidden" name="_csrf" value={viewer.csrfToken} />
              <button type="submit" data-testid="origin-login-continue" className={buttonClass.primary}>
                Open {owner}&apos;s server
              </button>
              <Link href="/admin" className="text-sm text-sky-700 underline">
                Cancel
              </Link>
            </form>
          </>
        )}
      </Card>
    </PageFrame>
  );
}
