// visibleUserModel: the user model a token's (filtered) scopes may read, servers included, as
// JupyterHub's user_model cuts it.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { ServerModel, UserModel } from "@/app/_lib/models";
import { expandScopes } from "@/app/_lib/auth/scopes";
import { visibleUserModel } from "./models";

const server = (name: string) => ({ name, full_name: `alice/${name}`, state: "running" }) as unknown as ServerModel;
const alice: UserModel = {
  kind: "user",
  name: "alice",
  admin: false,
  groups: ["class"],
  created: "2026-01-01T00:00:00.000Z",
  last_activity: null,
  server: "/user/alice/",
  pending: null,
  servers: { "": server(""), gpu: server("gpu"), cpu: server("cpu") },
};
const see = (scopes: string[]) => visibleUserModel(alice, expandScopes(scopes));

test("read:servers!server=<user>/<server> narrows the servers dict to that server; the user's or group's filter shows them all", () => {
  const one = see(["read:users:name!user=alice", "read:servers!server=alice/gpu"]);
  assert.deepEqual(Object.keys(one!.servers!), ["gpu"]);
  assert.deepEqual(Object.keys(one!).sort(), ["admin", "kind", "name", "servers"]);
  assert.deepEqual(Object.keys(see(["read:servers!server=alice/gpu", "read:servers!server=alice/", "read:users!user=alice"])!.servers!), ["", "gpu"]);
  assert.deepEqual(Object.keys(see(["read:servers!user=alice"])!.servers!), ["", "gpu", "cpu"]);
  assert.deepEqual(Object.keys(see(["read:servers!group=class"])!.servers!), ["", "gpu", "cpu"]);
  assert.deepEqual(Object.keys(see(["read:servers"])!.servers!), ["", "gpu", "cpu"]);
  assert.deepEqual(Object.keys(see([])!.servers!), ["", "gpu", "cpu"], "inherit");
});

test("a server filter of another user or another server shows no servers key; without a readable field, nothing", () => {
  assert.ok(!("servers" in see(["read:users:name!user=alice", "read:servers!server=bob/gpu"])!));
  assert.ok(!("servers" in see(["read:users:name!user=alice", "read:servers!server=alice/tpu"])!));
  assert.ok(!("servers" in see(["read:users!user=alice"])!));
  // a crafted filter value never parses: no scope, no servers
  assert.ok(!("servers" in see(["read:users:name!user=alice", "read:servers!server=alice/gpu!user=alice"])!));
  assert.equal(see(["read:users!user=bob"]), null);
});
