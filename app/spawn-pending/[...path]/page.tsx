// /hub/spawn-pending/<user>[/<server>] – live start-up progress of a server.
import type { Metadata } from "next";
import Link from "next/link";
import { getRuntime } from "@/app/_lib/runtime";
import { PageFrame } from "@/app/_components/page-frame";
import { Card, Notice } from "@/app/_components/ui";
import { firstParam, type SearchParams } from "@/app/_components/search-params";
import { redirectTo } from "@/app/_components/redirect-to";
import { loadServerPage } from "@/app/_components/server-target";
import { SpawnProgress } from "./spawn-progress";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Starting server" };

type Props = { params: Promise<{ path: string[] }>; searchParams: SearchParams };

export default async function SpawnPendingPage({ params, searchParams }: Props) {
  const { path } = await params;
  const q = await searchParams;
  const { viewer, target: t, openUrl: target } = await loadServerPage("spawn-pending", path, firstParam(q.next));

  if (t.allowed && t.row?.state === "running") await redirectTo(target);
  // A spawn that already ended (e.g. failed fast) will not stream again: show what it recorded.
  const past =
    t.row?.spawnId && t.row.state !== "pending" && t.row.state !== "starting"
      ? await getRuntime().db.spawnEvent.findMany({
          where: { serverId: t.row.id, spawnId: t.row.spawnId },
          orderBy: { id: "asc" },
          select: { progress: true, message: true },
        })
      : [];

  return (
    <PageFrame user={viewer}>
      <Card className="mx-auto max-w-2xl">
        {!t.allowed ? (
          <>
            <h1 className="text-xl font-semibold">Not your server</h1>
            <div className="mt-4">
              <Notice kind="error">You may not follow {t.user}&apos;s server. Only its owner or an admin can.</Notice>
            </div>
            <p className="mt-4 text-sm">
              <Link href="/home" className="font-medium text-sky-700 underline">
                Go to your home page
              </Link>
            </p>
          </>
        ) : (
          <SpawnProgress
            user={t.user}
            server={t.server}
            own={t.user === viewer.name}
            csrf={viewer.csrfToken}
            target={target}
            initialState={t.row?.state ?? "stopped"}
            initialMessage={t.row?.message ?? null}
            initialLog={t.row?.logTail ?? null}
            initialEvents={past.map((e) => ({ progress: e.progress, message: e.message }))}
            lastOptions={parseOptions(t.row?.options)}
          />
        )}
      </Card>
    </PageFrame>
  );
}

/** The options of the last start, so "Try again" repeats the user's choices (profile, walltime…). */
function parseOptions(raw: string | undefined): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(raw ?? "{}");
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
