import { test } from "node:test";
import assert from "node:assert/strict";
import { selectServersToCull, formatDuration } from "./cull-policy";

const now = new Date("2026-11-21T12:00:00Z");
const ago = (s: number) => new Date(now.getTime() - s * 1000);

test("idle servers are culled, active ones kept, and never-active ones judged by their start", () => {
  const servers = [
    { id: 1, startedAt: ago(7200), lastActivity: ago(3700) },
    { id: 2, startedAt: ago(7200), lastActivity: ago(60) },
    { id: 3, startedAt: ago(4000), lastActivity: null },
    { id: 4, startedAt: ago(100), lastActivity: null },
  ];
  const r = selectServersToCull(servers, { timeoutSeconds: 3600, maxAgeSeconds: 0 }, now);
  assert.deepEqual(
    r.map((x) => [x.server.id, x.reason]),
    [
      [1, "Stopped after 1 h without activity."],
      [3, "Stopped after 1 h without activity."],
    ],
  );
});

test("maxAge stops even active servers", () => {
  const r = selectServersToCull([{ id: 2, startedAt: ago(90000), lastActivity: ago(10) }], { timeoutSeconds: 3600, maxAgeSeconds: 86400 }, now);
  assert.deepEqual(
    r.map((x) => x.reason),
    ["Stopped after reaching the maximum age of 24 h."],
  );
});

test("durations read naturally", () => {
  assert.equal(formatDuration(90), "90 s");
  assert.equal(formatDuration(600), "10 min");
});
