// malloc_trim through SQLite's extension loader: on this glibc machine it runs and gives the pages
// malloc holds free back (a child process allocates and frees 80 MB of 4 KiB buffers, keeping one
// in fifty, so the free pages are inside the arena where free() leaves them); a library that
// cannot be loaded turns it off; trims follow major GCs at most once per interval.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { adaptersSqlite } from "@/app/_lib/db/open";
import { mallocTrimmer, trimDue } from "./malloc-trim";

test("malloc_trim runs on glibc and releases the free pages inside the arena", () => {
  const child = `
    const { mallocTrimmer } = await import(${JSON.stringify(new URL("./malloc-trim.ts", import.meta.url).href)});
    const { adaptersSqlite } = await import(${JSON.stringify(new URL("../db/open.ts", import.meta.url).href)});
    const rss = () => Number(/VmRSS:\\s+(\\d+)/.exec(require("node:fs").readFileSync("/proc/self/status", "utf8"))[1]) / 1024;
    const keep = [];
    let bufs = [];
    for (let i = 0; i < 20000; i++) { const b = Buffer.allocUnsafeSlow(4000); b.fill(1); bufs.push(b); if (i % 50 === 0) keep.push(b); }
    bufs = null;
    // V8 frees the buffers' memory after the GC, on its own schedule (a background sweeper): wait
    // until what array buffers hold is down to the kept ones, so the trim finds the pages free
    const settled = Date.now() + 10000;
    do {
      globalThis.gc();
      await new Promise((r) => setTimeout(r, 20));
    } while (process.memoryUsage().arrayBuffers > keep.length * 4000 + 4e6 && Date.now() < settled);
    const before = rss();
    const result = mallocTrimmer(adaptersSqlite()).trim();
    console.log(JSON.stringify({ result, before, after: rss(), kept: keep.length, arrayBuffers: process.memoryUsage().arrayBuffers }));
  `;
  const out = execFileSync(
    process.execPath,
    [
      "--expose-gc",
      "--import",
      "tsx",
      "--input-type=module",
      "-e",
      `import { createRequire } from "node:module"; const require = createRequire(import.meta.url); ${child}`,
    ],
    {
      encoding: "utf8",
    },
  );
  const { result, before, after, arrayBuffers } = JSON.parse(out.trim().split("\n").pop()!) as {
    result: string;
    before: number;
    after: number;
    arrayBuffers: number;
  };
  assert.equal(result, "released");
  assert.ok(before - after > 40, `RSS ${before} -> ${after} MB (array buffers still held: ${(arrayBuffers / 1e6).toFixed(1)} MB)`);
});

test("nothing to release is not a failure; a library that cannot be loaded turns the trimmer off", () => {
  const trimmer = mallocTrimmer(adaptersSqlite());
  assert.notEqual(trimmer.trim(), "unavailable");
  assert.notEqual(trimmer.trim(), "unavailable", "a second trim right after");
  trimmer.close();
  const other = mallocTrimmer(adaptersSqlite(), "libgyre-no-such-library.so");
  assert.equal(other.trim(), "unavailable");
  assert.equal(other.trim(), "unavailable", "stays off");
});

test("a trim after a major GC at most once per interval", () => {
  assert.equal(trimDue(null, 5, 10_000), true);
  assert.equal(trimDue(1_000, 10_999, 10_000), false);
  assert.equal(trimDue(1_000, 11_000, 10_000), true);
});
