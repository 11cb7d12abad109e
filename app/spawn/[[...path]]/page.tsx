// /hub/spawn[/<user>[/<server>]] – where the proxy sends people whose server is not running.
import type { Metadata } from "next";
import Link from "next/link";
import { PageFrame } from "@/app/_components/page-frame";
import { Card, Notice } from "@/app/_components/ui";
import { firstParam, type SearchParams } from "@/app/_components/search-params";
import { redirectTo } from "@/app/_components/redirect-to";
import { getRuntime } from "@/app/_lib/runtime";
import { ensureRoute } from "@/app/_lib/proxy-state";
import { loadServerPage } from "@/app/_components/server-target";
import { spawnPendingPath } from "@/app/_components/hub-fetch";
import { StartButton } from "./start-button";
import { SpawnOptionsFormView } from "@/app/_components/spawn-options-form";
import { getSpawnForm } from "@/app/_lib/servers/spawn-form";
import { adviceAfterStop } from "@/app/_lib/servers/stop-advice";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Start server" };

type Props = { params: Promise<{ path?: string[] }>; searchParams: SearchParams };

export default async function SpawnPage({ params, searchParams }: Props) {
  const { path } = await params;
  const q = await searchParams;
  const { viewer, target: t, url, nextForServer, openUrl } = await loadServerPage("spawn", path, firstParam(q.next));
  const own = t.user === viewer.name;
  const label = t.server ? `server "${t.server}"` : "server";

  if (t.allowed && t.row?.state === "running") {
    const { db, proxy, catalog } = getRuntime();
    await ensureRoute(db, catalog, proxy, t.user, t.server);
    await redirectTo(openUrl);
  }
  if (t.allowed && (t.row?.state === "pending" || t.row?.state === "starting")) {
    await redirectTo(`/hub${spawnPendingPath(t.user, t.server)}${nextForServer ? `?next=${encodeURIComponent(nextForServer)}` : ""}`);
  }

  // The spawner's form (profiles, bounded fields) for the server's owner, when it offers choices.
  const formView = t.allowed ? await getSpawnForm(getRuntime(), t.user, t.server) : null;
  const startLabel = own ? `Start my ${label}` : `Start ${t.user}'s ${label}`;

  return (
    <PageFrame user={viewer}>
      <Card className="mx-auto max-w-xl">
        {!t.allowed ? (
          <>
            <h1 className="text-xl font-semibold">Not your server</h1>
            <div className="mt-4">
              <Notice kind="error" testId="spawn-forbidden">
                You may not start {t.user}&apos;s server. Only its owner or an admin can.
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
            <h1 data-testid="spawn-heading" className="text-xl font-semibold">
              {own ? `Your ${label} is not running` : `${t.user}'s ${label} is not running`}
            </h1>
            <p className="mt-2 text-sm text-slate-600">
              {t.row?.state === "stopping" ? "It is still stopping; you can start it again in a moment." : `Start it to open ${nextForServer ?? url}.`}
            </p>
            {t.row?.state === "stopped" && t.row.message && (
              <div className="mt-4">
                <Notice kind="info" testId="spawn-stop-reason">
                  {t.row.message.replace(/\.?$/, ".")} {adviceAfterStop(t.row.message)}
                </Notice>
              </div>
            )}
            {t.row?.state === "failed" && t.row.message && (
              <div className="mt-4">
                <Notice kind="error">The last start failed: {t.row.message}</Notice>
              </div>
            )}
            {formView ? (
              <div className="mt-6 space-y-4">
                <SpawnOptionsFormView
                  user={t.user}
                  server={t.server}
                  csrf={viewer.csrfToken}
                  next={nextForServer}
                  label={startLabel}
                  form={formView.form}
                  last={formView.last}
                />
                <Link href="/home" className="block text-sm text-sky-700 underline">
                  Back to home
                </Link>
              </div>
            ) : (
              <div className="mt-6 flex flex-wrap items-center gap-4">
                <StartButton user={t.user} server={t.server} csrf={viewer.csrfToken} next={nextForServer} label={startLabel} />
                <Link href="/home" className="text-sm text-sky-700 underline">
                  Back to home
                </Link>
              </div>
            )}
          </>
        )}
      </Card>
    </PageFrame>
  );
}
