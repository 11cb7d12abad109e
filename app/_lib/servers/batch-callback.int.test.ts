// The DB-backed batch callback channel and POST /hub/api/batch/callback against a real SQLite
// database: register → job calls back → wait() resolves; no token 403; a token of no live spawn
// (wrong, released, replaced) 410 without reading the body; a body naming another spawn 403; a
// second "replica" (no shared bus) still sees the call through the table.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../db/open";
import { applyMigrations } from "../db/migrate";
import type { Db } from "../db/types";
import { setRuntime, type HubRuntime } from "../runtime";
import { DbBatchCallbackChannel, batchCallbackUrl, sweepBatchCallbacks } from "./batch-callback";
import { POST } from "@/app/api/batch/callback/route";

let dir: string;
let db: Db;
const bus = new EventEmitter();

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "gyre-cb-"));
  ({ db } = await openDatabase(`file:${join(dir, "t.db")}`));
  await applyMigrations(db, "sqlite", process.cwd());
  const log = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined, child: () => log };
  setRuntime({ db, bus, log } as unknown as HubRuntime);
});
after(async () => {
  await db.$disconnect();
  rmSync(dir, { recursive: true, force: true });
});

function call(body: unknown, secret?: string, raw?: string): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (secret) headers.authorization = `token ${secret}`;
  return POST(new Request("http://hub/hub/api/batch/callback", { method: "POST", headers, body: raw ?? JSON.stringify(body) }), {
    params: Promise.resolve({}),
  });
}

test("callback URL: hub.callbackUrl wins, else the hub's own address", () => {
  assert.equal(batchCallbackUrl({ bindHost: "127.0.0.1", port: 8081 }), "http://127.0.0.1:8081/hub/api/batch/callback");
  assert.equal(batchCallbackUrl({ bindHost: "0.0.0.0", port: 8081 }, "hub1.cluster"), "http://hub1.cluster:8081/hub/api/batch/callback");
  assert.equal(
    batchCallbackUrl({ bindHost: "0.0.0.0", port: 8081, callbackUrl: "http://login1.cluster:8081/" }),
    "http://login1.cluster:8081/hub/api/batch/callback",
  );
});

test("register → callback 200 → wait() resolves; the secret is stored only as a hash", async () => {
  const ch = new DbBatchCallbackChannel(db, bus, "http://x/hub/api/batch/callback", 50);
  const secret = await ch.register("spawnA1");
  const row = await db.batchCallback.findUniqueOrThrow({ where: { spawnId: "spawnA1" } });
  assert.notEqual(row.secretHash, secret);
  assert.ok(!JSON.stringify(row).includes(secret));
  const ac = new AbortController();
  const waiting = ch.wait("spawnA1", ac.signal);
  const t0 = Date.now();
  const r = await call({ spawn_id: "spawnA1", job_id: "42", host: "node1", port: 7051 }, secret);
  assert.equal(r.status, 200);
  assert.deepEqual(await waiting, { host: "node1", port: 7051, jobId: "" });
  assert.ok(Date.now() - t0 < 1000, "woken through the bus, not the poll");
  // a retried call (lost response) while the spawn waits is still accepted
  assert.equal((await call({ spawn_id: "spawnA1", host: "node1", port: 7051 }, secret)).status, 200);
  ch.release("spawnA1");
  await new Promise((res) => setTimeout(res, 100));
  assert.equal((await call({ spawn_id: "spawnA1", host: "node1", port: 7051 }, secret)).status, 410, "released spawn → 410 (the job exits)");
});

test("missing token 403, a token of no live spawn 410, a body naming another spawn 403, malformed body 400, nothing recorded", async () => {
  const ch = new DbBatchCallbackChannel(db, bus, "u", 50);
  const secret = await ch.register("spawnB1");
  // The spawn is named in the body, which is read only for a known token: a wrong token cannot
  // be told from a finished spawn's, and either way the job should give up.
  assert.equal((await call({ spawn_id: "spawnB1", host: "n", port: 7050 }, "wrong")).status, 410);
  assert.equal((await call({ spawn_id: "spawnB1", host: "n", port: 7050 })).status, 403);
  assert.equal((await call({ spawn_id: "nosuch", host: "n", port: 7050 }, secret)).status, 403);
  assert.equal((await call({ spawn_id: "spawnB1", host: "n; rm -rf /", port: 7050 }, secret)).status, 400);
  assert.equal((await call({ spawn_id: "spawnB1", host: "n", port: 70000 }, secret)).status, 400);
  assert.equal((await call(null, secret, "{not json")).status, 400);
  const row = await db.batchCallback.findUniqueOrThrow({ where: { spawnId: "spawnB1" } });
  assert.equal(row.receivedAt, null);
  ch.release("spawnB1");
});

/** A chunked body of `totalBytes` (no Content-Length), produced only as it is read; counts what was read. */
function lazyBody(totalBytes: number, chunkBytes = 1 << 20): { body: ReadableStream<Uint8Array>; pulled: () => number } {
  let pulled = 0;
  const chunk = new Uint8Array(chunkBytes).fill(0x20);
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled >= totalBytes) return controller.close();
      pulled += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
  return { body, pulled: () => pulled };
}

test("64 MB chunked callback bodies without a valid token are not read: memory stays flat", async () => {
  const ch = new DbBatchCallbackChannel(db, bus, "u", 50);
  const secret = await ch.register("spawnM1");
  const post = (body: ReadableStream<Uint8Array>, authorization?: string) =>
    POST(
      new Request("http://hub/hub/api/batch/callback", {
        method: "POST",
        headers: { "content-type": "application/json", ...(authorization ? { authorization } : {}) },
        body,
        duplex: "half",
      } as RequestInit),
      { params: Promise.resolve({}) },
    );
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  for (const [authorization, want] of [
    [undefined, 403],
    ["token guessed-secret", 410],
    [undefined, 403],
    ["token another-guess", 410],
  ] as const) {
    const b = lazyBody(64 << 20);
    assert.equal((await post(b.body, authorization)).status, want);
    assert.ok(b.pulled() <= 2 << 20, `read ${b.pulled()} bytes before checking the token`);
  }
  const grownMiB = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
  console.log(`# RSS after four unauthenticated 64 MB callback bodies: +${grownMiB.toFixed(1)} MiB`);
  assert.ok(grownMiB < 32, `RSS grew ${grownMiB.toFixed(1)} MiB`);
  // With the right token the body is read, but only up to the callback's limit.
  const big = lazyBody(64 << 20);
  assert.equal((await post(big.body, `token ${secret}`)).status, 413);
  assert.ok(big.pulled() <= 2 << 20, `read ${big.pulled()} bytes of an oversized body`);
  ch.release("spawnM1");
});

test("another replica (own bus) sees the callback through the table; abort rejects wait()", async () => {
  const ch = new DbBatchCallbackChannel(db, new EventEmitter(), "u", 50);
  const secret = await ch.register("spawnC1");
  const waiting = ch.wait("spawnC1", new AbortController().signal);
  assert.equal((await call({ spawn_id: "spawnC1", host: "10.0.0.5", port: 7060 }, secret)).status, 200);
  assert.equal((await waiting).port, 7060);
  const s2 = await ch.register("spawnC2");
  assert.ok(s2);
  const ac = new AbortController();
  const w2 = ch.wait("spawnC2", ac.signal);
  ac.abort(new Error("stopped"));
  await assert.rejects(w2, /stopped/);
  // re-register (spawn resumed after a hub restart): the old secret no longer works
  const s3 = await ch.register("spawnC2");
  assert.equal((await call({ spawn_id: "spawnC2", host: "n", port: 7050 }, s2)).status, 410);
  assert.equal((await call({ spawn_id: "spawnC2", host: "n", port: 7050 }, s3)).status, 200);
});

test("sweep: rows of spawns that are gone go once old enough; live spawns' and fresh rows stay", async () => {
  const ch = new DbBatchCallbackChannel(db, bus, "http://x/hub/api/batch/callback", 50);
  for (const id of ["sweep-live", "sweep-dead", "sweep-fresh"]) await ch.register(id);
  const old = new Date(Date.now() - 3_600_000);
  await db.batchCallback.updateMany({ where: { spawnId: { in: ["sweep-live", "sweep-dead"] } }, data: { createdAt: old } });
  const n = await sweepBatchCallbacks(db, ["sweep-live"], new Date(Date.now() - 600_000));
  assert.equal(n, 1);
  const left = (await db.batchCallback.findMany({ where: { spawnId: { startsWith: "sweep-" } } })).map((r) => r.spawnId).sort();
  assert.deepEqual(left, ["sweep-fresh", "sweep-live"]);
  // a job of the swept spawn that calls late is told to go away
  assert.equal((await call({ spawn_id: "sweep-dead", host: "node1", port: 7051 }, "whatever")).status, 410);
});
