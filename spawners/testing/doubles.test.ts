import { test } from "node:test";
import assert from "node:assert/strict";
import { buildSpawnerSectionSchema } from "@/config/spawner-section";
import { SPAWNER_KINDS } from "../catalog";
import { SpawnerHost } from "../host";
import { SpawnError, type ProgressEvent, type Spawner } from "../types";
import { HttpCallbackReceiver } from "../batch/callback";
import { failingSpawnerKind, makeTestSpawnContext, neverStartsSpawnerKind, slowSpawnerKind } from "./index";

const SLOW = { startDelayMs: 50, readyDelayMs: 150 };
const catalog = {
  ...SPAWNER_KINDS,
  slow: slowSpawnerKind(SLOW),
  "never-starts": neverStartsSpawnerKind(),
  failing: failingSpawnerKind({ reason: "boom", logTail: "line1\nline2" }),
};
const config = buildSpawnerSectionSchema(catalog).parse({});
const log = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };
const host = new SpawnerHost({
  catalog,
  config,
  services: { batchCallbacks: new HttpCallbackReceiver(), dataDir: "/tmp/gyre-test", log, hub: { bindHost: "127.0.0.1", port: 8081 }, warnAdmins: () => {} },
});
const createSpawner = (kind: string, ctx = makeTestSpawnContext()) => host.create(kind, ctx);

async function collect(sp: Spawner): Promise<ProgressEvent[]> {
  const out: ProgressEvent[] = [];
  for await (const e of sp.progress()) out.push(e);
  return out;
}

test("the catalog knows local and the added kinds; unknown kinds throw", async () => {
  assert.deepEqual(Object.keys(catalog).slice(0, 1), ["local"]);
  assert.ok(Object.keys(catalog).includes("slow"));
  await assert.rejects(createSpawner("nope"), /Unknown spawner kind "nope"/);
  assert.equal((await createSpawner("local")).constructor.name, "LocalProcessSpawner");
});

test("SlowSpawner answers api after a delay, checks the token on api/status, survives a new instance", async () => {
  const ctx = makeTestSpawnContext({ userName: "bob" });
  const sp = await createSpawner("slow", ctx);
  const events = collect(sp);
  // The server answers 503 until readyDelayMs after start() slept startDelayMs, so not before
  // startDelayMs + readyDelayMs from here; an answer that came back sooner must be 503. A loaded
  // machine may take longer than that to listen and answer, and then either answer is right.
  // (5 ms spare: a timer may fire a millisecond early by Date.now().)
  const started = Date.now();
  const { url } = await sp.start();
  try {
    const first = (await fetch(`${url}/user/bob/api`)).status;
    if (Date.now() - started < SLOW.startDelayMs + SLOW.readyDelayMs - 5) assert.equal(first, 503);
    else assert.ok(first === 503 || first === 200, String(first));
    await new Promise((r) => setTimeout(r, 350));
    assert.equal((await fetch(`${url}/user/bob/api`)).status, 200);
    assert.equal((await fetch(`${url}/user/bob/api/status`)).status, 403);
    assert.equal((await fetch(`${url}/user/bob/api/status`, { headers: { authorization: `token ${ctx.token}` } })).status, 200);
    assert.deepEqual(
      (await events).map((e) => e.progress),
      [10, 50],
    );
    const again = await createSpawner("slow", ctx);
    again.loadState(sp.getState());
    assert.equal(await again.poll(), null);
    await again.stop();
    assert.notEqual(await sp.poll(), null);
    await again.stop();
  } finally {
    // a failed assertion must not leave the server listening (the file then hung to its timeout)
    await sp.stop();
  }
});

test("NeverStartsSpawner hangs until stop(), then start() rejects", async () => {
  const sp = await createSpawner("never-starts");
  const started = sp.start();
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(await sp.poll(), null);
  await sp.stop();
  await assert.rejects(started, SpawnError);
  assert.notEqual(await sp.poll(), null);
});

test("FailingSpawner fails with reason and log tail", async () => {
  const sp = await createSpawner("failing");
  await assert.rejects(sp.start(), (e: unknown) => e instanceof SpawnError && e.message === "boom" && e.logTail === "line1\nline2");
  assert.deepEqual(await sp.poll(), { exitCode: 1, reason: "boom" });
  assert.equal(await sp.logTail(), "line1\nline2");
});
