// /hub/accept-share?code=<share code> – a logged-in user confirms that they want access to the
// server a share code is for (the POST is app/_lib/http/accept-share-routes.ts). A code that cannot
// be accepted (unknown, expired, used up, the viewer's own server) says why and offers nothing.
import type { Metadata } from "next";
import Link from "next/link";
import { requireCurrentUser } from "@/app/_lib/auth/current-user";
import { getRuntime } from "@/app/_lib/runtime";
import { describeShareCode } from "@/app/_lib/shares/share-codes";
import { CODE_REFUSAL_MESSAGES } from "@/app/_lib/shares/share-rules";
import { PageFrame } from "@/app/_components/page-frame";
import { Card, Notice, buttonClass } from "@/app/_components/ui";
import { firstParam, type SearchParams } from "@/app/_components/search-params";

export const dynamic = "force-dynamic";
// No referrer meta tag: Chromium then sends "Origin: null" with the form, which the hub refuses. The
// hub's Referrer-Policy (same-origin) keeps the code in this URL from other sites.
export const metadata: Metadata = { title: "Accept a shared server" };

export default async function AcceptSharePage({ searchParams }: { searchParams: SearchParams }) {
  const code = firstParam((await searchParams).code);
  const viewer = await requireCurrentUser(`/accept-share?${new URLSearchParams({ code })}`);
  const { db, proxy, origins } = getRuntime();
  const { verdict, code: model } = await describeShareCode({ db, proxy, plan: origins }, code, viewer.id, new Date());
  const server = model ? `${model.server.user.name}'s ${model.server.name ? `server “${model.server.name}”` : "default server"}` : "";
  return (
    <PageFrame user={viewer}>
      <Card className="mx-auto max-w-xl">
        {verdict !== "ok" || !model ? (
          <>
            <h1 className="text-xl font-semibold">This share link cannot be used</h1>
            <div className="mt-4">
              <Notice kind="error" testId="accept-share-refused">
                {CODE_REFUSAL_MESSAGES[verdict === "ok" ? "unknown" : verdict]}
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
            <h1 data-testid="accept-share-heading" className="text-xl font-semibold">
              Use {server}?
            </h1>
            <p className="mt-3 text-sm text-slate-700">
              {model.server.user.name} shares this server with whoever accepts this link. Accepting gives you access to it — its notebooks, files and terminals,
              as {model.server.user.name} — until {model.server.user.name} revokes it. You cannot start or stop it, nor share it on.
            </p>
            <form method="post" action="/hub/accept-share" className="mt-6 flex flex-wrap items-center gap-4">
              <input type="hidden" name="code" value={code} />
              <input type="hidden" name="_csrf" value={viewer.csrfToken} />
              <button type="submit" data-testid="accept-share-confirm" className={buttonClass.primary}>
                Accept and open it
              </button>
              <Link href="/home" className="text-sm text-sky-700 underline">
                Cancel
              </Link>
            </form>
          </>
        )}
      </Card>
    </PageFrame>
  );
}
