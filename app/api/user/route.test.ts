// GET /hub/api/user's `scopes` on real SQLite: an inherit token (and a session) lists "inherit" with
// the owner's full expanded scopes as JupyterHub does — their own resources and the scopes of the
// configured roles they hold, directly or through a group; a token with a scope list shows only
// its own, never the roles' it was not given; an admin's lists access:servers unfiltered.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { SPAWNER_KINDS } from "@/spawners/catalog";
import { startTestHub, type TestHub } from "@/app/_lib/testing/hub";
import { createApiToken } from "@/app/_lib/auth/api-tokens";
import { createGroup } from "@/app/_lib/groups/groups";
import { callRoute } from "@/app/_lib/testing/route-call";
import * as userRoute from "./route";

let hub: TestHub;
const ids: Record<string, number> = {};

before(async () => {
  hub = await startTestHub({
    catalog: SPAWNER_KINDS,
    config: {
      roles: [
        { name: "ta", scopes: ["access:servers!group=class"], users: ["alice"] },
        { name: "auditor", scopes: ["read:users:activity", "list:users"], groups: ["staff"] },
      ] as unknown as Record<string, unknown>,
    },
  });
  for (const [name, admin] of [
    ["alice", false],
    ["gina", false],
    ["bob", false],
    ["root", true],
  ] as const)
    ids[name] = (await hub.addUser(name, admin)).id;
  await createGroup(hub.db, "class", { members: ["bob"] });
  await createGroup(hub.db, "staff", { members: ["gina"] });
});
after(async () => {
  await hub.close();
});

async function me(user: string, scopes?: string[]): Promise<{ name: string; scopes: string[] }> {
  const token = (await createApiToken(hub.db, ids[user], scopes ? { scopes } : {})).token;
  const r = await callRoute(userRoute.GET, "GET", "/api/user", { token });
  assert.equal(r.status, 200, r.text);
  return JSON.parse(r.text) as { name: string; scopes: string[] };
}

test("an inherit token lists the scopes of the owner's configured roles beside their own, as JupyterHub's /user", async () => {
  const alice = await me("alice");
  assert.equal(alice.name, "alice");
  assert.ok(alice.scopes.includes("inherit"));
  assert.ok(alice.scopes.includes("access:servers!user=alice"), "her own");
  assert.ok(alice.scopes.includes("access:servers!group=class"), "her role's");
  assert.deepEqual(alice.scopes, [...alice.scopes].sort());
  assert.equal(new Set(alice.scopes).size, alice.scopes.length);

  // through a group, expanded as for authorization (list:users implies its parts)
  const gina = await me("gina");
  for (const s of ["read:users:activity", "list:users", "access:servers!user=gina"]) assert.ok(gina.scopes.includes(s), s);
  assert.ok(!gina.scopes.includes("access:servers!group=class"));
});

test("what is not listed: another holder's role, a narrower token's missing role scopes, and nothing beyond the roles", async () => {
  const bob = await me("bob");
  assert.ok(!bob.scopes.some((s) => s.startsWith("access:servers!group=") || s === "list:users" || s === "read:users:activity"), bob.scopes.join(" "));
  assert.ok(!bob.scopes.some((s) => s.includes("alice")), "nothing of alice's");
  // a token with a scope list: its own scopes only, never the owner's roles'
  assert.deepEqual((await me("alice", ["read:users:name"])).scopes, ["read:users:name"]);
  assert.deepEqual((await me("alice", ["access:servers!user=alice"])).scopes, ["access:servers!user=alice"]);
  assert.ok(!(await me("gina", ["read:users!user=gina"])).scopes.includes("list:users"));
  // an admin: access:servers unfiltered (roles add nothing to an admin's rights)
  const root = await me("root");
  assert.ok(root.scopes.includes("inherit") && root.scopes.includes("access:servers"));
});
