// Usage over a period from usage records: totals per user or per server, a daily series for the
// chart, and CSV. A run that crosses the period's edges counts with the part inside it: its server
// hours exactly, its CPU time in proportion (CPU is known only per run). Pure: the period's end
// stands in for "now" for runs still going.
import { z } from "zod";

/** The fields of a usage record these functions read. */
export interface UsageRow {
  userName: string;
  serverName: string;
  spawnerKind: string;
  profile: string | null;
  placement: string;
  startedAt: Date;
  endedAt: Date | null;
  cpuSeconds: number;
  peakMemoryBytes: number | null;
  queueWaitSeconds: number | null;
  source: string;
  settled: boolean;
}

export interface Period {
  from: Date;
  /** exclusive */
  to: Date;
}

/** Totals of one user or one server over a period. */
export interface UsageTotals {
  key: string;
  runs: number;
  serverHours: number;
  cpuHours: number;
  /** the largest peak of any run, bytes (null: none reported) */
  peakMemoryBytes: number | null;
  /** batch jobs: total and count of queue waits */
  queueWaitHours: number;
  queuedRuns: number;
  /** sources the figures came from, e.g. ["proc", "sacct"] */
  sources: string[];
  /** some runs still running or waiting for the scheduler's accounting */
  provisional: boolean;
}

/**
 * Seconds of the run inside the period. A run still going lasts until `now` (default: the
 * period's end).
 */
export function secondsInPeriod(r: Pick<UsageRow, "startedAt" | "endedAt">, p: Period, now: Date = p.to): number {
  const start = Math.max(r.startedAt.getTime(), p.from.getTime());
  const end = Math.min((r.endedAt ?? now).getTime(), p.to.getTime());
  return Math.max(0, (end - start) / 1000);
}

/** The share of a run's CPU time that falls in the period, in proportion to its time there. */
function cpuInPeriod(r: UsageRow, p: Period, now: Date = p.to): number {
  const total = Math.max(0, ((r.endedAt ?? now).getTime() - r.startedAt.getTime()) / 1000);
  if (total <= 0) return r.startedAt >= p.from && r.startedAt < p.to ? r.cpuSeconds : 0;
  return r.cpuSeconds * Math.min(1, secondsInPeriod(r, p, now) / total);
}

function emptyTotals(key: string): UsageTotals {
  return { key, runs: 0, serverHours: 0, cpuHours: 0, peakMemoryBytes: null, queueWaitHours: 0, queuedRuns: 0, sources: [], provisional: false };
}

/** Runs still going last until this: `now`, or the period's end when that is earlier. */
function untilOf(p: Period, now: Date): Date {
  return now < p.to ? now : p.to;
}

/** Totals per `keyOf(row)` over the period (rows outside it are ignored); runs still going count until `now`. */
export function totalsBy(rows: UsageRow[], p: Period, now: Date, keyOf: (r: UsageRow) => string): UsageTotals[] {
  const out = new Map<string, UsageTotals>();
  const until = untilOf(p, now);
  for (const r of rows) {
    const seconds = secondsInPeriod(r, p, until);
    if (seconds <= 0 && !(r.startedAt >= p.from && r.startedAt < p.to)) continue;
    const key = keyOf(r);
    const t = out.get(key) ?? emptyTotals(key);
    t.runs++;
    t.serverHours += seconds / 3600;
    t.cpuHours += cpuInPeriod(r, p, until) / 3600;
    if (r.peakMemoryBytes !== null) t.peakMemoryBytes = Math.max(t.peakMemoryBytes ?? 0, r.peakMemoryBytes);
    if (r.queueWaitSeconds !== null) {
      t.queueWaitHours += r.queueWaitSeconds / 3600;
      t.queuedRuns++;
    }
    if (r.source !== "none" && !t.sources.includes(r.source)) t.sources.push(r.source);
    if (!r.endedAt || !r.settled) t.provisional = true;
    out.set(key, t);
  }
  return [...out.values()];
}

export const USAGE_SORTS = ["name", "serverHours", "cpuHours", "peakMemory", "queueWait", "runs"] as const;
export type UsageSort = (typeof USAGE_SORTS)[number];

/** Sorts totals by a column (ties by name). */
export function sortTotals(list: UsageTotals[], sort: UsageSort, dir: "asc" | "desc"): UsageTotals[] {
  const value = (t: UsageTotals): number | string => {
    switch (sort) {
      case "name":
        return t.key;
      case "serverHours":
        return t.serverHours;
      case "cpuHours":
        return t.cpuHours;
      case "peakMemory":
        return t.peakMemoryBytes ?? -1;
      case "queueWait":
        return t.queueWaitHours;
      case "runs":
        return t.runs;
    }
  };
  const sign = dir === "asc" ? 1 : -1;
  return [...list].sort((a, b) => {
    const va = value(a);
    const vb = value(b);
    const c = typeof va === "string" ? va.localeCompare(vb as string) : va - (vb as number);
    return c !== 0 ? sign * c : a.key.localeCompare(b.key);
  });
}

/** One day of the chart: [day, day + 24 h) in UTC. */
export interface DailyUsage {
  day: string;
  serverHours: number;
  cpuHours: number;
}

/** Server and CPU hours per UTC day of the period; runs still going count until `now`. */
export function dailySeries(rows: UsageRow[], p: Period, now: Date): DailyUsage[] {
  const dayMs = 86_400_000;
  const until = untilOf(p, now);
  const first = Math.floor(p.from.getTime() / dayMs) * dayMs;
  const days: DailyUsage[] = [];
  for (let t = first; t < p.to.getTime(); t += dayMs) {
    const day: Period = { from: new Date(Math.max(t, p.from.getTime())), to: new Date(Math.min(t + dayMs, p.to.getTime())) };
    let serverSeconds = 0;
    let cpuSeconds = 0;
    for (const r of rows) {
      serverSeconds += secondsInPeriod(r, day, until);
      cpuSeconds += cpuInPeriod(r, day, until);
    }
    days.push({ day: new Date(t).toISOString().slice(0, 10), serverHours: serverSeconds / 3600, cpuHours: cpuSeconds / 3600 });
  }
  return days;
}

/** The period of the usage page's URL: ?from=2026-11-01&to=2026-11-30 (dates in UTC, `to` inclusive). */
export const usagePeriodSchema = z.object({
  from: z.iso.date().optional(),
  to: z.iso.date().optional(),
});

/** The period a URL asks for; default: the last 30 days up to and including today. */
export function resolvePeriod(raw: { from?: string; to?: string }, now: Date): Period & { fromDay: string; toDay: string } {
  const dayMs = 86_400_000;
  const today = new Date(Math.floor(now.getTime() / dayMs) * dayMs);
  const to = raw.to ? new Date(`${raw.to}T00:00:00Z`) : today;
  const from = raw.from ? new Date(`${raw.from}T00:00:00Z`) : new Date(to.getTime() - 29 * dayMs);
  const [a, b] = from <= to ? [from, to] : [to, from];
  return { from: a, to: new Date(b.getTime() + dayMs), fromDay: a.toISOString().slice(0, 10), toDay: b.toISOString().slice(0, 10) };
}

function csvCell(v: string | number | null): string {
  if (v === null) return "";
  const s = String(v);
  // A leading = + - @ makes spreadsheets evaluate the cell: quote it as text.
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** CSV of the runs in the period, one line per run, figures for the part inside the period. */
export function usageCsv(rows: UsageRow[], p: Period, now: Date): string {
  const until = untilOf(p, now);
  const head = [
    "user",
    "server",
    "spawner",
    "profile",
    "started",
    "ended",
    "server_hours_in_period",
    "cpu_hours_in_period",
    "peak_memory_bytes",
    "queue_wait_seconds",
    "source",
    "final",
    "where",
  ];
  const lines = [head.join(",")];
  for (const r of rows) {
    if (secondsInPeriod(r, p, until) <= 0 && !(r.startedAt >= p.from && r.startedAt < p.to)) continue;
    lines.push(
      [
        r.userName,
        r.serverName,
        r.spawnerKind,
        r.profile,
        r.startedAt.toISOString(),
        r.endedAt?.toISOString() ?? null,
        (secondsInPeriod(r, p, until) / 3600).toFixed(4),
        (cpuInPeriod(r, p, until) / 3600).toFixed(4),
        r.peakMemoryBytes === null ? null : Math.round(r.peakMemoryBytes),
        r.queueWaitSeconds === null ? null : Math.round(r.queueWaitSeconds),
        r.source,
        r.settled && r.endedAt ? "yes" : "no",
        describeWhere(r.placement),
      ]
        .map(csvCell)
        .join(","),
    );
  }
  return lines.join("\n") + "\n";
}

/** "node7 · slurm job 123 (debug)" from a stored placement. */
export function describeWhere(placementJson: string): string {
  let p: Record<string, unknown>;
  try {
    p = JSON.parse(placementJson) as Record<string, unknown>;
  } catch {
    return "";
  }
  const parts: string[] = [];
  if (typeof p.host === "string") parts.push(p.host);
  if (typeof p.jobId === "string")
    parts.push(`${typeof p.scheduler === "string" ? p.scheduler + " " : ""}job ${p.jobId}${typeof p.queue === "string" ? ` (${p.queue})` : ""}`);
  if (typeof p.pod === "string") parts.push(`pod ${typeof p.namespace === "string" ? p.namespace + "/" : ""}${p.pod}`);
  if (typeof p.pid === "number") parts.push(`pid ${p.pid}`);
  return parts.join(" · ");
}

/**
 * The top of the chart's scale for a largest value `v`: 1, 2 or 5 times a power of ten, at least
 * `v`, so a day of a few CPU seconds shows as a bar rather than a flat line; 1 when there is nothing.
 */
export function chartScaleMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  // toPrecision: 5 × 0.001 is 0.005000000000000001 in floating point
  return [1, 2, 5, 10].map((m) => Number((m * p).toPrecision(12))).find((m) => m >= v) ?? 10 * p;
}
