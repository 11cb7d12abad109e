// A node:test reporter (run-tests.ts adds it next to spec): after a suite, one line per test file
// with its wall time (its own process, from start to exit: imports, hooks and tests), slowest first,
// so each CI log shows where the time goes. Then, for a file whose process failed outside its tests
// (spec says only 'test failed'), how it ended: its exit code or the signal that killed it, the
// tests it was running then, and the errors its hooks' asynchronous activity raised after a test
// ended (test-failures.ts adds these to the closing list). Plain JavaScript: Node 20 loads
// reporters before the --import hooks, so tsx cannot load a TypeScript reporter.
import { relative } from "node:path";
import process from "node:process";

/** The heading of the section on files that failed outside their tests (test-failures.ts reads it). */
export const OUTSIDE_HEADING = "Test files that failed outside their tests:";

/** @param {AsyncIterable<{ type: string; data: any }>} source */
export default async function* fileTimes(source) {
  /** @type {{ file: string; seconds: number; failed: boolean }[]} */
  const files = [];
  /** @type {{ file: string; lines: string[] }[]} */
  const outside = [];
  /** per file: the tests dequeued (begun) and not yet complete, by nesting and name
   * @type {Map<string, Map<string, string>>} */
  const running = new Map();
  /** errors raised by a test's or hook's asynchronous activity after it ended (no file in the event)
   * @type {string[]} */
  const late = [];
  for await (const event of source) {
    const { name, file, nesting, details } = event.data ?? {};
    if (event.type === "test:diagnostic" && /generated asynchronous activity after the test ended/.test(event.data.message)) {
      late.push(event.data.message);
      continue;
    }
    if (!file || name === file) {
      if (event.type !== "test:complete" || nesting !== 0 || !file) continue;
      // A file's own entry: the runner's test for the file's process is named after the file.
      const rel = relative(process.cwd(), file);
      files.push({ file: rel, seconds: details.duration_ms / 1000, failed: !details.passed });
      const error = details.error;
      if (!details.passed && error?.failureType === "testCodeFailure") {
        const end = error.signal ? `its process was killed by ${error.signal}` : `its process exited with code ${error.exitCode}`;
        const unfinished = [...(running.get(file)?.values() ?? [])];
        const lines = [unfinished.length ? `${end} while running: ${unfinished.join("; ")}` : `${end} after its tests`];
        // node names the hook's place by the file's path relative to its working directory, as here
        for (const message of late) if (message.includes(` at ${rel}:`)) lines.push(message);
        outside.push({ file: rel, lines });
      }
      running.delete(file);
      continue;
    }
    const key = `${nesting}\0${name}`;
    if (event.type === "test:dequeue") running.set(file, (running.get(file) ?? new Map()).set(key, name));
    else if (event.type === "test:complete") running.get(file)?.delete(key);
  }
  if (files.length) {
    const total = files.reduce((sum, f) => sum + f.seconds, 0);
    yield `\nTime per test file (its process, slowest first; ${files.length} files, ${total.toFixed(1)} s in all):\n`;
    for (const f of files.sort((a, b) => b.seconds - a.seconds)) {
      yield `  ${f.seconds.toFixed(1).padStart(7)} s  ${f.file}${f.failed ? "  (failed)" : ""}\n`;
    }
  }
  if (outside.length) {
    yield `\n${OUTSIDE_HEADING}\n`;
    for (const { file, lines } of outside) yield `  ${file}\n${lines.map((l) => `    ${l}\n`).join("")}`;
  }
}
