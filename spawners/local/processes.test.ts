// readFileTail: the last lines of a server's log, read from its end (16 kB first, more when that
// holds too few lines, at most 256 kB), as a read of the whole last 256 kB would give them.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readFileTail } from "./processes";

const dir = mkdtempSync(join(tmpdir(), "gyre-tail-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** What the tail was before: split the last 256 kB, keep the last `lines`. */
function expected(text: string, lines: number): string {
  const end = Buffer.from(text)
    .subarray(-256 * 1024)
    .toString("utf8");
  return end.replace(/\n$/, "").split("\n").slice(-lines).join("\n");
}

test("the last lines of short and long logs, with or without a final newline", async () => {
  const cases: Record<string, string> = {
    empty: "",
    one: "only line",
    short: "a\nb\nc\n",
    "many short lines": Array.from({ length: 5000 }, (_, i) => `line ${i}`).join("\n") + "\n",
    // 40 lines are more than the first 16 kB: read again with more
    "long lines": Array.from({ length: 100 }, (_, i) => `${i} ${"x".repeat(1000)}`).join("\n"),
    // fewer than 40 lines in the last 256 kB: the last 256 kB's lines, the first one cut as before
    "huge lines": Array.from({ length: 60 }, (_, i) => `${i} ${"y".repeat(10_000)}`).join("\n") + "\n",
    "non-ASCII": Array.from({ length: 3000 }, (_, i) => `zeile ${i} — äöü`).join("\n"),
  };
  for (const [name, text] of Object.entries(cases)) {
    const file = join(dir, name.replace(/\W/g, "-"));
    writeFileSync(file, text);
    for (const lines of [1, 40]) assert.equal(await readFileTail(file, lines), expected(text, lines), `${name}, ${lines} lines`);
  }
});

test("a file that cannot be read is an empty tail", async () => {
  assert.equal(await readFileTail(join(dir, "missing"), 40), "");
  assert.equal(await readFileTail(dir, 40), "");
});
