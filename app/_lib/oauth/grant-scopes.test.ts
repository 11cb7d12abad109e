// grantScopes: the scopes an OAuth token carries, as JupyterHub's provider filters them.
import assert from "node:assert/strict";
import { test } from "node:test";
import { expandScopes } from "@/app/_lib/auth/scopes";
import { selfScopes } from "@/app/_lib/auth/roles";
import { grantScopes } from "./provider";

const client = { scope: "access:services!service=dash", allowedScopes: ["read:users!user", "read:groups", "admin:users", "read:servers"] };
const alice = new Set([...expandScopes(selfScopes("alice")), ...expandScopes(["read:groups"])]);
const admin = new Set(["inherit"]);

test("the access scope always; asked-for scopes only where the client is allowed and the user holds them; the rest listed as left out", () => {
  assert.deepEqual(grantScopes(client, "read:users!user read:groups admin:users list:users", "alice", alice), {
    scopes: ["access:services!service=dash", "read:users!user=alice", "read:groups"],
    excluded: ["admin:users", "list:users"],
  });
  // an admin holds everything: only the client's bound applies (list:users is part of admin:users, tokens is not allowed)
  assert.deepEqual(grantScopes(client, "admin:users list:users tokens", "root", admin), {
    scopes: ["access:services!service=dash", "admin:users", "list:users"],
    excluded: ["tokens"],
  });
});

test("nothing asked: everything the client is allowed that the user holds; a client allowed nothing: the access scope only", () => {
  // alice holds read:servers only for her own servers: the unfiltered scope is not hers to give
  assert.deepEqual(grantScopes(client, null, "alice", alice).scopes, ["access:services!service=dash", "read:users!user=alice", "read:groups"]);
  assert.deepEqual(grantScopes(client, "  ", "root", admin).scopes, [
    "access:services!service=dash",
    "read:users!user=root",
    "read:groups",
    "admin:users",
    "read:servers",
  ]);
  assert.deepEqual(grantScopes({ scope: "access:services!service=p", allowedScopes: [] }, "read:users read:groups", "root", admin), {
    scopes: ["access:services!service=p"],
    excluded: ["read:users", "read:groups"],
  });
});

test("a narrower form of an allowed scope is granted (read:servers!user=alice under read:servers); another user's is not held by alice; unknown names and the deprecated identify are dropped; the access scope asked for is not repeated", () => {
  assert.deepEqual(grantScopes(client, "read:servers!user=alice read:servers!user=bob nonsense:x identify access:services!service=dash", "alice", alice), {
    scopes: ["access:services!service=dash", "read:servers!user=alice"],
    excluded: ["read:servers!user=bob", "nonsense:x"],
  });
  // "self" allowed: the user's own resources, whoever logs in
  assert.deepEqual(grantScopes({ scope: "access:services!service=s", allowedScopes: ["self"] }, null, "alice", alice).scopes, [
    "access:services!service=s",
    ...selfScopes("alice"),
  ]);
});
