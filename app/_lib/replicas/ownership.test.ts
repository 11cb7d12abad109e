import { test } from "node:test";
import assert from "node:assert/strict";
import { isAlive, serversToTakeOver, stopHandler } from "./ownership";

test("a replica is alive while its heartbeat is younger than the lease time", () => {
  const now = new Date(100_000);
  assert.equal(isAlive(new Date(100_000 - 14_999), now, 15_000), true);
  assert.equal(isAlive(new Date(100_000 - 15_000), now, 15_000), false);
  assert.equal(isAlive(new Date(100_000 + 1_000), now, 15_000), true); // a peer's clock slightly ahead
});

test("servers to take over: owned by no one or by a dead replica, in a state someone must watch (table)", () => {
  const alive = new Set(["me", "b"]);
  const cases: Array<[state: string, owner: string | null, taken: boolean]> = [
    ["running", null, true],
    ["running", "dead", true],
    ["running", "b", false],
    ["running", "me", false],
    ["starting", "dead", true],
    ["starting", "b", false],
    ["stopping", "dead", true],
    ["stopping", null, true],
    ["pending", null, false],
    ["pending", "dead", false],
    ["stopped", "dead", false],
    ["failed", "dead", false],
  ];
  for (const [state, ownerReplica, taken] of cases) {
    const got = serversToTakeOver([{ id: 1, state, ownerReplica }], alive, "me").length === 1;
    assert.equal(got, taken, `${state} owned by ${ownerReplica}`);
  }
});

test("a stop request goes to the live owner; otherwise this replica carries it out (table)", () => {
  const alive = new Set(["me", "b"]);
  assert.equal(stopHandler({ id: 1, state: "stopping", ownerReplica: "b" }, alive, "me"), "owner");
  assert.equal(stopHandler({ id: 1, state: "stopping", ownerReplica: "me" }, alive, "me"), "mine");
  assert.equal(stopHandler({ id: 1, state: "stopping", ownerReplica: "dead" }, alive, "me"), "mine");
  assert.equal(stopHandler({ id: 1, state: "stopping", ownerReplica: null }, alive, "me"), "mine");
});
