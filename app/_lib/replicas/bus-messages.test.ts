import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeBusMessage, encodeBusMessages, isSharedTopic } from "./bus-messages";

test("shared topics: the argument-less ones another replica may wait for, nothing else (table)", () => {
  const cases: Array<[topic: string, shared: boolean]> = [
    ["wake", true],
    ["bulk", true],
    ["server:42", true],
    ["batch-callback:0123456789abcdef0123456789abcdef", true],
    ["check-server", false], // carries a callback: this process only
    ["error", false], // an EventEmitter throws on an unheard "error"
    ["server:", false],
    ["server:4x", false],
    ["server:1 wake", false],
    ["batch-callback:", false],
    ["batch-callback:a b", false],
    ["wake ", false],
    ["Wake", false],
    ["", false],
  ];
  for (const [topic, shared] of cases) assert.equal(isSharedTopic(topic), shared, JSON.stringify(topic));
});

test("a message carries its origin and its topics; unknown topics are dropped on both ends", () => {
  assert.deepEqual(encodeBusMessages("o1", ["wake", "server:7", "error", "check-server"]), ["o1 wake server:7"]);
  assert.deepEqual(encodeBusMessages("o1", []), []);
  assert.deepEqual(encodeBusMessages("o1", ["error"]), []);
  assert.deepEqual(decodeBusMessage("o1 wake server:7"), { origin: "o1", topics: ["wake", "server:7"] });
  assert.deepEqual(decodeBusMessage("o2 error wake newListener server:x"), { origin: "o2", topics: ["wake"] });
  assert.deepEqual(decodeBusMessage("o3"), { origin: "o3", topics: [] });
  assert.equal(decodeBusMessage(""), null);
  assert.equal(decodeBusMessage(" wake"), null);
});

test("many topics are split into payloads under the size limit, none lost", () => {
  const topics = Array.from({ length: 2000 }, (_, i) => `server:${i}`);
  const payloads = encodeBusMessages("origin", topics, 100);
  assert.ok(payloads.length > 1);
  for (const p of payloads) assert.ok(Buffer.byteLength(p) <= 100, `${Buffer.byteLength(p)} bytes`);
  assert.deepEqual(
    payloads.flatMap((p) => decodeBusMessage(p)!.topics),
    topics,
  );
  assert.ok(payloads.every((p) => decodeBusMessage(p)!.origin === "origin"));
});
