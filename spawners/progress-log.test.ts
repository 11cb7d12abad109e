import { test } from "node:test";
import assert from "node:assert/strict";
import { ProgressLog } from "./progress-log";

test("every iterator replays all events, progress never goes backwards, and iteration ends on close", async () => {
  const log = new ProgressLog();
  log.push(10, "a");
  const first = (async () => {
    const out = [];
    for await (const e of log.iterate()) out.push(e);
    return out;
  })();
  log.push(5, "b");
  log.push(50, "c");
  log.close();
  log.push(99, "ignored after close");
  const expected = [
    { progress: 10, message: "a" },
    { progress: 10, message: "b" },
    { progress: 50, message: "c" },
  ];
  assert.deepEqual(await first, expected);
  const again = [];
  for await (const e of log.iterate()) again.push(e);
  assert.deepEqual(again, expected);
});
