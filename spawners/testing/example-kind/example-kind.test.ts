// Adding a spawner kind is one folder and one catalog line. This folder is the whole kind
// (config.ts, kind.ts, spawner.ts); the catalog below adds it with one line and nothing in the
// hub, the config loader or the spawn worker names it. Then the hub's own start path
// (startBackgroundServices, as app/server.ts calls it) runs a server of the kind end to end:
// config validated, spawn form offered, start through the spawn worker with the real readiness
// probe over HTTP, route pushed, stop, and clean-up of a leftover at the next hub start.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { parseConfig } from "@/config/load";
import { buildConfigSchema } from "@/config/schema";
import { SPAWNER_KINDS } from "@/spawners/catalog";
import { startTestHub, type TestHub } from "@/app/_lib/testing/hub";
import { startBackgroundServices, type BackgroundServices } from "@/app/_lib/servers/background";
import { requestStart, requestStop } from "@/app/_lib/servers/commands";
import { getSpawnForm } from "@/app/_lib/servers/spawn-form";
import { exampleSpawnerKind } from "./kind";
import { listExampleServers } from "./spawner";

const catalog = { ...SPAWNER_KINDS, example: exampleSpawnerKind };

let hub: TestHub;
let services: BackgroundServices;

before(async () => {
  hub = await startTestHub({ catalog, config: { spawner: { kind: "example", example: { greeting: "hi from example" } }, hub: { httpProbeIntervalMs: 20 } } });
  services = await startBackgroundServices(hub.rt);
});
after(async () => {
  await services.close();
  await hub.close();
});

async function waitForState(userId: number, state: string) {
  for (let i = 0; i < 500; i++) {
    const s = await hub.db.server.findUnique({ where: { userId_name: { userId, name: "" } } });
    if (s?.state === state) return s;
    if (s?.state === "failed") throw new Error(`spawn failed: ${s.message}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no ${state} server`);
}

test("the config accepts spawner.kind: example with its section only with the kind in the catalog", () => {
  const file = { spawner: { kind: "example", example: { greeting: "hi", sizes: ["tiny"] } } };
  const config = parseConfig(file, {}, null, catalog);
  assert.equal(config.spawner.kind, "example");
  assert.deepEqual(config.spawner.example, { greeting: "hi", sizes: ["tiny"] });
  assert.throws(() => parseConfig(file, {}, null), /spawner\.kind: .*"local".*|unknown option\(s\) spawner\.example/s, "the built-in catalog has no such kind");
  assert.throws(() => parseConfig({ spawner: { kind: "example", example: { sizes: [] } } }, {}, null, catalog), /spawner\.example\.sizes/);
  const kindDoc = (buildConfigSchema(catalog).shape.spawner.unwrap() as unknown as { shape: { kind: { description?: string } } }).shape.kind.description;
  assert.match(kindDoc ?? "", /example \(an in-process HTTP server per user, for tests\)/);
});

test("the hub runs a server of the kind: form, start, route, readiness over HTTP, stop", async () => {
  const alice = await hub.addUser("alice");
  const form = await getSpawnForm(hub.rt, "alice", "");
  assert.deepEqual(
    form?.form.profiles.map((p) => p.name),
    ["small", "large"],
  );
  await assert.rejects(requestStart(hub.db, alice.id, "", { size: "huge" }), /Invalid spawn option "size"/);

  assert.equal(await requestStart(hub.db, alice.id, "", { size: "large" }), "requested");
  const running = await waitForState(alice.id, "running");
  assert.equal(running.spawnerKind, "example");
  const route = hub.routes.routes.get("/user/alice/");
  assert.equal(route?.target, running.url);
  const { deriveServerToken } = await import("@/proxy/auth/session-cookie");
  const status = await fetch(`${running.url}/user/alice/api/status`, {
    headers: { authorization: `token ${deriveServerToken(hub.rt.config.hub.secretKey, running.spawnId!)}` },
  });
  assert.deepEqual(await status.json(), { greeting: "hi from example", size: "large" });

  await requestStop(hub.db, alice.id, "");
  await waitForState(alice.id, "stopped");
  assert.equal(hub.routes.routes.has("/user/alice/"), false);
  assert.deepEqual(listExampleServers(), []);
  await assert.rejects(fetch(`${running.url}/user/alice/api/status`));
});

test("at the next hub start the kind's reconcile hook stops a server the hub no longer knows", async () => {
  const bob = await hub.addUser("bob");
  await requestStart(hub.db, bob.id, "", {});
  const running = await waitForState(bob.id, "running");
  const carol = await hub.addUser("carol");
  await requestStart(hub.db, carol.id, "", {});
  await waitForState(carol.id, "running");
  assert.equal(listExampleServers().length, 2);
  await services.close();
  // While the hub was down, bob's server was written off (say, by another replica).
  await hub.db.server.update({ where: { id: running.id }, data: { state: "failed", message: "gone" } });
  services = await startBackgroundServices(hub.rt);
  const carolRow = await hub.db.server.findUniqueOrThrow({ where: { userId_name: { userId: carol.id, name: "" } } });
  assert.deepEqual(listExampleServers(), [carolRow.spawnId], "bob's leftover stopped, carol's server adopted");
  assert.equal(carolRow.state, "running");
  await requestStop(hub.db, carol.id, "");
  await waitForState(carol.id, "stopped");
  assert.deepEqual(listExampleServers(), []);
});
