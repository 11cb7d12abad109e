// `npm test` and friends. Suites:
//   static       type check (tsc --noEmit), lint (ESLint), format check (Prettier)
//   unit         *.test.ts beside the code (no external processes)
//   integration  *.int.test.ts (real Jupyter servers, real PostgreSQL, real proxies)
//   hpc          *.hpc.test.ts (real Grid Engine and Slurm; set up by scripts/setup-*.sh)
//   kube         *.kube.test.ts (real kube-apiserver + etcd; scripts/kube/build-apiserver.sh, kube-up.sh)
//   e2e          Playwright in Debian's Chromium (e2e/)
//   all          everything CI runs: static, unit, then integration beside hpc + kube (two lanes,
//                see below), then e2e
// Prints each suite's time (and, for node:test suites, each file's: scripts/test-file-times.mjs) and
// one closing line "N passed, N failed, N skipped" over all suites, after a list of the tests that
// failed (name, place and the error's first lines), so the end of a CI log names them. A skipped
// test fails the run (CI must run everything it counts) unless GYRE_ALLOW_SKIPS=1 (e.g. a laptop
// without root).
// The three static checks run side by side, each one's output printed whole after they end.
// In `all`, the integration suite (then the container image's test) runs beside the hpc suite (then
// the kube suite). Alone, each kept about half of the two cores busy (sampled over a CI run:
// integration 51%, hpc 49%, kube 57%; the rest is waiting on Jupyter servers, schedulers,
// PostgreSQL, a job's walltime). They share no port (integration: 73xx-75xx, 786x, 79xx, 5432x,
// PostgreSQL on 768x-769x; hpc: 7022, 7050-7109, 780x-783x, PostgreSQL on 7695; kube: 72xx), no
// OS account (hpc: hpctest, gyre-hubtest) and no daemon (Grid Engine and Slurm are the hpc suite's
// alone). e2e uses all of it and runs alone after both. Each suite's output is printed whole,
// under its own header, when it ends.
import { spawn } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { failingTests } from "./test-failures";

const ROOT = process.cwd();
const SKIP_DIRS = new Set(["node_modules", ".next", ".git", "data", "test-results", "playwright-report", "charts"]);

function find(dir: string, pred: (f: string) => boolean, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (SKIP_DIRS.has(name) || name.startsWith(".")) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) find(p, pred, out);
    else if (pred(name)) out.push(relative(ROOT, p));
  }
  return out.sort();
}

const isInt = (f: string) => f.endsWith(".int.test.ts");
const isHpc = (f: string) => f.endsWith(".hpc.test.ts");
const isKube = (f: string) => f.endsWith(".kube.test.ts");
const isUnit = (f: string) => f.endsWith(".test.ts") && !isInt(f) && !isHpc(f) && !isKube(f);

const totals = { passed: 0, failed: 0, skipped: 0 };
/** What failed, one entry each, printed again just before the closing line. */
const failures: string[] = [];

function partition(files: string[], pred: (f: string) => boolean): [matching: string[], rest: string[]] {
  return [files.filter(pred), files.filter((f) => !pred(f))];
}

async function runNodeTests(label: string, files: string[], concurrency: number): Promise<boolean> {
  if (!files.length) {
    console.error(`${label}: no test files found`);
    totals.failed++;
    return false;
  }
  console.log(`\n=== ${label}: started, ${files.length} files ===`);
  const r = await runCapturing(process.execPath, [
    "--import",
    "tsx",
    "--test",
    `--test-concurrency=${concurrency}`,
    "--test-timeout=600000",
    "--test-reporter=spec",
    "--test-reporter-destination=stdout",
    "--test-reporter=./scripts/test-file-times.mjs",
    "--test-reporter-destination=stdout",
    ...files,
  ]);
  process.stdout.write(`\n=== ${label}: ${files.length} files ===\n${r.stdout}`);
  const failed = failingTests(r.stdout);
  failures.push(...failed.map((f) => `${label}: ${f}`));
  if (r.status !== 0 && !failed.length) failures.push(`${label}: exit ${r.status} (see its output above)`);
  const pass = Number(/ℹ pass (\d+)/.exec(r.stdout)?.[1] ?? 0);
  const fail = Number(/ℹ fail (\d+)/.exec(r.stdout)?.[1] ?? (r.status === 0 ? 0 : 1));
  totals.skipped += Number(/ℹ skipped (\d+)/.exec(r.stdout)?.[1] ?? 0) + Number(/ℹ todo (\d+)/.exec(r.stdout)?.[1] ?? 0);
  totals.passed += pass;
  totals.failed += fail || (r.status === 0 ? 0 : 1);
  return r.status === 0;
}

/** Runs a command to its end with its stdout collected; its stderr passes through. */
function runCapturing(command: string, args: string[]): Promise<{ status: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "inherit"] });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => chunks.push(c));
    child.on("error", (err) => chunks.push(Buffer.from(`${command}: ${err.message}\n`)));
    child.on("close", (status) => resolve({ status, stdout: Buffer.concat(chunks).toString("utf8") }));
  });
}

/** Runs a command to its end; its stdout and stderr are collected together, in the order they came. */
function runCollected(command: string, args: string[]): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => chunks.push(c));
    child.stderr.on("data", (c: Buffer) => chunks.push(c));
    child.on("error", (err) => chunks.push(Buffer.from(`${command}: ${err.message}\n`)));
    child.on("close", (status) => resolve({ status, output: Buffer.concat(chunks).toString("utf8") }));
  });
}

/**
 * The static checks (commands that exit 0 when clean), each counted as one passed or failed test.
 * They read the sources and write nothing another reads, so they run side by side: on two cores
 * the three take about as long as ESLint alone. Each one's output is printed whole, in this order,
 * with its time.
 */
async function runChecks(checks: [label: string, command: string, args: string[]][]): Promise<boolean> {
  const results = await Promise.all(
    checks.map(async ([label, command, args]) => {
      const started = Date.now();
      const r = await runCollected(command, args);
      return { label, command, args, r, seconds: Math.round((Date.now() - started) / 1000) };
    }),
  );
  let passed = true;
  for (const { label, command, args, r, seconds } of results) {
    process.stdout.write(`\n=== ${label}: ${command} ${args.join(" ")} (${seconds} s) ===\n${r.output}`);
    if (r.status === 0) totals.passed++;
    else {
      totals.failed++;
      failures.push(`static: ${label} (${command} ${args.join(" ")})`);
      passed = false;
    }
  }
  return passed;
}

async function runE2e(): Promise<boolean> {
  const r = await runCapturing("npx", ["playwright", "test", "--reporter=list"]);
  process.stdout.write(`\n=== e2e (Playwright, Chromium) ===\n${r.stdout}`);
  for (const line of r.stdout.split("\n")) if (/^\s*✘/.test(line)) failures.push(`e2e: ${line.replace(/^\s*✘\s*\d*\s*/, "").trim()}`);
  if (r.status !== 0 && !failures.some((f) => f.startsWith("e2e: "))) failures.push(`e2e: exit ${r.status} (see its output above)`);
  totals.passed += Number(/(\d+) passed/.exec(r.stdout)?.[1] ?? 0);
  totals.failed += Number(/(\d+) failed/.exec(r.stdout)?.[1] ?? 0) + Number(/(\d+) flaky/.exec(r.stdout)?.[1] ?? 0);
  totals.skipped += Number(/(\d+) skipped/.exec(r.stdout)?.[1] ?? 0) + Number(/(\d+) did not run/.exec(r.stdout)?.[1] ?? 0);
  if (r.status !== 0 && !/(\d+) failed/.test(r.stdout)) totals.failed++;
  return r.status === 0;
}

/**
 * scripts/test.sh runs two setup steps in the background while the earlier suites run (the image,
 * the kube-apiserver); each leaves $GYRE_SETUP_DIR/<name>.status holding its exit code when done.
 * Waits for one before the first suite that needs it; a failed step is one failed test, with its
 * log's tail (the suites still run, and show what the step's absence breaks).
 */
async function awaitSetup(name: string): Promise<boolean> {
  const dir = process.env.GYRE_SETUP_DIR;
  if (!dir) return true;
  const statusFile = join(dir, `${name}.status`);
  const started = Date.now();
  if (!existsSync(statusFile)) console.log(`\n=== waiting for the background setup step ${name} (${join(dir, `${name}.log`)}) ===`);
  while (!existsSync(statusFile)) await sleep(1000);
  const logFile = join(dir, `${name}.log`);
  const log = existsSync(logFile) ? readFileSync(logFile, "utf8").trimEnd().split("\n") : [];
  const passed = readFileSync(statusFile, "utf8").trim() === "0";
  console.log(`${log.slice(passed ? -2 : -40).join("\n")}\n(waited ${Math.round((Date.now() - started) / 1000)} s for it)`);
  if (passed) return true;
  totals.failed++;
  failures.push(`setup: ${name} (${logFile})`);
  return false;
}

/** Runs one suite and prints how long it took. */
async function timed(label: string, run: () => Promise<boolean>): Promise<boolean> {
  const started = Date.now();
  const passed = await run();
  console.log(`\n=== ${label} took ${Math.round((Date.now() - started) / 1000)} s ===`);
  return passed;
}

async function integrationSuites(): Promise<boolean> {
  // Only the image's own tests need the background image build: the rest go first, meanwhile
  const [imageTests, others] = partition(find(ROOT, isInt), (f) => f.startsWith("deploy/image/"));
  let ok = await timed("integration", () => runNodeTests("integration", others, 1));
  ok = (await awaitSetup("image")) && ok;
  return (await timed("integration (the container image)", () => runNodeTests("integration (the container image)", imageTests, 1))) && ok;
}

const hpcSuite = () => timed("hpc", () => runNodeTests("hpc (real Grid Engine + Slurm)", find(ROOT, isHpc), 1));

async function kubeSuite(): Promise<boolean> {
  const ok = await awaitSetup("kube");
  return (await timed("kube", () => runNodeTests("kube (real kube-apiserver + etcd)", find(ROOT, isKube), 1))) && ok;
}

const suite = process.argv[2] ?? "all";
let ok = true;
if (suite === "static" || suite === "all") {
  const started = Date.now();
  ok =
    (await runChecks([
      ["type check", "npx", ["tsc", "--noEmit"]],
      ["lint", "npx", ["eslint", "."]],
      ["format", "npx", ["prettier", "--check", "."]],
    ])) && ok;
  console.log(`\n=== static checks took ${Math.round((Date.now() - started) / 1000)} s ===`);
}
if (suite === "unit" || suite === "all") ok = (await timed("unit", () => runNodeTests("unit", find(ROOT, isUnit), 2))) && ok;
if (suite === "all") {
  const started = Date.now();
  // the kube suite runs whatever the hpc suite's outcome, as every suite does
  const hpcThenKube = async () => [await hpcSuite(), await kubeSuite()].every(Boolean);
  const lanes = await Promise.all([integrationSuites(), hpcThenKube()]);
  console.log(`\n=== integration beside hpc + kube took ${Math.round((Date.now() - started) / 1000)} s ===`);
  ok = lanes.every(Boolean) && ok;
}
if (suite === "integration") ok = (await integrationSuites()) && ok;
if (suite === "hpc") ok = (await hpcSuite()) && ok;
if (suite === "kube") ok = (await kubeSuite()) && ok;
if (suite === "e2e") ok = (await awaitSetup("kube")) && ok;
if (suite === "e2e" || suite === "all") ok = (await timed("e2e", () => runE2e())) && ok;
if (!["static", "unit", "integration", "hpc", "kube", "e2e", "all"].includes(suite)) {
  console.error(`unknown suite ${suite}`);
  process.exit(2);
}
if (failures.length) console.log(`\nFailed (${failures.length}):\n${failures.map((f) => `  ${f}`).join("\n")}`);
console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
const skipsAllowed = process.env.GYRE_ALLOW_SKIPS === "1";
if (totals.skipped && !skipsAllowed) console.log("Skipped tests fail the run: every test must run here (set GYRE_ALLOW_SKIPS=1 to allow them locally).");
process.exit(ok && totals.failed === 0 && (skipsAllowed || totals.skipped === 0) ? 0 : 1);
