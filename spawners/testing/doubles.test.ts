import { test } from "node:test";
import assert from "node:assert/strict";
import { createSpawner, listSpawnerKinds, registerSpawner, type GyreSpawnerConfig } from "../registry";
import { spawnerSectionSchema } from "@/config/schema";
import { SpawnError, type ProgressEvent, type Spawner } from "../types";
import { failingSpawnerFactory, makeTestSpawnContext, neverStartsSpawnerFactory, slowSpawnerFactory } from "./index";

const parsed = spawnerSectionSchema.parse({});
const config: GyreSpawnerConfig = { ...parsed, local: { ...parsed.local, logDir: "/tmp/gyre-test-logs" } };
registerSpawner(slowSpawnerFactory({ startDelayMs: 50, readyDelayMs: 150 }));
registerSpawner(neverStartsSpawnerFactory());
registerSpawner(failingSpawnerFactory({ reason: "boom", logTail: "line1\nline2" }));

async function collect(sp: Spawner): Promise<ProgressEvent[]> {
  const out: ProgressEvent[] = [];
  for await (const e of sp.progress()) out.push(e);
  return out;
}

test("registry knows local and registered kinds; unknown kinds throw", () => {
  assert.deepEqual(listSpawnerKinds().slice(0, 1), ["local"]);
  assert.ok(listSpawnerKinds().includes("slow"));
  assert.throws(() => createSpawner("nope", makeTestSpawnContext(), config), /Unknown spawner kind "nope"/);
  assert.equal(createSpawner("local", makeTestSpawnContext(), config).constructor.name, "LocalProcessSpawner");
});

test("SlowSpawner answers api after a delay, checks the token on api/status, survives a new instance", async () => {
  const ctx = makeTestSpawnContext({ userName: "bob" });
  const sp = createSpawner("slow", ctx, config);
  const events = collect(sp);
  const { url } = await sp.start();
  assert.equal((await fetch(`${url}/user/bob/api`)).status, 503);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal((await fetch(`${url}/user/bob/api`)).status, 200);
  assert.equal((await fetch(`${url}/user/bob/api/status`)).status, 403);
  assert.equal((await fetch(`${url}/user/bob/api/status`, { headers: { authorization: `token ${ctx.token}` } })).status, 200);
  assert.deepEqual((await events).map((e) => e.progress), [10, 50]);
  const again = createSpawner("slow", ctx, config);
  again.loadState(sp.getState());
  assert.equal(await again.poll(), null);
  await again.stop();
  assert.notEqual(await sp.poll(), null);
  await again.stop();
});

test("NeverStartsSpawner hangs until stop(), then start() rejects", async () => {
  const sp = createSpawner("never-starts", makeTestSpawnContext(), config);
  const started = sp.start();
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(await sp.poll(), null);
  await sp.stop();
  await assert.rejects(started, SpawnError);
  assert.notEqual(await sp.poll(), null);
});

test("FailingSpawner fails with reason and log tail", async () => {
  const sp = createSpawner("failing", makeTestSpawnContext(), config);
  await assert.rejects(sp.start(), (e: unknown) => e instanceof SpawnError && e.message === "boom" && e.logTail === "line1\nline2");
  assert.deepEqual(await sp.poll(), { exitCode: 1, reason: "boom" });
  assert.equal(await sp.logTail(), "line1\nline2");
});
