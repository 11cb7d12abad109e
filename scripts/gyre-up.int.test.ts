// `npm start` / `npm run stop` as a newcomer meets them (scripts/gyre-up.ts against a real hub and
// proxy): the final banner repeats the setup link; a second start while one runs refuses, names the
// busy port and exits non-zero without printing success; `npm run stop` stops this instance only;
// a start that fails half-way stops what it started.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "..");
const BASE = 7860; // proxy; hub = +1, proxy API = +2
const dataDir = mkdtempSync(join(tmpdir(), "gyre-up-test-"));
const env = {
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  HOME: process.env.HOME ?? "/root",
  LANG: "C.UTF-8",
  GYRE_HUB__DATA_DIR: dataDir,
  GYRE_HUB__PORT: String(BASE + 1),
  GYRE_PROXY__PORT: String(BASE),
  GYRE_PROXY__API_PORT: String(BASE + 2),
  GYRE_PROXY__HUB_URL: `http://127.0.0.1:${BASE + 1}`,
  GYRE_HUB__LOG_LEVEL: "warn",
};
const started: ChildProcess[] = [];
after(() => {
  for (const c of started) if (c.exitCode === null) c.kill("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

interface Run {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
}

function gyreUp(args: string[], extraEnv: Record<string, string> = {}): Run {
  const childEnv = { ...env, ...extraEnv } as unknown as NodeJS.ProcessEnv; // Next types NODE_ENV as required
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/gyre-up.ts", ...args], { cwd: ROOT, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
  started.push(child);
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (err += d));
  // "close", not "exit": the output is complete only once the pipes have closed.
  const exited = new Promise<number | null>((r) => child.once("close", (code) => r(code)));
  return { child, out: () => out, err: () => err, exited };
}

async function waitForText(run: Run, text: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!run.out().includes(text)) {
    if (run.child.exitCode !== null) throw new Error(`exited ${run.child.exitCode} before "${text}":\n${run.out()}\n${run.err()}`);
    if (Date.now() > end) throw new Error(`no "${text}" within ${ms} ms:\n${run.out()}\n${run.err()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((r) => {
    const s = createServer();
    s.once("error", () => r(false));
    s.listen(port, "127.0.0.1", () => s.close(() => r(true)));
  });
}

test("start → banner with the setup link; a second start refuses and exits non-zero; npm run stop stops this instance", async () => {
  const first = gyreUp([]);
  await waitForText(first, "Gyre is running", 120_000);
  const banner = first.out().slice(first.out().indexOf("Gyre is running"));
  const link = readFileSync(join(dataDir, "setup-link"), "utf8").trim();
  // the default public URL: the hub on localhost, users' servers on <name>.localhost (per-user origins)
  assert.match(link, /^http:\/\/localhost:7860\/hub\/setup\?token=[A-Za-z0-9_-]+$/);
  assert.match(banner, /Gyre is running: http:\/\/localhost:7860\/hub\//);
  assert.ok(banner.includes(link), `banner repeats the setup link:\n${banner}`);
  assert.match(banner, new RegExp(`npm run stop\` \\(this instance only: pid ${first.child.pid}\\)`));
  assert.equal(readFileSync(join(dataDir, "gyre.pid"), "utf8").trim(), String(first.child.pid));

  const second = gyreUp([]);
  assert.equal(await second.exited, 1);
  assert.match(second.err(), /port 7861 on 127\.0\.0\.1 \(hub\.port\) is in use/);
  assert.match(second.err(), new RegExp(`already running from this configuration \\(pid ${first.child.pid}\\)\\. Stop it with \`npm run stop\``));
  assert.doesNotMatch(second.out(), /Gyre is running/);
  assert.doesNotMatch(second.err(), /EADDRINUSE| {4}at /, "no stack trace");
  assert.equal(first.child.exitCode, null, "the first instance keeps running");

  const stop = gyreUp(["stop"]);
  assert.equal(await stop.exited, 0, stop.err());
  assert.match(stop.out(), new RegExp(`stopped \\(pid ${first.child.pid}\\)`));
  assert.equal(await first.exited, 0);
  for (const p of [BASE, BASE + 1, BASE + 2]) assert.ok(await portFree(p), `port ${p} is free again`);
  assert.equal(existsSync(join(dataDir, "gyre.pid")), false);

  const none = gyreUp(["stop"]);
  assert.equal(await none.exited, 1);
  assert.match(none.out(), /no running Gyre found/);
});

test("a start that fails half-way (another program takes the proxy's port meanwhile) stops the hub it started and exits non-zero", async () => {
  const run = gyreUp([]);
  // The port check has passed once the hub is being started; then someone else binds the proxy port.
  await waitForText(run, "Starting the hub", 30_000);
  const squatter = createServer((socket) => socket.destroy());
  await new Promise<void>((r, j) => squatter.once("error", j).listen(BASE, "127.0.0.1", () => r()));
  try {
    const code = await run.exited;
    assert.notEqual(code, 0);
    assert.match(run.err(), /proxy failed to start: cannot listen on 127\.0\.0\.1:7860 \(EADDRINUSE; proxy\.port/);
    assert.match(run.err(), /the proxy exited \(1\); stopping/);
    assert.doesNotMatch(run.err(), / {4}at /, "no stack trace");
    assert.doesNotMatch(run.out(), /Gyre is running/);
    for (const p of [BASE + 1, BASE + 2]) assert.ok(await portFree(p), `port ${p} is free: nothing was left running`);
  } finally {
    await new Promise((r) => squatter.close(r));
  }
});

test("an impossible dashboard port range stops the start before anything runs, naming the option", async () => {
  const run = gyreUp([], { GYRE_PROXY__DASHBOARD_PORTS: '["9000-8000"]' });
  assert.equal(await run.exited, 2);
  assert.match(run.err(), /proxy\.dashboardPorts\[0\]: a range must go from a lower to a higher port/);
  assert.doesNotMatch(run.out(), /Starting the hub/);
});
