import { test } from "node:test";
import assert from "node:assert/strict";
import { chartScaleMax, dailySeries, resolvePeriod, sortTotals, totalsBy, usageCsv, type UsageRow } from "./aggregate";
import { mergeUsage } from "./merge";
import { parseCpuQuantity, podRequestUsage } from "@/spawners/kubernetes/usage";

const H = 3_600_000;
const T0 = new Date("2026-11-10T00:00:00Z");
const at = (hours: number) => new Date(T0.getTime() + hours * H);

function row(over: Partial<UsageRow>): UsageRow {
  return {
    userName: "ana",
    serverName: "",
    spawnerKind: "local",
    profile: null,
    placement: "{}",
    startedAt: at(0),
    endedAt: at(2),
    cpuSeconds: 3600,
    peakMemoryBytes: 100,
    queueWaitSeconds: null,
    source: "proc",
    settled: true,
    ...over,
  };
}

test("a run across the period's start counts with its part inside: hours exactly, CPU in proportion", () => {
  const p = { from: at(1), to: at(24) };
  const [t] = totalsBy([row({})], p, at(30), (r) => r.userName);
  assert.equal(t.serverHours, 1);
  assert.equal(t.cpuHours, 0.5);
  assert.equal(t.provisional, false);
});

test("a run still going counts until now and is provisional; queue waits are summed for batch runs", () => {
  const p = { from: at(0), to: at(24) };
  const rows = [row({ endedAt: null, settled: false, startedAt: at(4), cpuSeconds: 0 }), row({ userName: "bo", queueWaitSeconds: 1800, source: "sacct" })];
  const totals = totalsBy(rows, p, at(10), (r) => r.userName);
  const ana = totals.find((t) => t.key === "ana")!;
  assert.equal(ana.serverHours, 6);
  assert.equal(ana.provisional, true);
  const bo = totals.find((t) => t.key === "bo")!;
  assert.equal(bo.queueWaitHours, 0.5);
  assert.deepEqual(bo.sources, ["sacct"]);
  assert.deepEqual(
    sortTotals(totals, "serverHours", "desc").map((t) => t.key),
    ["ana", "bo"],
  );
});

test("the daily series splits a run at UTC midnight; the default period is the last 30 days, today included", () => {
  const p = { from: at(0), to: at(48) };
  const series = dailySeries([row({ startedAt: at(22), endedAt: at(26) })], p, at(48));
  assert.deepEqual(
    series.map((d) => [d.day, d.serverHours]),
    [
      ["2026-11-10", 2],
      ["2026-11-11", 2],
    ],
  );
  const period = resolvePeriod({}, new Date("2026-12-03T15:00:00Z"));
  assert.equal(period.fromDay, "2026-11-04");
  assert.equal(period.toDay, "2026-12-03");
  assert.equal(period.to.toISOString(), "2026-12-04T00:00:00.000Z");
});

test("CSV quotes commas and defuses spreadsheet formulas", () => {
  const csv = usageCsv([row({ userName: "=cmd|calc", profile: "big, fast" })], { from: at(0), to: at(24) }, at(24));
  const [head, line] = csv.trim().split("\n");
  assert.ok(head.startsWith("user,server,"));
  assert.ok(line.startsWith('\'=cmd|calc,,local,"big, fast",'), line);
});

test("merging samples: sampled figures only grow; the scheduler's accounting replaces them", () => {
  const start = { cpuSeconds: 0, peakMemoryBytes: null, queueWaitSeconds: null, source: "none" };
  const a = mergeUsage(start, { cpuSeconds: 10, peakMemoryBytes: 500, source: "proc", final: false });
  // a restarted hub sees a smaller tree: the record keeps the larger figures
  const b = mergeUsage(a, { cpuSeconds: 4, peakMemoryBytes: 100, source: "proc", final: false });
  assert.deepEqual(b, { cpuSeconds: 10, peakMemoryBytes: 500, queueWaitSeconds: null, source: "proc" });
  const c = mergeUsage(b, { cpuSeconds: 8, peakMemoryBytes: 300, queueWaitSeconds: 60, source: "sacct", final: true });
  assert.deepEqual(c, { cpuSeconds: 8, peakMemoryBytes: 300, queueWaitSeconds: 60, source: "sacct" });
});

test("Kubernetes: requested cores × run time, requested memory as the peak", () => {
  assert.equal(parseCpuQuantity("500m"), 0.5);
  assert.equal(parseCpuQuantity("2"), 2);
  assert.equal(parseCpuQuantity("lots"), null);
  const pod = {
    status: { startTime: new Date("2026-11-10T00:00:00Z") },
    spec: { containers: [{ name: "nb", resources: { requests: { cpu: "500m", memory: "1Gi" } } }] },
  };
  const u = podRequestUsage(pod, new Date("2026-11-10T01:00:00Z"))!;
  assert.equal(u.cpuSeconds, 1800);
  assert.equal(u.peakMemoryBytes, 2 ** 30);
  assert.equal(u.source, "requests");
  assert.equal(podRequestUsage({ status: {} }, new Date()), null);
});

test("the chart's scale: 1, 2 or 5 times a power of ten above the largest value, small values included", () => {
  assert.equal(chartScaleMax(0), 1);
  assert.equal(chartScaleMax(0.0049), 0.005);
  assert.equal(chartScaleMax(0.0011), 0.002);
  assert.equal(chartScaleMax(0.07), 0.1);
  assert.equal(chartScaleMax(0.3), 0.5);
  assert.equal(chartScaleMax(1), 1);
  assert.equal(chartScaleMax(7.5), 10);
  assert.equal(chartScaleMax(120), 200);
});
