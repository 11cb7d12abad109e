import { test } from "node:test";
import assert from "node:assert/strict";
import { JOB_NAME_MAX_LENGTH, makeJobName } from "./job-name";

/** What every dialect takes (job-script.ts JOB_NAME; Grid Engine's -N refuses / : @ \ * ? and a digit first). */
const VALID = /^[A-Za-z][A-Za-z0-9_.-]{0,62}$/;

test("job names: readable for short names, the user/server join marked by -S- (table-driven)", () => {
  const cases: Array<[user: string, server: string, want: string]> = [
    ["alice", "", "gyre-alice"],
    ["alice", "gpu", "gyre-alice-S-gpu"],
    ["a-b", "", "gyre-a-b"],
    ["a", "b", "gyre-a-S-b"],
    ["1234", "", "gyre-1234"],
    ["alice.smith", "v1.2", "gyre-alice.smith-S-v1.2"],
  ];
  for (const [user, server, want] of cases) assert.equal(makeJobName(user, server), want, `${user}/${server}`);
});

test("job names: within every scheduler's limits and collision-free for long, dotted and BinderHub names", () => {
  const pairs: Array<[string, string]> = [];
  const users = ["a", "a-b", "a-s", "a.b", "x".repeat(58), "x".repeat(59), "x".repeat(255), "x".repeat(254), "binder-examples-requirements-1a2b3c4d5e"];
  const servers = ["", "b", "s-b", "x".repeat(255), "x".repeat(254), "gpu"];
  for (const u of users) for (const s of servers) pairs.push([u, s]);
  for (let i = 0; i < 3000; i++) pairs.push([`binder-${"q".repeat(60)}-${i.toString(36)}`, i % 2 ? "" : `srv${i}`]);
  const seen = new Map<string, string>();
  for (const [u, s] of pairs) {
    const name = makeJobName(u, s);
    assert.match(name, VALID, `${u}/${s}`);
    assert.ok(name.length <= JOB_NAME_MAX_LENGTH);
    const key = `${u}/${s}`;
    assert.ok(!seen.has(name) || seen.get(name) === key, `${key} and ${seen.get(name)} share ${name}`);
    seen.set(name, key);
  }
  assert.match(makeJobName("x".repeat(255), ""), /^gyre-x{44}-H[0-9a-f]{12}$/);
  assert.equal(makeJobName("x".repeat(58), ""), "gyre-" + "x".repeat(58), "63 characters are kept as they are");
});
