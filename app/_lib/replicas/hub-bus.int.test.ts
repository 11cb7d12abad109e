// The hub bus between replicas on a real PostgreSQL (LISTEN/NOTIFY, pg-bus-link.ts): a shared
// topic emitted by one hub process reaches the other's listeners, nothing else travels, and a
// link whose connection is killed listens again and wakes its worker. Port 7694.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import pg from "pg";
import pino from "pino";
import { startTestPostgres, type TestPostgres } from "@/app/_lib/testing/postgres";
import { HubBus } from "./hub-bus";
import { BUS_APPLICATION_NAME, PgBusLink } from "./pg-bus-link";

let server: TestPostgres;
let admin: pg.Client;
const links: PgBusLink[] = [];
const log = pino({ level: "silent" });

before(async () => {
  server = await startTestPostgres(7694);
  admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
});
after(async () => {
  for (const l of links) await l.close();
  await admin?.end();
  await server?.stop();
});

async function linkedBus(channel: string): Promise<{ bus: HubBus; link: PgBusLink }> {
  const bus = new HubBus();
  const link = new PgBusLink({ url: server.url, bus, log, channel, retryMs: 50, maxRetryMs: 400 });
  await link.start();
  assert.ok(link.listening);
  bus.connect(link);
  links.push(link);
  return { bus, link };
}

/** Resolves with the milliseconds until `topic` is heard on `bus`, or rejects after `ms`. */
function heard(bus: HubBus, topic: string, ms = 5000): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      bus.off(topic, on);
      reject(new Error(`${topic} not heard within ${ms} ms`));
    }, ms);
    const on = () => {
      clearTimeout(timer);
      resolve(performance.now() - t0);
    };
    bus.once(topic, on);
  });
}

const settle = () => new Promise((r) => setTimeout(r, 300));

test("a shared topic emitted on one replica reaches the other's listeners once; its own hear it once", async (t) => {
  const a = await linkedBus("bus_test_a");
  const b = await linkedBus("bus_test_a");
  const counts = { a: 0, b: 0 };
  a.bus.on("server:7", () => counts.a++);
  b.bus.on("server:7", () => counts.b++);
  const arrived = heard(b.bus, "wake");
  a.bus.emit("wake");
  a.bus.emit("server:7");
  t.diagnostic(`emit on replica a → heard on replica b: ${(await arrived).toFixed(1)} ms`);
  await settle();
  // a's own NOTIFY comes back to its session too: recognised by its origin and ignored
  assert.deepEqual(counts, { a: 1, b: 1 });
});

test("only shared, argument-less topics travel; a stranger's NOTIFY cannot emit anything else", async () => {
  const a = await linkedBus("bus_test_b");
  const b = await linkedBus("bus_test_b");
  const onB: string[] = [];
  // "newListener" last: registering a listener emits it locally
  for (const topic of ["check-server", "local-thing", "error", "wake", "newListener"]) b.bus.on(topic, () => onB.push(topic));
  a.bus.emit("check-server", { serverId: 1, done: () => undefined });
  a.bus.emit("local-thing");
  a.bus.emit("wake", "with an argument");
  // someone else on the database (any role may NOTIFY): unknown topics are dropped
  await admin.query("SELECT pg_notify($1, $2)", ["bus_test_b", "stranger error check-server newListener local-thing"]);
  await admin.query("SELECT pg_notify($1, $2)", ["bus_test_b", ""]);
  await settle();
  assert.deepEqual(onB, []);
  const arrived = heard(b.bus, "wake");
  await admin.query("SELECT pg_notify($1, $2)", ["bus_test_b", "stranger wake"]);
  await arrived;
});

test("a link whose connection is killed listens again, wakes its own worker, and carries messages both ways", async (t) => {
  const a = await linkedBus("bus_test_c");
  const b = await linkedBus("bus_test_c");
  let wokenA = 0;
  let wokenB = 0;
  a.bus.on("wake", () => wokenA++);
  b.bus.on("wake", () => wokenB++);
  const killed = await admin.query<{ pid: number }>("SELECT pg_terminate_backend(pid), pid FROM pg_stat_activity WHERE application_name = $1", [
    BUS_APPLICATION_NAME,
  ]);
  // every link of this file (the earlier tests' too) lost its connection
  assert.equal(killed.rowCount, links.length);
  const t0 = performance.now();
  // emitting while the link is down loses the message but throws nothing
  a.bus.emit("server:9");
  const end = Date.now() + 10_000;
  while (!(a.link.reconnects === 1 && b.link.reconnects === 1 && a.link.listening && b.link.listening)) {
    assert.ok(Date.now() < end, `reconnects: a ${a.link.reconnects}, b ${b.link.reconnects}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  t.diagnostic(`both links listening again ${(performance.now() - t0).toFixed(0)} ms after their connections were killed`);
  // what was announced meanwhile is lost: each worker is woken once to look for itself
  assert.equal(wokenA, 1);
  assert.equal(wokenB, 1);
  const toB = heard(b.bus, "server:11");
  a.bus.emit("server:11");
  await toB;
  const toA = heard(a.bus, "bulk");
  b.bus.emit("bulk");
  await toA;
  // one connection per link once the earlier tests' links are back too; the dead ones gone
  const count = async () =>
    (await admin.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1", [BUS_APPLICATION_NAME])).rows[0].n;
  while (!links.every((l) => l.listening) || (await count()) !== links.length) {
    assert.ok(Date.now() < end, `bus connections: ${await count()} for ${links.length} links`);
    await new Promise((r) => setTimeout(r, 10));
  }
});
