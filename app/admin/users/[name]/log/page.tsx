// /hub/admin/users/{name}/log?server=… – one server's latest spawn: its progress events and the
// stored log (of its start once it was ready, of a failed spawn, or at its end).
import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { requireCurrentAdmin } from "@/app/_lib/auth/current-user";
import { getRuntime } from "@/app/_lib/runtime";
import { readServerLog } from "@/app/_lib/servers/views";
import { normalizeUsername, validateServerName } from "@/app/_lib/users/names";
import { PageFrame } from "@/app/_components/page-frame";
import { Card, StateBadge } from "@/app/_components/ui";
import { ServerWhere } from "@/app/_components/server-where";
import { firstParam, type SearchParams } from "@/app/_components/search-params";
import { formatDateTime } from "@/app/_components/format";
import { AdminNav } from "@/app/admin/_components/admin-nav";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Server log · Admin" };

export default async function ServerLogPage({ params, searchParams }: { params: Promise<{ name: string }>; searchParams: SearchParams }) {
  const raw = decodeURIComponent((await params).name);
  const serverParam = firstParam((await searchParams).server);
  const viewer = await requireCurrentAdmin(`/admin/users/${encodeURIComponent(raw)}/log${serverParam ? `?server=${encodeURIComponent(serverParam)}` : ""}`);
  let name: string;
  let server: string;
  try {
    name = normalizeUsername(raw);
    server = validateServerName(serverParam || undefined);
  } catch {
    notFound();
  }
  const rt = getRuntime();
  const user = await rt.db.user.findUnique({ where: { name }, select: { id: true, name: true } });
  if (!user) notFound();
  const log = await readServerLog(rt, user, server);
  if (!log) notFound();
  return (
    <PageFrame user={viewer} wide>
      <AdminNav current="users" />
      <p className="text-sm">
        <Link href={`/admin/users/${encodeURIComponent(name)}`} className="text-sky-800 hover:underline">
          ← {name}
        </Link>
      </p>
      <div className="mt-2 flex flex-wrap items-center gap-3">
        <h1 className="text-xl font-semibold">
          {name}&apos;s server {server || "default"}
        </h1>
        <StateBadge state={log.server.state} />
        <ServerWhere details={log.server.details} />
      </div>
      <Card className="mt-6">
        <h2 className="text-lg font-semibold">Progress of the latest start</h2>
        {log.events.length === 0 ? (
          <p className="mt-2 text-sm text-slate-500">No progress recorded.</p>
        ) : (
          <ol className="mt-3 space-y-1 text-sm" data-testid="server-progress-log">
            {log.events.map((e, i) => (
              <li key={i} className="flex gap-3">
                <span className="w-40 shrink-0 text-slate-500">{formatDateTime(e.at)}</span>
                <span className="w-10 shrink-0 text-right tabular-nums text-slate-500">{e.progress}%</span>
                <span className={e.kind === "failed" ? "text-red-700" : ""}>{e.message}</span>
              </li>
            ))}
          </ol>
        )}
      </Card>
      <Card className="mt-6">
        <h2 className="text-lg font-semibold">Server log</h2>
        {log.log ? (
          <pre data-testid="server-start-log" className="mt-3 max-h-[32rem] overflow-auto rounded bg-slate-900 p-3 text-xs text-slate-100">
            {log.log}
          </pre>
        ) : (
          <p className="mt-2 text-sm text-slate-500">No log stored.</p>
        )}
      </Card>
    </PageFrame>
  );
}
