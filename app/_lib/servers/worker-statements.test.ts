// How many SQL statements a start and a stop cost the hub, counted at the driver (every
// better-sqlite3 statement execution, Prisma's and the hub's own): 10 starts requested at once
// and carried out by the spawn worker against an in-memory scripted spawner kind, then 10 stops.
// Prints the count per start and per stop, how many went through Prisma, and which statements they
// were (bench/README.md, "Phase 3d"); fails when the worker's statements go back to Prisma or its
// writes per start or stop grow.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { createRequire } from "node:module";
import Database from "better-sqlite3";
import { SPAWNER_KINDS } from "@/spawners/catalog";
import { ScriptedServers } from "@/spawners/testing/scripted";
import { startTestHub, type TestHub } from "@/app/_lib/testing/hub";
import { startBackgroundServices, type BackgroundServices } from "./background";
import { requestStart, requestStop } from "./commands";
import { stopServer } from "./api";
import { SELECT_SERVER } from "./worker-sql";
import { createApiToken } from "@/app/_lib/auth/api-tokens";
import type { ApiRequest } from "@/app/_lib/http/api-request";

const N = 10;
const scripted = new ScriptedServers();
let hub: TestHub;
let services: BackgroundServices;

// Every execution of a prepared statement, by its text, on the top-level copy of better-sqlite3
// and on the one Prisma's adapter brings (its own node_modules, which the driver's connections use
// too: open.ts); the test's own reads are not counted. Statements through Prisma are those on
// Prisma's connection.
type Exec = (this: Database.Statement, ...args: unknown[]) => unknown;
type Methods = Record<"run" | "get" | "all" | "iterate", Exec>;
const here = createRequire(import.meta.url);
const prismaSqlite = createRequire(here.resolve("@prisma/adapter-better-sqlite3"))("better-sqlite3") as typeof Database;
const protos = [Database, prismaSqlite].map((D) => Object.getPrototypeOf(new D(":memory:").prepare("SELECT 1")) as Methods);
const originals = protos.map((p) => ({ run: p.run, get: p.get, all: p.all, iterate: p.iterate }));
const original = originals[0];
let counted: string[] = [];
/** whole Server rows (every column) returned by the spawn worker's reads of the servers with work (its tick), since the last reset */
let workRows = 0;
/** when each tick's first read ran (performance.now()), since the last reset */
let tickStarts: number[] = [];
const TICK_READ = `SELECT "id", "state" FROM "Server"`;
const isWorkRead = (sql: string) => sql.startsWith(SELECT_SERVER) && /"state" IN \('pending', 'stopping'\)/.test(sql);
/** how many of `counted` went through Prisma (ran on its connection) */
let viaPrisma = 0;
let prismaConnection: Database.Database | undefined;
protos.forEach((proto, i) => {
  if (i > 0 && proto === protos[0]) return;
  for (const m of ["run", "get", "all", "iterate"] as const) {
    proto[m] = function (this: Database.Statement, ...args: unknown[]) {
      counted.push(this.source);
      if (this.source.startsWith(TICK_READ)) tickStarts.push(performance.now());
      // Prisma's connection is the one openDatabase sets WAL on (its first statement, through Prisma)
      if (/journal_mode = WAL/.test(this.source)) prismaConnection ??= this.database;
      if (this.database === prismaConnection) viaPrisma++;
      const out = originals[i][m].apply(this, args);
      if (m === "all" && isWorkRead(this.source)) workRows += (out as unknown[]).length;
      return out;
    };
  }
});

let own: Database.Database;
/** The test's own read, not counted. */
function ownRead<T>(sql: string, ...params: unknown[]): T {
  return original.get.apply(own.prepare(sql), params) as T;
}

before(async () => {
  hub = await startTestHub({
    catalog: { ...SPAWNER_KINDS, scripted: scripted.kind() },
    config: { hub: { startTimeoutSeconds: 5, httpProbeIntervalMs: 10, pollIntervalSeconds: 3600, stopTimeoutSeconds: 5 }, spawner: { kind: "scripted" } },
  });
  own = new Database(join(hub.dir, "gyre.db"), { readonly: true });
  services = await startBackgroundServices(hub.rt, { probe: scripted.probe });
});
after(async () => {
  protos.forEach((p, i) => Object.assign(p, originals[i]));
  own?.close();
  await services?.close();
  await hub?.close();
});

async function until(what: string, done: () => boolean): Promise<void> {
  const end = Date.now() + 20_000;
  while (!done()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Statement texts shortened to what they do (verb and table), with counts, most frequent first. */
function summary(texts: string[], per = N): string {
  const by = new Map<string, number>();
  for (const t of texts) {
    const s = t.replace(/\s+/g, " ").trim();
    const m = /^(SELECT|INSERT INTO|UPDATE|DELETE FROM|BEGIN|COMMIT|ROLLBACK)\b(?:.*?\bFROM\b)?\s*[`"]?(?:main[`"]?\.[`"]?)?(\w+)?/i.exec(s);
    const key = m ? `${m[1].toUpperCase()}${m[1].match(/^(BEGIN|COMMIT|ROLLBACK)$/i) ? "" : ` ${m[2] ?? ""}`}` : s.slice(0, 40);
    by.set(key, (by.get(key) ?? 0) + 1);
  }
  return [...by.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${(n / per).toFixed(1)} ${k}`)
    .join(", ");
}

/** Writes to the tables a start or stop changes (what does not depend on how often the periodic reads ran). */
const isWorkWrite = (t: string) => /^\s*(INSERT INTO|UPDATE|DELETE FROM)\s+[`"]?(?:main[`"]?\.[`"]?)?(Server|SpawnEvent|ApiToken|UsageRecord)\b/i.test(t);

/**
 * Transactions that wrote: each COMMIT, and each write outside BEGIN … COMMIT (a transaction of its
 * own). The driver's transactions run in one synchronous step, so their statements are contiguous.
 */
function commits(texts: string[]): number {
  let n = 0;
  let open = false;
  for (const t of texts) {
    if (/^\s*BEGIN\b/i.test(t)) open = true;
    else if (/^\s*(COMMIT|ROLLBACK)\b/i.test(t)) {
      open = false;
      n++;
    } else if (!open && /^\s*(INSERT|UPDATE|DELETE)\b/i.test(t)) n++;
  }
  return n;
}

test(`statements per start and per stop (${N} at once)`, async () => {
  const users = [];
  for (let i = 0; i < N; i++) users.push(await hub.addUser(`count${i}`));

  counted = [];
  viaPrisma = 0;
  await Promise.all(users.map((u) => requestStart(hub.db, u.id, "", {})));
  await until("every server running with its usage record", () => {
    const r = ownRead<{ running: number; usage: number }>(
      `SELECT (SELECT COUNT(*) FROM "Server" WHERE "state" = 'running') AS running, (SELECT COUNT(*) FROM "UsageRecord") AS usage`,
    );
    return r.running === N && r.usage === N;
  });
  const starts = counted;
  const startsViaPrisma = viaPrisma;

  counted = [];
  viaPrisma = 0;
  await Promise.all(users.map((u) => requestStop(hub.db, u.id, "")));
  await until("every server stopped", () => ownRead<{ n: number }>(`SELECT COUNT(*) AS n FROM "Server" WHERE "state" = 'stopped'`).n === N);
  await until("every stop's event", () => ownRead<{ n: number }>(`SELECT COUNT(*) AS n FROM "SpawnEvent" WHERE "kind" = 'stopped'`).n === N);
  const stops = counted;
  const stopsViaPrisma = viaPrisma;
  counted = [];

  const perStart = starts.length / N;
  const perStop = stops.length / N;
  const startWrites = starts.filter(isWorkWrite).length / N;
  const stopWrites = stops.filter(isWorkWrite).length / N;
  const startCommits = commits(starts) / N;
  console.log(
    `per start (request + worker): ${perStart.toFixed(1)} statements (${(startsViaPrisma / N).toFixed(1)} through Prisma), ${startWrites.toFixed(1)} writes to servers/events/tokens/usage, ${startCommits.toFixed(1)} transactions`,
  );
  console.log(`  ${summary(starts)}`);
  console.log(
    `per stop (request + worker): ${perStop.toFixed(1)} statements (${(stopsViaPrisma / N).toFixed(1)} through Prisma), ${stopWrites.toFixed(1)} writes to servers/events/tokens/usage`,
  );
  console.log(`  ${summary(stops)}`);
  // Before the worker's statements moved to the driver (2026-12-04): 16.3 statements per start
  // and 13.4 per stop, all through Prisma; the same 11 and 6 writes. Since the start and stop
  // requests' statements moved too (request-sql.ts), what Prisma still runs is timers' (replica
  // heartbeat) that fall in the window.
  assert.ok(startWrites > 0 && stopWrites > 0, "statements were counted");
  assert.ok(prismaConnection, "Prisma's connection was recognised");
  assert.ok(startsViaPrisma / N < 3, `statements per start through Prisma: ${startsViaPrisma / N}`);
  assert.ok(stopsViaPrisma / N < 4, `statements per stop through Prisma: ${stopsViaPrisma / N}`);
  assert.ok(startWrites <= 11, `writes per start: ${startWrites}`);
  // 8 until the events after start(), the server's URL and the readiness check's event went into one (5, 2026-12-04)
  assert.ok(startCommits <= 6, `transactions per start: ${startCommits}`);
  assert.ok(stopWrites <= 6, `writes per stop: ${stopWrites}`);
});

test("progress events pushed in the same turn are one transaction, written while the start still waits; a later one is its own", async () => {
  const user = await hub.addUser("batched");
  scripted.starts.push({
    kind: "hangs",
    events: [
      [25, "account ready"],
      [30, "process started"],
    ],
  });
  counted = [];
  await requestStart(hub.db, user.id, "", {});
  const server = () => ownRead<{ id: number; spawnId: string; state: string }>(`SELECT "id", "spawnId", "state" FROM "Server" WHERE "userId" = ?`, user.id);
  const progress = () =>
    (
      ownRead<{ p: string | null }>(
        `SELECT group_concat("progress", ',') AS p FROM (SELECT "progress" FROM "SpawnEvent" WHERE "serverId" = ? ORDER BY "id")`,
        server().id,
      ).p ?? ""
    ).split(",");
  await until("the three first events written", () => progress().length >= 4);
  // the start still hangs: nothing was held back for its end
  assert.equal(server().state, "starting");
  assert.ok(scripted.isHanging(server().spawnId));
  assert.deepEqual(progress(), ["0", "20", "25", "30"]);
  const eventTransactions = (texts: string[]) => {
    // each transaction's count of SpawnEvent inserts, in order
    const out: number[] = [];
    let open = false;
    let n = 0;
    for (const t of texts) {
      if (/^\s*BEGIN\b/i.test(t)) [open, n] = [true, 0];
      else if (/^\s*(COMMIT|ROLLBACK)\b/i.test(t)) {
        if (n) out.push(n);
        open = false;
      } else if (/^\s*INSERT INTO\s+"SpawnEvent"/i.test(t)) {
        if (open) n++;
        else out.push(1);
      }
    }
    return out;
  };
  // the request's own event (0) with its record, then 20/25/30 together (they were three transactions)
  assert.deepEqual(eventTransactions(counted), [1, 3]);
  scripted.release(server().spawnId);
  await until("running", () => server().state === "running");
  assert.deepEqual(progress(), ["0", "20", "25", "30", "60", "92", "100"]);
  // then: 60 (after start() resolved) with the URL and 92, and the ready event: two more
  assert.deepEqual(eventTransactions(counted), [1, 3, 2, 1]);
});

test("a REST stop's statements, and the rows the worker reads, when stops come one by one while earlier ones are under way", async () => {
  const M = 20;
  const admin = await hub.addUser("rest-admin", true);
  const { token } = await createApiToken(hub.db, admin.id, {});
  const users: { id: number; name: string }[] = [];
  for (let i = 0; i < M; i++) users.push(await hub.addUser(`rest${i}`));
  await Promise.all(users.map((u) => requestStart(hub.db, u.id, "", {})));
  const running = () => ownRead<{ n: number }>(`SELECT COUNT(*) AS n FROM "Server" WHERE "state" = 'running' AND "userId" >= ?`, users[0].id).n;
  await until("every server running", () => running() === M);
  // a stop takes a while (a server's exit), so later requests come while earlier stops are under way
  scripted.stopDelayMs = 100;
  // the token's last use is written at most once a minute: once before counting, as in a storm
  const del = (name: string): ApiRequest => ({
    method: "DELETE",
    url: `http://localhost/api/users/${name}/server`,
    headers: { get: (h) => (h.toLowerCase() === "authorization" ? `token ${token}` : null) },
  });
  const noBody = async () => ({});
  try {
    counted = [];
    workRows = 0;
    tickStarts = [];
    const answers: Promise<{ status: number }>[] = [];
    for (const u of users) {
      answers.push(stopServer(del(u.name), noBody, u.name, undefined));
      // one request per turn of the event loop, as they come over HTTP: the worker's tick runs between them
      await new Promise((r) => setImmediate(r));
    }
    const statuses = (await Promise.all(answers)).map((a) => a.status);
    assert.deepEqual(statuses, Array(M).fill(204), "each DELETE waited for its stop");
    await until(
      "every stop's event",
      () =>
        ownRead<{ n: number }>(
          `SELECT COUNT(*) AS n FROM "SpawnEvent" WHERE "kind" = 'stopped' AND "serverId" IN (SELECT "id" FROM "Server" WHERE "userId" >= ?)`,
          users[0].id,
        ).n === M,
    );
  } finally {
    scripted.stopDelayMs = 0;
  }
  const stops = counted;
  counted = [];
  const per = (re: RegExp) => stops.filter((t) => re.test(t)).length / M;
  const serverReads = per(/^\s*SELECT\b.*\bFROM "Server"/s);
  const ticks = stops.filter((t) => t.startsWith(TICK_READ)).length;
  const gaps = tickStarts.slice(1).map((t, i) => t - tickStarts[i]);
  console.log(
    `per REST stop, ${M} one by one: ${(stops.length / M).toFixed(1)} statements, ${serverReads.toFixed(1)} reads of Server; the worker's reads of servers with work returned ${(workRows / M).toFixed(1)} whole rows per stop, in ${ticks} ticks`,
  );
  console.log(`  ${summary(stops, M)}`);
  // Whole rows of servers already stopping were read again by every tick: 7 rows per stop for 20
  // stops coming one by one (growing with the storm), before the tick read ids and states first.
  assert.ok(workRows / M <= 2, `rows of servers with work read per stop: ${workRows / M}`);
  // a tick per request (21 for 20) until a wake within TICK_GAP_MS (10 ms) of the last tick waited
  // for the next: how many ticks depends on how fast the requests come, their spacing does not
  assert.ok(ticks < M, `ticks: ${ticks}`);
  assert.ok(Math.min(...gaps) >= 9, `ticks ${gaps.map((g) => g.toFixed(1)).join(", ")} ms apart`);
});
