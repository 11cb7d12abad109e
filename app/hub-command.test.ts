import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HUB_BUNDLE, hubCommand } from "./hub-command";
import { HUB_ENV, HUB_NODE_FLAGS } from "./node-flags";

/** A checkout with one hub source and, if asked, a bundle; mtimes in seconds since the epoch. */
function checkout(times: { source: number; bundle?: number; test?: number }): string {
  const root = mkdtempSync(join(tmpdir(), "gyre-hub-cmd-"));
  mkdirSync(join(root, "app/_lib"), { recursive: true });
  mkdirSync(join(root, "dist/hub"), { recursive: true });
  const file = (path: string, t: number) => {
    writeFileSync(join(root, path), "");
    utimesSync(join(root, path), t, t);
  };
  file("app/_lib/a.ts", times.source);
  if (times.test !== undefined) file("app/_lib/a.test.ts", times.test);
  if (times.bundle !== undefined) file(HUB_BUNDLE, times.bundle);
  return root;
}

test("the bundle, under the hub's node flags and environment, when it is newer than every source", (t) => {
  const root = checkout({ source: 1000, bundle: 2000, test: 3000 });
  t.after(() => rmSync(root, { recursive: true, force: true }));
  assert.deepEqual(hubCommand({ root, tsxImport: "tsx" }), {
    file: process.execPath,
    args: [...HUB_NODE_FLAGS, join(root, HUB_BUNDLE)],
    env: HUB_ENV,
    bundled: true,
  });
});

test("the sources through tsx when a source changed after the build, or there is no bundle", (t) => {
  for (const times of [{ source: 3000, bundle: 2000 }, { source: 1000 }]) {
    const root = checkout(times);
    t.after(() => rmSync(root, { recursive: true, force: true }));
    assert.deepEqual(hubCommand({ root, tsxImport: "tsx" }), {
      file: process.execPath,
      args: ["--import", "tsx", join(root, "app/server.ts")],
      env: {},
      bundled: false,
    });
  }
});
