// The server's hub API token in the database: stored hashed once per spawn, a second store of the
// same spawn's token changes nothing, another token with the same prefix is refused.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { SPAWNER_KINDS } from "@/spawners/catalog";
import { startTestHub, type TestHub } from "@/app/_lib/testing/hub";
import { hashToken } from "../auth/api-tokens";
import { deriveServerApiToken, issueServerApiToken } from "./server-api-token";

let hub: TestHub;
before(async () => {
  hub = await startTestHub({ catalog: SPAWNER_KINDS });
});
after(() => hub.close());

test("a spawn's token is stored hashed with its scopes; storing it again (a spawn started over) changes nothing", async () => {
  const user = await hub.addUser("tok1");
  const token = deriveServerApiToken("x".repeat(32), "spawn-1");
  await issueServerApiToken(hub.db, { userId: user.id, user: "tok1", server: "", token });
  await issueServerApiToken(hub.db, { userId: user.id, user: "tok1", server: "", token });
  const rows = await hub.db.apiToken.findMany({ where: { userId: user.id } });
  assert.equal(rows.length, 1);
  assert.equal(rows[0].hash, hashToken(token));
  assert.equal(rows[0].prefix, token.slice(0, 8));
  assert.ok(!rows[0].hash.includes(token));
  assert.equal(rows[0].scopes, "access:servers!server=tok1/ users:activity!user=tok1");
});

test("another token with the same first 8 characters is refused, and the stored one stays", async () => {
  const user = await hub.addUser("tok2");
  const token = deriveServerApiToken("x".repeat(32), "spawn-2");
  await issueServerApiToken(hub.db, { userId: user.id, user: "tok2", server: "a", token });
  const other = token.slice(0, 8) + "Z".repeat(35);
  await assert.rejects(issueServerApiToken(hub.db, { userId: user.id, user: "tok2", server: "a", token: other }), /collides with another token/);
  const rows = await hub.db.apiToken.findMany({ where: { userId: user.id } });
  assert.deepEqual(
    rows.map((r) => r.hash),
    [hashToken(token)],
  );
});
