import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileCache } from "./file-cache";

/** Writes `text` at `path` with a modification time an hour ago (a file that has settled). */
function writeSettled(path: string, text: string): void {
  writeFileSync(path, text);
  const hourAgo = new Date(Date.now() - 3600_000);
  utimesSync(path, hourAgo, hourAgo);
}

test("FileCache: 100 lookups of an unchanged file read it once; a replaced, edited or removed file is read again", () => {
  const dir = mkdtempSync(join(tmpdir(), "gyre-file-cache-"));
  try {
    const path = join(dir, "passwd");
    writeSettled(path, "alice:x:1001:1001::/home/alice:/bin/bash\n");
    let parses = 0;
    const cache = new FileCache(path, (text) => {
      parses++;
      return text === null ? [] : text.split("\n").filter(Boolean);
    });
    for (let i = 0; i < 100; i++) assert.deepEqual(cache.get(), ["alice:x:1001:1001::/home/alice:/bin/bash"]);
    assert.equal(cache.reads, 1);
    assert.equal(parses, 1);

    // useradd's way: a new file renamed over the old one (another inode)
    writeSettled(join(dir, "passwd+"), "alice:x:1001:1001::/home/alice:/bin/bash\nbob:x:1002:1002::/home/bob:/bin/sh\n");
    renameSync(join(dir, "passwd+"), path);
    assert.equal(cache.get().length, 2);
    assert.equal(cache.get().length, 2);
    assert.equal(cache.reads, 2);

    rmSync(path);
    assert.deepEqual(cache.get(), [], "no file: parsed from null");
    assert.deepEqual(cache.get(), []);
    assert.equal(cache.reads, 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("FileCache: a file changed within the last two seconds is read at every lookup (an edit of the same size in the same clock tick is not missed)", () => {
  const dir = mkdtempSync(join(tmpdir(), "gyre-file-cache-"));
  try {
    const path = join(dir, "passwd");
    writeFileSync(path, "alice:x:1001:1001::/home/alice:/bin/bash\n");
    const cache = new FileCache(path, (text) => (text ?? "").trim());
    assert.equal(cache.get(), "alice:x:1001:1001::/home/alice:/bin/bash");
    // same size, in place, at once: the times may not move
    writeFileSync(path, "carol:x:1001:1001::/home/alice:/bin/bash\n");
    assert.equal(cache.get(), "carol:x:1001:1001::/home/alice:/bin/bash");
    assert.equal(cache.reads, 2);
    // once settled it is kept
    const hourAgo = new Date(Date.now() - 3600_000);
    utimesSync(path, hourAgo, hourAgo);
    cache.get();
    cache.get();
    assert.equal(cache.reads, 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
