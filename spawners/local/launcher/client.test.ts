// The launcher's node flags (client.ts): how many threads a launcher has. Each identity switch of a
// removal (remove.ts) is signalled to every thread of the process by glibc, so fewer threads make
// every removal cheaper; counted here on this node binary with the flags the hub starts it with.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { LAUNCHER_NODE_FLAGS } from "./client";

/** The thread count of a node process started with `flags`, once it idles as the launcher does between requests. */
function threadsWith(flags: string[]): number {
  const script = `setTimeout(() => process.stdout.write(/^Threads:\\s+(\\d+)$/m.exec(require("fs").readFileSync("/proc/self/status", "utf8"))[1]), 200)`;
  return Number(execFileSync(process.execPath, [...flags, "-e", script], { encoding: "utf8" }));
}

test("a launcher runs 4 threads (main, one V8 worker, V8's delayed tasks, the inspector's signal watcher), not node's default 7", () => {
  const launcher = threadsWith(LAUNCHER_NODE_FLAGS);
  const plain = threadsWith(LAUNCHER_NODE_FLAGS.filter((f) => !f.startsWith("--v8-pool-size")));
  assert.ok(launcher <= 4, `launcher threads: ${launcher}`);
  assert.ok(plain > launcher, `without --v8-pool-size: ${plain} threads`);
});
