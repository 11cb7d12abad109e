// fileAppearance against a real directory: a wait ends when the watched file is created, not when
// another one is, and falls back to the plain wait where nothing can be watched. No timings: the
// waits given to raceWith never end unless the test ends them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, watch, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileAppearance } from "./file-appears";

const never = () => new Promise<void>(() => {});

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "gyre-file-appears-test-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test("a wait ends when the file is created during it", { timeout: 10_000 }, async (t) => {
  const dir = tempDir(t);
  const appearance = fileAppearance(join(dir, "jupyter.sock"));
  try {
    const waited = appearance.raceWith(never());
    writeFileSync(join(dir, "jupyter.sock"), "");
    await waited;
  } finally {
    appearance.close();
  }
});

test("a file created between two waits ends the next wait at once, and only that one", { timeout: 10_000 }, async (t) => {
  const dir = tempDir(t);
  const appearance = fileAppearance(join(dir, "jupyter.sock"));
  // a second watch of the same directory: once it saw the file, so did the first (same inotify queue)
  const seen = new Promise<void>((resolve) => {
    const w = watch(dir, (_e, f) => {
      if (f === "jupyter.sock") {
        w.close();
        resolve();
      }
    });
  });
  try {
    writeFileSync(join(dir, "jupyter.sock"), "");
    await seen;
    await appearance.raceWith(never());
    let settled = false;
    let end = () => {};
    const next = appearance.raceWith(new Promise<void>((resolve) => (end = resolve))).then(() => (settled = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(settled, false, "the notice was used up by the first wait");
    end();
    await next;
  } finally {
    appearance.close();
  }
});

test("other files in the directory do not end the wait", { timeout: 10_000 }, async (t) => {
  const dir = tempDir(t);
  const appearance = fileAppearance(join(dir, "jupyter.sock"));
  const seen = new Promise<void>((resolve) => {
    const w = watch(dir, (_e, f) => {
      if (f === "cookie_secret") {
        w.close();
        resolve();
      }
    });
  });
  try {
    let settled = false;
    let end = () => {};
    const waited = appearance.raceWith(new Promise<void>((resolve) => (end = resolve))).then(() => (settled = true));
    writeFileSync(join(dir, "cookie_secret"), "x");
    await seen;
    await new Promise((r) => setImmediate(r));
    assert.equal(settled, false);
    end();
    await waited;
  } finally {
    appearance.close();
  }
});

test("a directory that cannot be watched leaves the plain wait", { timeout: 10_000 }, async (t) => {
  const dir = tempDir(t);
  const appearance = fileAppearance(join(dir, "missing", "jupyter.sock"));
  const wait = Promise.resolve();
  assert.equal(appearance.raceWith(wait), wait);
  appearance.close();
});
