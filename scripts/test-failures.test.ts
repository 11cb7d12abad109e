import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { failingTests } from "./test-failures";

/** node:test's real spec output for a file with two failing tests (one in a suite) and one passing. */
function specOutputOfFailingFile(): string {
  const dir = mkdtempSync(join(tmpdir(), "gyre-test-failures-"));
  try {
    const file = join(dir, "sample.test.mjs");
    writeFileSync(
      file,
      [
        'import test from "node:test";',
        'import assert from "node:assert/strict";',
        'test("passes", () => {});',
        'test("compares", () => { assert.equal(1, 2); });',
        'test.describe("a suite", () => { test("throws", () => { throw new Error("first line\\nsecond line"); }); });',
      ].join("\n"),
    );
    // Without the runner's NODE_TEST_CONTEXT, which would make the child report to this test's runner
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    const r = spawnSync(process.execPath, ["--test", "--test-reporter=spec", "--test-reporter-destination=stdout", file], { cwd: dir, env, encoding: "utf8" });
    assert.notEqual(r.status, 0);
    return r.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

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

/** node:test's real output (spec, then test-file-times.mjs) for files whose processes fail outside their tests. */
function outputOfFilesFailingOutsideTests(): string {
  const dir = mkdtempSync(join(tmpdir(), "gyre-test-failures-"));
  try {
    writeFileSync(
      join(dir, "killed.test.mjs"),
      [
        'import test from "node:test";',
        'test("passes", () => {});',
        'test("is killed", async () => { await new Promise((r) => setTimeout(r, 50)); process.kill(process.pid, "SIGKILL"); });',
      ].join("\n"),
    );
    writeFileSync(
      join(dir, "late.test.mjs"),
      [
        'import { after, test } from "node:test";',
        'test("passes", () => {});',
        'after(() => { setTimeout(() => { throw new Error("a socket error after the tests"); }, 10); });',
      ].join("\n"),
    );
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    const reporter = join(import.meta.dirname, "test-file-times.mjs");
    const r = spawnSync(
      process.execPath,
      [
        "--test",
        "--test-reporter=spec",
        "--test-reporter-destination=stdout",
        `--test-reporter=${reporter}`,
        "--test-reporter-destination=stdout",
        "killed.test.mjs",
        "late.test.mjs",
      ],
      { cwd: dir, env, encoding: "utf8" },
    );
    assert.notEqual(r.status, 0);
    return r.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

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
