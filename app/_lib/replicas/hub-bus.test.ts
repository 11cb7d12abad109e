import { test } from "node:test";
import assert from "node:assert/strict";
import pino from "pino";
import { HubBus, openHubBus, type BusLink } from "./hub-bus";

function recordingLink(): BusLink & { sent: string[]; closed: boolean } {
  return {
    sent: [],
    closed: false,
    publish(topic) {
      this.sent.push(topic);
    },
    async close() {
      this.closed = true;
    },
  };
}

test("the hub bus tells its own listeners everything and publishes only argument-less shared topics", () => {
  const bus = new HubBus();
  const link = recordingLink();
  bus.connect(link);
  const heard: string[] = [];
  for (const topic of ["wake", "server:3", "check-server", "my-local"]) bus.on(topic, () => heard.push(topic));
  bus.emit("wake");
  bus.emit("server:3");
  bus.emit("check-server", { serverId: 3, done: () => undefined });
  bus.emit("my-local");
  bus.emit("server:3", "an argument"); // with arguments: not something a message can carry
  assert.deepEqual(heard, ["wake", "server:3", "check-server", "my-local", "server:3"]);
  assert.deepEqual(link.sent, ["wake", "server:3"]);
});

test("a topic delivered from another replica reaches the listeners and is not published again", () => {
  const bus = new HubBus();
  const link = recordingLink();
  bus.connect(link);
  let woken = 0;
  bus.on("wake", () => woken++);
  bus.deliver("wake");
  assert.equal(woken, 1);
  assert.deepEqual(link.sent, []);
});

test("closing the bus closes its link; afterwards it is a local bus", async () => {
  const bus = new HubBus();
  const link = recordingLink();
  bus.connect(link);
  await bus.close();
  assert.equal(link.closed, true);
  let woken = 0;
  bus.on("wake", () => woken++);
  bus.emit("wake");
  assert.equal(woken, 1);
  assert.deepEqual(link.sent, []);
});

test("on SQLite (one hub) the bus has no link: nothing leaves the process", async () => {
  const bus = await openHubBus({ provider: "sqlite", databaseUrl: "file:/nonexistent/gyre.db", log: pino({ level: "silent" }) });
  let woken = 0;
  bus.on("wake", () => woken++);
  assert.equal(bus.emit("wake"), true);
  assert.equal(woken, 1);
  await bus.close();
});
