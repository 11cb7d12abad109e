import { test } from "node:test";
import assert from "node:assert/strict";
import { READY_PROBE_FIRST_MS, READY_PROBE_MAX_MS, nextReadyProbeDelayMs } from "./probe-backoff";

/** The probes sent within `ms` of the start (the first at 0). */
function probesWithin(ms: number): number {
  let at = 0;
  let delay: number | null = null;
  let n = 0;
  while (at <= ms) {
    n++;
    delay = nextReadyProbeDelayMs(delay);
    at += delay;
  }
  return n;
}

test("readiness probes: soon at first, then further apart, never more than READY_PROBE_MAX_MS", () => {
  assert.equal(nextReadyProbeDelayMs(null), READY_PROBE_FIRST_MS);
  let delay: number | null = null;
  const delays: number[] = [];
  for (let i = 0; i < 12; i++) delays.push((delay = nextReadyProbeDelayMs(delay)));
  for (let i = 1; i < delays.length; i++) assert.ok(delays[i] >= delays[i - 1], `${delays.join(", ")} grows`);
  assert.equal(Math.max(...delays), READY_PROBE_MAX_MS);
  assert.equal(delays.at(-1), READY_PROBE_MAX_MS);
  // a server up after 300 ms is found within 100 ms of it; one taking 3 s needs 10 probes, not 30 at a fixed 100 ms
  assert.ok(probesWithin(300) >= 4, `${probesWithin(300)} probes in the first 300 ms`);
  assert.ok(probesWithin(3000) <= 12, `${probesWithin(3000)} probes in 3 s`);
});
