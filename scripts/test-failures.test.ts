import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { failingTests } from "./test-failures";

/**
 * node:test's real output for test files (name → lines) written to a temp dir and run there, with
 * the spec reporter and any `reporters` more, each to stdout. The run must fail.
 */
function outputOfFailingRun(files: Record<string, string[]>, reporters: string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), "gyre-test-failures-"));
  try {
    for (const [name, lines] of Object.entries(files)) writeFileSync(join(dir, name), lines.join("\n"));
    const flags = ["spec", ...reporters].flatMap((r) => [`--test-reporter=${r}`, "--test-reporter-destination=stdout"]);
    // Without the runner's NODE_TEST_CONTEXT, which would make the child report to this test's runner
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    const r = spawnSync(process.execPath, ["--test", ...flags, ...Object.keys(files)], { cwd: dir, env, encoding: "utf8" });
    assert.notEqual(r.status, 0);
    return r.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A file with two failing tests (one in a suite) and one passing. */
const specOutputOfFailingFile = () =>
  outputOfFailingRun({
    "sample.test.mjs": [
      'import test from "node:test";',
      'import assert from "node:assert/strict";',
      'test("passes", () => {});',
      'test("compares", () => { assert.equal(1, 2); });',
      'test.describe("a suite", () => { test("throws", () => { throw new Error("first line\\nsecond line"); }); });',
    ],
  });

test("the closing list names each failed test with its place and its error's message, not its stack", () => {
  const failed = failingTests(specOutputOfFailingFile());
  assert.equal(failed.length, 2);
  assert.match(
    failed[0],
    /^sample\.test\.mjs:4:1 › compares \([\d.]+ms\)\n {4}AssertionError \[ERR_ASSERTION\]: Expected values to be strictly equal:\n {4}1 !== 2$/,
  );
  assert.match(failed[1], /^sample\.test\.mjs:5:\d+ › throws \([\d.]+ms\)\n {4}Error: first line\n {4}second line$/);
  for (const entry of failed) assert.doesNotMatch(entry, /^\s+at /m);
});

test("output with no failing tests gives an empty list", () => {
  assert.deepEqual(failingTests("✔ passes (1ms)\nℹ tests 1\nℹ pass 1\nℹ fail 0\n"), []);
});

/** Files whose processes fail outside their tests, with test-file-times.mjs after spec. */
const outputOfFilesFailingOutsideTests = () =>
  outputOfFailingRun(
    {
      "killed.test.mjs": [
        'import test from "node:test";',
        'test("passes", () => {});',
        'test("is killed", async () => { await new Promise((r) => setTimeout(r, 50)); process.kill(process.pid, "SIGKILL"); });',
      ],
      "late.test.mjs": [
        'import { after, test } from "node:test";',
        'test("passes", () => {});',
        'after(() => { setTimeout(() => { throw new Error("a socket error after the tests"); }, 10); });',
      ],
    },
    [join(import.meta.dirname, "test-file-times.mjs")],
  );

test("a file whose process failed outside its tests: its entry says how the process ended, the test it was running, the error raised after its tests", () => {
  const failed = failingTests(outputOfFilesFailingOutsideTests());
  assert.equal(failed.length, 2, failed.join("\n"));
  const [killed, late] = failed;
  assert.match(
    killed,
    /^killed\.test\.mjs:1:1 › \/\S+\/killed\.test\.mjs \([\d.]+ms\)\n {4}'test failed'\n {4}its process was killed by SIGKILL while running: is killed$/,
  );
  assert.match(
    late,
    /^late\.test\.mjs:1:1 › \/\S+\/late\.test\.mjs \([\d.]+ms\)\n {4}'test failed'\n {4}its process exited with code 1 after its tests\n {4}Error: Test hook "after" at late\.test\.mjs:3:1 generated asynchronous activity after the test ended\. This activity created the error "Error: a socket error after the tests"/,
  );
});
