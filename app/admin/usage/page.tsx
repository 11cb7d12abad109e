// /hub/admin/usage – usage over a period (?from=…&to=…, UTC days; default the last 30), optionally
// of one group: a daily chart (server-rendered SVG), totals per user sortable by any column, and the
// runs as CSV. Runs crossing the period's edges count with their part inside it.
import type { Metadata } from "next";
import Link from "next/link";
import { requireCurrentAdmin } from "@/app/_lib/auth/current-user";
import { getRuntime } from "@/app/_lib/runtime";
import { readUsageRows } from "@/app/_lib/usage/report";
import {
  USAGE_SORTS,
  chartScaleMax,
  dailySeries,
  resolvePeriod,
  sortTotals,
  totalsBy,
  usagePeriodSchema,
  type DailyUsage,
  type UsageSort,
} from "@/app/_lib/usage/aggregate";
import { PageFrame } from "@/app/_components/page-frame";
import { Card, Notice, buttonClass, inputClass, labelClass } from "@/app/_components/ui";
import { firstParam, type SearchParams } from "@/app/_components/search-params";
import { formatBytes, formatHours } from "@/app/_components/format";
import { AdminNav } from "@/app/admin/_components/admin-nav";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Usage · Admin" };

const COLUMNS: { sort: UsageSort; label: string }[] = [
  { sort: "name", label: "User" },
  { sort: "runs", label: "Runs" },
  { sort: "serverHours", label: "Server hours" },
  { sort: "cpuHours", label: "CPU hours" },
  { sort: "peakMemory", label: "Peak memory" },
  { sort: "queueWait", label: "Queue wait (h)" },
];

export default async function UsagePage({ searchParams }: { searchParams: SearchParams }) {
  const q = await searchParams;
  const viewer = await requireCurrentAdmin("/admin/usage");
  const rt = getRuntime();
  const now = new Date();
  const parsed = usagePeriodSchema.safeParse({ from: firstParam(q.from) || undefined, to: firstParam(q.to) || undefined });
  const period = resolvePeriod(parsed.success ? parsed.data : {}, now);
  const sortParam = firstParam(q.sort);
  const sort: UsageSort = (USAGE_SORTS as readonly string[]).includes(sortParam) ? (sortParam as UsageSort) : "serverHours";
  const dir = firstParam(q.dir) === "asc" || (firstParam(q.dir) !== "desc" && sort === "name") ? "asc" : "desc";
  const groupName = firstParam(q.group) || undefined;
  const group = groupName ? await rt.db.group.findUnique({ where: { name: groupName }, select: { id: true } }) : null;
  const rows = groupName && !group ? [] : await readUsageRows(rt.db, period, { groupId: group?.id });
  const totals = sortTotals(
    totalsBy(rows, period, now, (r) => r.userName),
    sort,
    dir,
  );
  const daily = dailySeries(rows, period, now);
  const base = new URLSearchParams({ from: period.fromDay, to: period.toDay, ...(groupName ? { group: groupName } : {}) });
  const href = (extra: Record<string, string>) => `/admin/usage?${new URLSearchParams({ ...Object.fromEntries(base), ...extra }).toString()}`;
  const sum = (f: (d: DailyUsage) => number) => daily.reduce((a, d) => a + f(d), 0);
  return (
    <PageFrame user={viewer} wide>
      <AdminNav current="usage" />
      <h1 className="text-xl font-semibold">Usage</h1>
      {!parsed.success && (
        <div className="mt-3">
          <Notice kind="error">The dates were not understood (use YYYY-MM-DD); showing the last 30 days.</Notice>
        </div>
      )}
      {groupName && !group && (
        <div className="mt-3">
          <Notice kind="error">There is no group named {groupName}.</Notice>
        </div>
      )}
      <Card className="mt-4">
        <form method="get" action="/hub/admin/usage" className="flex flex-wrap items-end gap-4" aria-label="Period">
          <div>
            <label htmlFor="usage-from" className={labelClass}>
              From
            </label>
            <input id="usage-from" name="from" type="date" defaultValue={period.fromDay} className={inputClass} />
          </div>
          <div>
            <label htmlFor="usage-to" className={labelClass}>
              To (inclusive)
            </label>
            <input id="usage-to" name="to" type="date" defaultValue={period.toDay} className={inputClass} />
          </div>
          <div>
            <label htmlFor="usage-group" className={labelClass}>
              Group
            </label>
            <input id="usage-group" name="group" defaultValue={groupName ?? ""} placeholder="all users" className={inputClass} />
          </div>
          <button type="submit" className={buttonClass.primary}>
            Show
          </button>
          <a
            href={`/hub/api/admin/usage?${new URLSearchParams({ ...Object.fromEntries(base), format: "csv" }).toString()}`}
            data-testid="usage-csv"
            className={buttonClass.secondary}
          >
            Download CSV (one line per run)
          </a>
        </form>
      </Card>
      <Card className="mt-4">
        <h2 className="text-lg font-semibold">
          Per day: {formatHours(sum((d) => d.serverHours))} server hours, {formatHours(sum((d) => d.cpuHours))} CPU hours
        </h2>
        <UsageChart daily={daily} />
      </Card>
      <Card className="mt-4" padded={false}>
        <div className="overflow-x-auto">
          <table className="w-full min-w-[48rem] text-left text-sm" data-testid="usage-table">
            <thead className="border-b border-slate-200 bg-slate-50 text-xs uppercase tracking-wide text-slate-500">
              <tr>
                {COLUMNS.map((c) => {
                  const active = c.sort === sort;
                  return (
                    <th key={c.sort} scope="col" aria-sort={active ? (dir === "asc" ? "ascending" : "descending") : "none"} className="px-4 py-2 font-medium">
                      <Link
                        href={href({ sort: c.sort, dir: active && dir === "desc" ? "asc" : "desc" })}
                        className="hover:underline"
                        data-testid={`usage-sort-${c.sort}`}
                      >
                        {c.label}
                        {active ? (dir === "asc" ? " ▲" : " ▼") : ""}
                      </Link>
                    </th>
                  );
                })}
                <th scope="col" className="px-4 py-2 font-medium">
                  Source
                </th>
              </tr>
            </thead>
            <tbody>
              {totals.length === 0 && (
                <tr>
                  <td colSpan={COLUMNS.length + 1} className="px-4 py-6 text-center text-slate-500">
                    No server ran in this period.
                  </td>
                </tr>
              )}
              {totals.map((t) => (
                <tr key={t.key} data-testid={`usage-row-${t.key}`} className="border-b border-slate-100 last:border-0">
                  <th scope="row" className="px-4 py-2 font-medium">
                    <Link href={`/admin/users/${encodeURIComponent(t.key)}`} className="text-sky-800 hover:underline">
                      {t.key}
                    </Link>
                  </th>
                  <td className="px-4 py-2">{t.runs}</td>
                  <td className="px-4 py-2">{formatHours(t.serverHours)}</td>
                  <td className="px-4 py-2" data-testid={`usage-cpu-${t.key}`}>
                    {formatHours(t.cpuHours)}
                  </td>
                  <td className="px-4 py-2">{formatBytes(t.peakMemoryBytes)}</td>
                  <td className="px-4 py-2">{t.queuedRuns ? formatHours(t.queueWaitHours) : "—"}</td>
                  <td className="px-4 py-2 text-slate-600">
                    {t.sources.join(", ") || "—"}
                    {t.provisional ? " (provisional)" : ""}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Card>
    </PageFrame>
  );
}

/** Server hours per day as bars, CPU hours as a line; plain SVG with a text alternative. */
function UsageChart({ daily }: { daily: DailyUsage[] }) {
  const W = 900;
  const H = 200;
  const pad = { l: 48, r: 8, t: 8, b: 24 };
  const max = chartScaleMax(Math.max(0, ...daily.map((d) => Math.max(d.serverHours, d.cpuHours))));
  const bw = (W - pad.l - pad.r) / Math.max(1, daily.length);
  const y = (v: number) => pad.t + (H - pad.t - pad.b) * (1 - v / max);
  const line = daily.map((d, i) => `${i ? "L" : "M"}${(pad.l + bw * (i + 0.5)).toFixed(1)},${y(d.cpuHours).toFixed(1)}`).join(" ");
  const label = `Server hours per day from ${daily[0]?.day ?? ""} to ${daily.at(-1)?.day ?? ""}, at most ${formatHours(max)} hours.`;
  return (
    <figure className="mt-3">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label} data-testid="usage-chart" className="h-auto w-full">
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line x1={pad.l} x2={W - pad.r} y1={y(max * f)} y2={y(max * f)} stroke="#e2e8f0" />
            <text x={pad.l - 6} y={y(max * f) + 4} textAnchor="end" fontSize="11" fill="#64748b">
              {formatHours(max * f)}
            </text>
          </g>
        ))}
        {daily.map((d, i) => (
          <rect key={d.day} x={pad.l + bw * i + 1} width={Math.max(1, bw - 2)} y={y(d.serverHours)} height={H - pad.b - y(d.serverHours)} fill="#0369a1">
            <title>{`${d.day}: ${formatHours(d.serverHours)} server hours, ${formatHours(d.cpuHours)} CPU hours`}</title>
          </rect>
        ))}
        <path d={line} fill="none" stroke="#f59e0b" strokeWidth="2" />
        {daily
          .filter((_, i) => i % Math.ceil(daily.length / 8) === 0)
          .map((d) => (
            <text key={d.day} x={pad.l + bw * (daily.indexOf(d) + 0.5)} y={H - 6} textAnchor="middle" fontSize="11" fill="#64748b">
              {d.day.slice(5)}
            </text>
          ))}
      </svg>
      <figcaption className="mt-1 text-xs text-slate-600">
        <span className="mr-1 inline-block h-2 w-3 bg-sky-700" /> server hours · <span className="mx-1 inline-block h-0.5 w-3 bg-amber-500 align-middle" /> CPU
        hours
      </figcaption>
    </figure>
  );
}
