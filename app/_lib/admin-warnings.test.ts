import assert from "node:assert/strict";
import { test } from "node:test";
import { addAdminWarning, clearAdminWarnings, listAdminWarnings } from "./admin-warnings";

test("start-up warnings are kept once each, oldest first, across module copies (globalThis)", () => {
  clearAdminWarnings();
  const t = new Date("2026-12-03T18:00:00Z");
  addAdminWarning("The hub listens on 127.0.0.1 only", t);
  addAdminWarning('Jobs of cluster "gpu" would call back a loopback URL', new Date(t.getTime() + 1000));
  addAdminWarning("The hub listens on 127.0.0.1 only", new Date(t.getTime() + 2000));
  assert.deepEqual(listAdminWarnings(), [
    { message: "The hub listens on 127.0.0.1 only", at: "2026-12-03T18:00:00.000Z" },
    { message: 'Jobs of cluster "gpu" would call back a loopback URL', at: "2026-12-03T18:00:01.000Z" },
  ]);
  clearAdminWarnings();
  assert.deepEqual(listAdminWarnings(), []);
});
