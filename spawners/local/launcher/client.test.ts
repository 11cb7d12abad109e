// The launcher's node flags and environment (client.ts): how many threads a launcher has. Each
// identity switch of a removal (remove.ts) is signalled to every thread of the process by glibc, so
// fewer threads make every removal cheaper; counted here on this node binary with the flags the hub
// starts it with, and on a launcher started by the hub's client as the hub starts it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { LAUNCHER_BUNDLE, LAUNCHER_NODE_FLAGS, LauncherClient, LauncherRequestError, launcherCommand } from "./client";

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

test("a launcher the client starts runs 5 threads once it has loaded and answered: one libuv pool thread, not the 4 its ES module loading starts", async () => {
  const client = new LauncherClient({ setprivPath: "/usr/bin/setpriv" });
  try {
    // a request it refuses (outside the temporary directory): the launcher has loaded and answered
    await assert.rejects(client.remove({ dir: "/nonexistent/gyre-rt-x-abcdef", uid: 1000, gid: 1000 }), LauncherRequestError);
    const threads = Number(/^Threads:\s+(\d+)$/m.exec(readFileSync(`/proc/${client.pid}/status`, "utf8"))![1]);
    // the bundle: main, one V8 worker, V8's delayed tasks, the inspector's signal watcher, one pool
    // thread (8 with libuv's default pool of 4); from source, tsx's module loader adds its own thread
    const bundled = launcherCommand().args.includes(LAUNCHER_BUNDLE);
    assert.ok(threads <= (bundled ? 5 : 6), `launcher threads: ${threads} (${bundled ? "bundle" : "tsx"})`);
  } finally {
    client.close();
  }
});
