import { test } from "node:test";
import assert from "node:assert/strict";
import { ProxyMetrics } from "./metrics";

test("latency histogram: cumulative buckets (le is inclusive), sum and count per route class", async () => {
  const m = new ProxyMetrics(() => 0);
  for (const s of [0.0001, 0.001, 0.003, 20]) m.observeLatency("user", s);
  const text = await m.registry.metrics();
  const v = (re: RegExp) => Number(re.exec(text)?.[1]);
  assert.equal(v(/gyre_proxy_upstream_latency_seconds_bucket\{le="0.001",route="user"\} (\S+)/), 2);
  assert.equal(v(/gyre_proxy_upstream_latency_seconds_bucket\{le="0.005",route="user"\} (\S+)/), 3);
  assert.equal(v(/gyre_proxy_upstream_latency_seconds_bucket\{le="10",route="user"\} (\S+)/), 3);
  assert.equal(v(/gyre_proxy_upstream_latency_seconds_bucket\{le="\+Inf",route="user"\} (\S+)/), 4);
  assert.equal(v(/gyre_proxy_upstream_latency_seconds_count\{route="user"\} (\S+)/), 4);
  assert.ok(Math.abs(v(/gyre_proxy_upstream_latency_seconds_sum\{route="user"\} (\S+)/) - 20.0041) < 1e-9);
  assert.match(text, /# TYPE gyre_proxy_upstream_latency_seconds histogram/);
});
