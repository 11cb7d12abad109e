// /hub/admin/servers – servers of every user that are running, starting or stopping (?state=…),
// most recently started first: where each runs, its profile, times and a link to its log.
import type { Metadata } from "next";
import Link from "next/link";
import { requireCurrentAdmin } from "@/app/_lib/auth/current-user";
import { getRuntime } from "@/app/_lib/runtime";
import { ACTIVE_FILTERS, listActiveServers, type ActiveFilter } from "@/app/_lib/servers/views";
import { PageFrame } from "@/app/_components/page-frame";
import { Card, StateBadge, buttonClass } from "@/app/_components/ui";
import { ServerWhere } from "@/app/_components/server-where";
import { JobDetailsView } from "@/app/_components/job-details-view";
import { renderTimeMs } from "@/app/_lib/clock";
import { firstParam, type SearchParams } from "@/app/_components/search-params";
import { formatAgo, formatDateTime } from "@/app/_components/format";
import { AdminNav } from "@/app/admin/_components/admin-nav";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Servers · Admin" };

const SIZE = 100;
const LABELS: Record<ActiveFilter, string> = { active: "All active", running: "Running", pending: "Starting", stopping: "Stopping" };

export default async function ServersPage({ searchParams }: { searchParams: SearchParams }) {
  const q = await searchParams;
  const viewer = await requireCurrentAdmin("/admin/servers");
  const stateParam = firstParam(q.state);
  const filter: ActiveFilter = (ACTIVE_FILTERS as readonly string[]).includes(stateParam) ? (stateParam as ActiveFilter) : "active";
  const page = Math.max(1, Math.min(100_000, Number.parseInt(firstParam(q.page), 10) || 1));
  const now = new Date();
  const { servers, total } = await listActiveServers(getRuntime(), { filter, page, size: SIZE });
  const pages = Math.max(1, Math.ceil(total / SIZE));
  const href = (f: ActiveFilter, p = 1) => `/admin/servers?state=${f}${p > 1 ? `&page=${p}` : ""}`;
  return (
    <PageFrame user={viewer} wide>
      <AdminNav current="servers" />
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h1 className="text-xl font-semibold">Servers</h1>
        <p className="text-sm text-slate-600" data-testid="servers-count">
          {total} server{total === 1 ? "" : "s"}
        </p>
      </div>
      <nav aria-label="Server state" className="mt-3 flex flex-wrap gap-2">
        {ACTIVE_FILTERS.map((f) => (
          <Link key={f} href={href(f)} aria-current={f === filter ? "page" : undefined} className={f === filter ? buttonClass.primary : buttonClass.secondary}>
            {LABELS[f]}
          </Link>
        ))}
      </nav>
      <Card className="mt-4" padded={false}>
        <div className="overflow-x-auto">
          <table className="w-full min-w-[56rem] text-left text-sm" data-testid="servers-table">
            <thead className="border-b border-slate-200 bg-slate-50 text-xs uppercase tracking-wide text-slate-500">
              <tr>
                {["User", "Server", "State", "Where", "Profile", "Started", "Last activity", "Log"].map((h) => (
                  <th key={h} scope="col" className="px-4 py-2 font-medium">
                    {h}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {servers.length === 0 && (
                <tr>
                  <td colSpan={8} className="px-4 py-6 text-center text-slate-500">
                    No servers in this state.
                  </td>
                </tr>
              )}
              {servers.map((s) => (
                <tr
                  key={`${s.user}/${s.name}`}
                  data-testid={`servers-row-${s.user}-${s.name || "default"}`}
                  className="border-b border-slate-100 last:border-0"
                >
                  <th scope="row" className="px-4 py-2 font-medium">
                    <Link href={`/admin/users/${encodeURIComponent(s.user)}`} className="text-sky-800 hover:underline">
                      {s.user}
                    </Link>
                  </th>
                  <td className="px-4 py-2 font-mono">{s.name || "default"}</td>
                  <td className="px-4 py-2">
                    <StateBadge state={s.state} />
                  </td>
                  <td className="px-4 py-2">
                    <ServerWhere details={s.details} />
                    {s.details?.job && <JobDetailsView job={s.details.job} nowMs={renderTimeMs()} testId={`job-details-${s.name || "default"}`} />}
                  </td>
                  <td className="px-4 py-2">{s.profile ?? "—"}</td>
                  <td className="px-4 py-2" title={formatDateTime(s.startedAt)}>
                    {s.startedAt ? formatAgo(s.startedAt, now) : "—"}
                  </td>
                  <td className="px-4 py-2">{formatAgo(s.lastActivity, now)}</td>
                  <td className="px-4 py-2">
                    <Link
                      href={`/admin/users/${encodeURIComponent(s.user)}/log${s.name ? `?server=${encodeURIComponent(s.name)}` : ""}`}
                      className="text-sky-800 hover:underline"
                    >
                      log
                    </Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Card>
      {pages > 1 && (
        <nav aria-label="Pages" className="mt-4 flex items-center gap-3 text-sm">
          {page > 1 && (
            <Link href={href(filter, page - 1)} className={buttonClass.small}>
              Previous
            </Link>
          )}
          <span>
            Page {page} of {pages}
          </span>
          {page < pages && (
            <Link href={href(filter, page + 1)} className={buttonClass.small}>
              Next
            </Link>
          )}
        </nav>
      )}
    </PageFrame>
  );
}
