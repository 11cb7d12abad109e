// The default process metrics of the hub and the proxy: the event loop's delay, sampled every
// 100 ms (not prom-client's 10 ms, whose timer woke an idle process 100 times a second), still
// shows a stall of the event loop.
import { test } from "node:test";
import assert from "node:assert/strict";
import { HubMetrics } from "./metrics";
import { ProxyMetrics } from "@/proxy/metrics";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const [name, prefix, make] of [
  [
    "hub",
    "gyre_hub_",
    () =>
      new HubMetrics(async () => ({ runningServers: 0, totalUsers: 0, activeUsers: { "24h": 0, "7d": 0, "30d": 0 }, leases: [], liveReplicas: 0 })).registry,
  ],
  ["proxy", "gyre_proxy_", () => new ProxyMetrics(() => 0).registry],
] as const) {
  test(`${name}: the event loop's lag is reported, and a 400 ms stall shows in it`, async () => {
    const registry = make();
    await sleep(250);
    const until = Date.now() + 400;
    while (Date.now() < until); // the stall
    await sleep(250);
    const text = await registry.metrics();
    const max = Number(new RegExp(`^${prefix}nodejs_eventloop_lag_max_seconds (\\S+)$`, "m").exec(text)?.[1]);
    assert.ok(max >= 0.2 && max < 5, `lag max ${max} s`);
    assert.match(text, new RegExp(`^${prefix}nodejs_eventloop_lag_p99_seconds `, "m"));
  });
}
