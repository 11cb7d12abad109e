// A node:test reporter (run-tests.ts adds it next to spec): after a suite, one line per test file
// with its wall time (its own process, from start to exit: imports, hooks and tests), slowest first,
// so each CI log shows where the time goes. Plain JavaScript: Node 20 loads reporters before the
// --import hooks, so tsx cannot load a TypeScript reporter.
import { relative } from "node:path";
import process from "node:process";

/** @param {AsyncIterable<{ type: string; data: any }>} source */
export default async function* fileTimes(source) {
  /** @type {{ file: string; seconds: number; failed: boolean }[]} */
  const files = [];
  for await (const event of source) {
    if (event.type !== "test:complete") continue;
    const { name, file, nesting, details } = event.data;
    // A file's own entry: the runner's test for the file's process is named after the file.
    if (nesting !== 0 || !file || name !== file) continue;
    files.push({ file: relative(process.cwd(), file), seconds: details.duration_ms / 1000, failed: !details.passed });
  }
  if (!files.length) return;
  const total = files.reduce((sum, f) => sum + f.seconds, 0);
  yield `\nTime per test file (its process, slowest first; ${files.length} files, ${total.toFixed(1)} s in all):\n`;
  for (const f of files.sort((a, b) => b.seconds - a.seconds)) {
    yield `  ${f.seconds.toFixed(1).padStart(7)} s  ${f.file}${f.failed ? "  (failed)" : ""}\n`;
  }
}
