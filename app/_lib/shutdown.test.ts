import { test } from "node:test";
import assert from "node:assert/strict";
import { closeWithin } from "./shutdown";

test("closeWithin runs every step in order and reports none abandoned", async () => {
  const order: string[] = [];
  const step = (name: string) => ({ name, run: async () => void order.push(name) });
  assert.deepEqual(await closeWithin([step("worker"), step("replica"), step("db")], 1000), { abandoned: null, failed: [] });
  assert.deepEqual(order, ["worker", "replica", "db"]);
});

test("closeWithin abandons a step that never ends at the limit and runs nothing after it", async () => {
  const order: string[] = [];
  const t0 = Date.now();
  const out = await closeWithin(
    [
      { name: "worker", run: async () => void order.push("worker") },
      { name: "db", run: () => new Promise<void>(() => order.push("db")) },
      { name: "after", run: async () => void order.push("after") },
    ],
    200,
  );
  const took = Date.now() - t0;
  assert.equal(out.abandoned, "db");
  assert.deepEqual(order, ["worker", "db"]);
  assert.ok(took >= 190 && took < 1000, `returned after ${took} ms`);
});

test("closeWithin goes on after a step that throws, and names it", async () => {
  const out = await closeWithin(
    [
      { name: "services", run: () => Promise.reject(new Error("boom")) },
      { name: "db", run: async () => undefined },
    ],
    1000,
  );
  assert.equal(out.abandoned, null);
  assert.deepEqual(
    out.failed.map((f) => f.name),
    ["services"],
  );
});
