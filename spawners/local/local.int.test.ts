// Integration tests of the local spawner against the real /usr/bin/jupyter (jupyter_server 1.23
// + nbclassic, notebook 6). As root, servers run as throw-away accounts gyretest1/gyretest2
// (created on first use through createOsUsers). Prints cold-start timings.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { chmodSync, chownSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { execa } from "execa";
import { build } from "esbuild";
import { LocalProcessSpawner } from "./index";
import { localSpawnerConfigSchema, type LocalSpawnerConfig } from "./config";
import { SpawnError, type JsonObject, type ProgressEvent, type SpawnContext } from "../types";
import { makeTestSpawnContext } from "../testing";
import { findDescendants } from "./proc-stat";
import { isSameProcessAlive, pickFreePort, probeHttp, readProcessTable, readProcStat, sleep, waitFor } from "./processes";
import { LauncherClient } from "./launcher/client";

const isRoot = process.getuid?.() === 0;
const logDir = mkdtempSync(join(tmpdir(), "gyre-int-logs-"));
const config: LocalSpawnerConfig = { ...localSpawnerConfigSchema.parse({ createOsUsers: true, stopGraceSeconds: 3 }), logDir };
const running: LocalProcessSpawner[] = [];
const timings: Record<string, number> = {};
const tempDirs: string[] = [];

/** Bundles a TypeScript entry (and its npm packages) into one .mjs in a world-readable temp dir. */
async function bundleForOtherAccount(entry: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "gyre-int-bundle-"));
  tempDirs.push(dir);
  chmodSync(dir, 0o755);
  const outfile = join(dir, "entry.mjs");
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "warning",
    banner: { js: 'import { createRequire as __req } from "node:module"; const require = __req(import.meta.url);' },
  });
  chmodSync(outfile, 0o644);
  // the process launcher that hub forks its servers through, beside it (launcher/client.ts launcherCommand)
  const launcher = join(dir, "launcher.mjs");
  await build({
    entryPoints: [join(import.meta.dirname, "launcher", "main.ts")],
    outfile: launcher,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "warning",
  });
  chmodSync(launcher, 0o644);
  // the agent's Python package, which the spawner zips from beside its own code (AGENT_SOURCE_DIR)
  cpSync(join(import.meta.dirname, "..", "agent", "gyre_agent"), join(dir, "gyre_agent"), { recursive: true, filter: (src) => !src.includes("__pycache__") });
  execFileSync("chmod", ["-R", "a+rX", join(dir, "gyre_agent")]);
  return outfile;
}

// A stand-in "server" for the stop paths that real Jupyter does not exercise: it reads Gyre's
// --ServerApp.sock (or port) and base_url flags, starts a "kernel" in its own session (as
// jupyter_client does), and can delay its start (--fake-delay=S) or ignore SIGTERM (--fake-ignore-term=1).
const FAKE_SERVER_PY = `
import http.server, os, signal, socketserver, subprocess, sys, time
args = dict(a[2:].split("=", 1) for a in sys.argv[1:] if a.startswith("--") and "=" in a)
if args.get("fake-ignore-term") == "1":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True)
if "fake-burn" in args:
    # a "kernel" running a CPU-bound cell for S seconds, then holding 64 MiB until stopped
    subprocess.Popen([sys.executable, "-c", "import time, sys; t = float(sys.argv[1])\\nwhile time.process_time() < t: pass\\nb = bytearray(64 << 20); time.sleep(600)", args["fake-burn"]], start_new_session=True)
time.sleep(float(args.get("fake-delay", "0")))
base = args["ServerApp.base_url"]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == base + "api" else 404)
        self.end_headers()
        self.wfile.write(b"{}")
    def log_message(self, *a):
        pass
    def address_string(self):
        return "unix"
print("fake server up", flush=True)
if "ServerApp.sock" in args:
    old = os.umask(0o177)
    srv = socketserver.UnixStreamServer(args["ServerApp.sock"], H)
    os.umask(old)
else:
    srv = http.server.HTTPServer(("127.0.0.1", int(args["ServerApp.port"])), H)
srv.serve_forever()
`;
const fakeDir = mkdtempSync(join(tmpdir(), "gyre-int-fake-"));
chmodSync(fakeDir, 0o755);
const fakeServer = join(fakeDir, "fake-server.py");
writeFileSync(fakeServer, FAKE_SERVER_PY, { mode: 0o644 });
const fakeConfig: LocalSpawnerConfig = { ...config, command: ["/usr/bin/python3", fakeServer], stopGraceSeconds: 1 };

function ctxFor(userName: string, serverName = "", over: Partial<SpawnContext> = {}): SpawnContext {
  return makeTestSpawnContext({ userName, serverName, ...over, user: { name: userName, osUser: userName, admin: false, groups: [] } });
}

async function startTimed(label: string, ctx: SpawnContext, cfg: LocalSpawnerConfig = config) {
  const sp = new LocalProcessSpawner(ctx, cfg);
  running.push(sp);
  const events: ProgressEvent[] = [];
  const collecting = (async () => {
    for await (const e of sp.progress()) events.push(e);
  })();
  const t0 = performance.now();
  const { url } = await sp.start();
  // the hub's readiness check: api/status with the token
  assert.ok(await waitFor(async () => (await probeHttp(`${url}${ctx.baseUrl}api/status`, { authorization: `token ${ctx.token}` })) === 200, 10_000, 20));
  timings[label] = Math.round(performance.now() - t0);
  await collecting;
  return { sp, url, events, pid: sp.getState().pid as number };
}

/** The state int-start-and-exit.ts printed for the server it started. */
type ChildState = JsonObject & { pid: number; startTime: number; url: string; uid: number };
function readChildState(out: string): ChildState {
  return (JSON.parse(out.trim().split("\n").at(-1)!) as { state: ChildState }).state;
}

/** Connects to the unix socket argv[1]; a PermissionError on stderr when the account may not. */
const CONNECT_PY = "import socket, sys; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); print('connected')";

/**
 * One request to a server at the URL its spawner returned (http+unix://<socket> or http://host:port),
 * with node:http (fetch speaks no unix sockets and does not let us set Host).
 */
function requestServer(
  serverUrl: string,
  path: string,
  o: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; body: string; setCookies: string[] }> {
  const unix = /^http\+unix:\/\/([^/]+)$/.exec(serverUrl);
  const where = unix ? { socketPath: decodeURIComponent(unix[1]), path } : { host: new URL(serverUrl).hostname, port: Number(new URL(serverUrl).port), path };
  return new Promise((resolve, reject) => {
    const req = httpRequest({ ...where, method: o.method ?? "GET", agent: false, headers: o.headers ?? {} }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, setCookies: res.headers["set-cookie"] ?? [] }));
    });
    req.on("error", reject);
    req.end(o.body);
  });
}

function procStatus(pid: number): string {
  return readFileSync(`/proc/${pid}/status`, "utf8");
}
function procEnviron(pid: number): Record<string, string> {
  return Object.fromEntries(
    readFileSync(`/proc/${pid}/environ`, "utf8")
      .split("\0")
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
  );
}
function uidOf(name: string): number {
  return Number(execFileSync("id", ["-u", name]).toString().trim());
}

before(async () => {
  if (isRoot) {
    // created up front so that account creation does not count into the cold-start timings
    for (const u of ["gyretest1", "gyretest2"]) await execa("useradd", ["-m", "-s", "/bin/bash", u], { reject: false });
  }
});

after(async () => {
  await Promise.all(running.map((s) => s.stop().catch(() => {})));
  rmSync(logDir, { recursive: true, force: true });
  for (const d of [fakeDir, ...tempDirs]) rmSync(d, { recursive: true, force: true });
  console.log(`# cold start (start() → api/status 200), ms: ${JSON.stringify(timings)}`);
});

test("default server: token auth, runs as the OS user, clean env, token not in argv, kernels die on stop", async () => {
  const ctx = ctxFor("gyretest1");
  const { sp, url, events, pid } = await startTimed("server", ctx);
  assert.deepEqual(
    events.map((e) => e.progress),
    [5, 10, 40, 80],
  );
  // on a 0600 unix socket in the server's 0700 runtime dir: no other account on the host reaches it
  const socketPath = join(sp.getState().runtimeDir as string, "jupyter.sock");
  assert.equal(url, `http+unix://${encodeURIComponent(socketPath)}`);
  const sock = statSync(socketPath);
  assert.ok(sock.isSocket());
  assert.equal(sock.mode & 0o777, 0o600);
  assert.equal(sock.uid, isRoot ? uidOf("gyretest1") : process.getuid!());
  if (isRoot) {
    const other = await execa("runuser", ["-u", "gyretest2", "--", "/usr/bin/python3", "-c", CONNECT_PY, socketPath], { reject: false });
    assert.match(other.stderr, /PermissionError/, "another account cannot connect to the server's socket");
  }
  assert.equal(await probeHttp(`${url}/user/gyretest1/api/status`, { authorization: `token ${ctx.token}` }), 200);
  assert.equal(await probeHttp(`${url}/user/gyretest1/api/status`), 403);
  assert.equal(await probeHttp(`${url}/user/gyretest1/tree`, { authorization: `token ${ctx.token}` }), 200);

  const uid = isRoot ? uidOf("gyretest1") : process.getuid!();
  assert.match(procStatus(pid), new RegExp(`^Uid:\\s+${uid}\\s+${uid}\\s+${uid}\\s+${uid}$`, "m"));
  const env = procEnviron(pid);
  if (isRoot) assert.equal(env.HOME, "/home/gyretest1");
  assert.equal(env.DASK_DISTRIBUTED__DASHBOARD__LINK, "/user/gyretest1/proxy/{port}/status");
  assert.equal(env.JUPYTER_TOKEN, ctx.token);
  assert.equal(env.PATH, "/usr/local/bin:/usr/bin:/bin");
  // the hub's own GYRE_* settings never reach a server; only the spawn's id, which a take-over
  // uses to find the processes of a spawn whose pid was never saved (not a secret)
  assert.ok(!Object.keys(env).some((k) => (k.startsWith("GYRE_") && k !== "GYRE_SPAWN_ID") || k === "NODE_OPTIONS"));
  assert.equal(env.GYRE_SPAWN_ID, ctx.spawnId);
  assert.ok(!readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(ctx.token));
  // own session and process group: survives the hub's terminal and signals to the hub's group
  const stat = (await readProcStat(pid))!;
  assert.equal(stat.pgrp, pid);

  const k = await requestServer(url, "/user/gyretest1/api/kernels", {
    method: "POST",
    headers: { authorization: `token ${ctx.token}`, "content-type": "application/json" },
    body: "{}",
  });
  assert.equal(k.status, 201);
  let kernels: { pid: number; startTime: number }[] = [];
  assert.ok(await waitFor(async () => (kernels = findDescendants(pid, await readProcessTable())).length > 0, 10_000, 100), "kernel process appears");
  assert.equal(await sp.poll(), null);

  await sp.stop();
  assert.notEqual(await sp.poll(), null);
  assert.equal(await isSameProcessAlive(pid, stat.startTime), false);
  for (const kp of kernels) assert.equal(await isSameProcessAlive(kp.pid, kp.startTime), false, `kernel ${kp.pid} gone`);
  // the runtime dir (the server's socket, kernels' connection files) went with it, removed as the user
  assert.equal(existsSync(dirname(socketPath)), false, "the runtime dir is removed");
  await sp.stop(); // idempotent
  assert.equal(await sp.logTail(5).then((t) => t.includes(ctx.token)), false);
});

test("named server of the same OS user: own base_url and own cookie secret", async () => {
  const a = await startTimed("server-2nd", ctxFor("gyretest1", "", { spawnId: "cookie-a" }));
  const bCtx = ctxFor("gyretest1", "gpu");
  const b = await startTimed("named", bCtx);
  assert.equal(await probeHttp(`${b.url}/user/gyretest1/gpu/api`), 200);
  assert.equal(await probeHttp(`${b.url}/user/gyretest1/api`), 404);
  assert.equal(procEnviron(b.pid).DASK_DISTRIBUTED__DASHBOARD__LINK, "/user/gyretest1/proxy/{port}/status");

  // a token-authenticated request makes server A issue its login cookie
  const aToken = (a.sp as unknown as { ctx: SpawnContext }).ctx.token;
  // (node:http, not fetch: fetch does not let us set Host, and the cookie's name derives from it)
  const setCookies = (await requestServer(a.url, "/user/gyretest1/api/status", { headers: { authorization: `token ${aToken}`, host: "hub.example.test" } }))
    .setCookies;
  const cookie = (setCookies.find((c) => c.startsWith("username-")) ?? "").split(";")[0];
  assert.ok(cookie, "server A sets a login cookie");
  // control: the cookie alone works on A …
  assert.equal(await probeHttp(`${a.url}/user/gyretest1/api/status`, { cookie, host: "hub.example.test" }), 200);
  // … but not on B, which has its own cookie secret (servers of one OS account would otherwise
  // share ~/.local/share/jupyter/runtime/jupyter_cookie_secret)
  assert.equal(await probeHttp(`${b.url}/user/gyretest1/gpu/api/status`, { cookie, host: "hub.example.test" }), 403);
  await Promise.all([a.sp.stop(), b.sp.stop()]);
});

test("`jupyter notebook` (notebook 6) variant, with Gyre's dashboard relay loaded", async () => {
  const idle = await pickFreePort();
  const ctx = ctxFor("gyretest2", "", { env: { GYRE_DASHBOARD_PORTS: String(idle) } });
  const { sp, url, pid } = await startTimed("notebook", ctx, { ...config, command: ["/usr/bin/jupyter", "notebook"] });
  assert.equal(await probeHttp(`${url}/user/gyretest2/api/status`, { authorization: `token ${ctx.token}` }), 200);
  assert.equal(await probeHttp(`${url}/user/gyretest2/api/status`), 403);
  const none = await requestServer(url, `/user/gyretest2/proxy/${idle}/status`, { headers: { authorization: `token ${ctx.token}` } });
  assert.equal(none.status, 503, "the relay (not notebook's 404) answers for a port nothing listens on");
  assert.match(none.body, /Nothing listens on port/);
  if (isRoot) assert.match(procStatus(pid), new RegExp(`^Uid:\\s+${uidOf("gyretest2")}\\s`, "m"));
  await sp.stop();
  assert.notEqual(await sp.poll(), null);
});

test("dashboards: the server's relay reaches its own account's port and refuses another account's on the same host", async () => {
  const [mine, theirs] = [await pickFreePort(), await pickFreePort()];
  const site = mkdtempSync(join(tmpdir(), "gyre-int-dash-"));
  tempDirs.push(site);
  chmodSync(site, 0o755);
  writeFileSync(join(site, "status"), "dashboard of the owner\n", { mode: 0o644 });
  const listen = (account: string, port: number) => {
    const argv = ["/usr/bin/python3", "-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", site];
    // setpriv execs (runuser would fork, and killing it would leave the listener behind)
    const [uid, gid] = isRoot ? [uidOf(account), Number(execFileSync("id", ["-g", account]).toString().trim())] : [-1, -1];
    return isRoot
      ? spawn("setpriv", [`--reuid=${uid}`, `--regid=${gid}`, "--clear-groups", "--", ...argv], { stdio: "ignore" })
      : spawn(argv[0], argv.slice(1), { stdio: "ignore" });
  };
  const children = [listen("gyretest1", mine), ...(isRoot ? [listen("gyretest2", theirs)] : [])];
  try {
    for (const p of isRoot ? [mine, theirs] : [mine])
      assert.ok(await waitFor(async () => (await probeHttp(`http://127.0.0.1:${p}/status`)) === 200, 10_000, 50));
    const ctx = ctxFor("gyretest1", "dash", { env: { GYRE_DASHBOARD_PORTS: `${mine},${theirs}` } });
    const { sp, url } = await startTimed("dashboards", ctx);
    const auth = { authorization: `token ${ctx.token}` };
    const own = await requestServer(url, `/user/gyretest1/dash/proxy/${mine}/status`, { headers: auth });
    assert.equal(own.status, 200);
    assert.equal(own.body, "dashboard of the owner\n");
    assert.equal((await requestServer(url, `/user/gyretest1/dash/proxy/${mine}/status`)).status, 403, "no token, no relay");
    if (isRoot) {
      const other = await requestServer(url, `/user/gyretest1/dash/proxy/${theirs}/status`, { headers: auth });
      assert.equal(other.status, 403);
      assert.match(other.body, /belongs to another account/);
    }
    await sp.stop();
  } finally {
    for (const c of children) c.kill("SIGKILL");
  }
});

test("hub restart: a server started by a process that exited is found (continued if a stop had frozen it), polled and stopped by a new instance", async () => {
  const ctx = ctxFor("gyretest2", "restart");
  const { log: _log, ...plainCtx } = ctx;
  const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "int-start-and-exit.ts")], {
    env: { ...process.env, GYRE_INT_SPAWN: JSON.stringify({ ctx: plainCtx, config }) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  const code = await new Promise((r) => child.on("exit", r));
  assert.equal(code, 0);
  const state = readChildState(out);
  try {
    // the old hub was killed inside a stop, between freezing the server's group and continuing it
    process.kill(-state.pid, "SIGSTOP");
    // the signal is delivered when the kernel next schedules the process: wait until it is stopped
    assert.ok(await waitFor(async () => (await readProcStat(state.pid))?.state === "T", 10_000), "the server is frozen");
    const fresh = new LocalProcessSpawner(ctx, config);
    fresh.loadState(state);
    assert.equal(await fresh.poll(), null);
    assert.equal(
      await probeHttp(`${state.url}/user/gyretest2/restart/api/status`, { authorization: `token ${ctx.token}` }),
      200,
      "the adopting hub continued the frozen server",
    );
    assert.ok((await fresh.logTail()).includes("Jupyter Server"));

    // PID reuse guard: the same pid with another start time is not our server (nor is it of that
    // other spawn, whose stop kills only what carries its own spawn id)
    const impostor = new LocalProcessSpawner(ctxFor("gyretest2", "restart"), config);
    impostor.loadState({ ...state, startTime: state.startTime + 1, runtimeDir: null });
    assert.deepEqual(await impostor.poll(), { exitCode: null, reason: "The server process is no longer running." });
    await impostor.stop();
    assert.equal(await fresh.poll(), null, "impostor.stop() must not touch the real server");

    // the hub loads stored state before every start: a live server from it must not be orphaned
    await assert.rejects(fresh.start(), /still running/);
    await fresh.stop();
    assert.equal(await isSameProcessAlive(state.pid, state.startTime), false);
    assert.deepEqual(await fresh.poll(), { exitCode: null, reason: "The server process is no longer running." });
  } finally {
    // a failed check above must not leave the server behind, frozen or not
    if (await isSameProcessAlive(state.pid, state.startTime)) {
      process.kill(-state.pid, "SIGCONT");
      process.kill(-state.pid, "SIGKILL");
    }
  }
});

test("hub killed during a slow start: a new instance resumes the same process until it answers, never starts another", async () => {
  const ctx = ctxFor("gyretest2", "resume");
  const { log: _log, ...plainCtx } = ctx;
  const slow = { ...fakeConfig, args: ["--fake-delay=4"] };
  const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "int-start-and-exit.ts")], {
    env: { ...process.env, GYRE_INT_SPAWN: JSON.stringify({ ctx: plainCtx, config: slow, whenLaunched: true }) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  assert.ok(await waitFor(async () => out.includes("\n"), 30_000, 50), "the hub launched the server");
  const exited = new Promise((r) => child.on("exit", r));
  child.kill("SIGKILL");
  await exited;
  const state = readChildState(out);
  assert.notEqual(await probeHttp(`${state.url}/user/gyretest2/resume/api`, {}), 200, "killed before the server answered");

  const fresh = new LocalProcessSpawner(ctx, slow);
  running.push(fresh);
  fresh.loadState(state);
  assert.equal(await fresh.poll(), null, "still starting");
  const events: ProgressEvent[] = [];
  const collecting = (async () => {
    for await (const e of fresh.progress()) events.push(e);
  })();
  const resumed = fresh.resume();
  assert.ok(resumed, "a launched process is resumable");
  assert.deepEqual(await resumed, { url: state.url });
  await collecting;
  assert.equal(await probeHttp(`${state.url}/user/gyretest2/resume/api`, {}), 200);
  assert.equal(fresh.getState().pid, state.pid, "the same process, not a second one");
  assert.match(events.map((e) => e.message).join(" | "), new RegExp(`Following the server process \\(pid ${state.pid}\\) again \\| Server is answering`));
  assert.equal(fresh.resume(), null, "one resume per spawner");
  await fresh.stop();
  assert.equal(await isSameProcessAlive(state.pid, state.startTime), false);

  // nothing launched yet (no pid in the stored state): nothing to resume, the hub starts over
  const early = new LocalProcessSpawner(ctx, slow);
  early.loadState({ logFile: state.logFile, runtimeDir: null });
  assert.equal(early.resume(), null);
});

test("hub killed during a start, the server then dies before answering: resume fails with the reason and leaves nothing", async () => {
  const ctx = ctxFor("gyretest2", "resumedies");
  const { log: _log, ...plainCtx } = ctx;
  const slow = { ...fakeConfig, args: ["--fake-delay=30"] };
  const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "int-start-and-exit.ts")], {
    env: { ...process.env, GYRE_INT_SPAWN: JSON.stringify({ ctx: plainCtx, config: slow, whenLaunched: true }) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  assert.ok(await waitFor(async () => out.includes("\n"), 30_000, 50), "the hub launched the server");
  const exited = new Promise((r) => child.on("exit", r));
  child.kill("SIGKILL");
  await exited;
  const state = readChildState(out);
  const fresh = new LocalProcessSpawner(ctx, slow);
  running.push(fresh);
  fresh.loadState(state);
  const resumed = fresh.resume()!;
  resumed.catch(() => undefined);
  await sleep(300);
  // the fake server started its "kernel" (own session) first thing; it is orphaned by the kill
  let kids: { pid: number; startTime: number }[] = [];
  assert.ok(
    await waitFor(async () => (kids = findDescendants(state.pid, await readProcessTable())).length > 0, 10_000, 100),
    "the fake kernel runs under the server",
  );
  process.kill(state.pid, "SIGKILL");
  await assert.rejects(resumed, (e: unknown) => e instanceof SpawnError && /ended while starting/.test(e.message));
  assert.notEqual(await fresh.poll(), null);
  assert.equal(await isSameProcessAlive(kids[0].pid, kids[0].startTime), false, "the orphaned kernel was found by its spawn id and killed");
});

test("a failing command gives SpawnError with the log tail and leaves nothing behind", async () => {
  const ctx = ctxFor("gyretest2", "broken");
  const sp = new LocalProcessSpawner(ctx, { ...config, args: ["--no-such-flag"] });
  const err = await sp.start().then(
    () => assert.fail("start() should fail"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof SpawnError);
  assert.match(err.message, /exited with status 2/);
  assert.match(err.logTail ?? "", /unrecognized arguments: --no-such-flag/);
  const state = sp.getState();
  assert.equal(await isSameProcessAlive(state.pid as number, state.startTime as number), false);
  assert.throws(() => readFileSync(join(state.runtimeDir as string, "cookie_secret")), /ENOENT/);
  const polled = await sp.poll();
  assert.equal(polled?.exitCode, 2);
});

test("a missing command and a missing OS account fail with a clear reason", async () => {
  const sp = new LocalProcessSpawner(ctxFor("gyretest2", "nocmd"), { ...config, command: ["/nonexistent/jupyter", "server"] });
  await assert.rejects(sp.start(), (e: unknown) => e instanceof SpawnError && /does not exist or is not executable/.test(e.message));
  if (isRoot) {
    const sp2 = new LocalProcessSpawner(ctxFor("gyre-no-such-user"), { ...config, createOsUsers: false });
    await assert.rejects(sp2.start(), (e: unknown) => e instanceof SpawnError && /does not exist/.test(e.message));
  }
});

test("baseline: bare `jupyter server` cold start with the same flags (for comparison)", async () => {
  const port = await pickFreePort();
  const token = "bare-" + Math.random().toString(36).slice(2);
  const runtime = mkdtempSync(join(tmpdir(), "gyre-int-bare-"));
  const args = [
    "server",
    `--ServerApp.port=${port}`,
    "--ServerApp.ip=127.0.0.1",
    "--ServerApp.port_retries=0",
    "--ServerApp.base_url=/user/bare/",
    "--ServerApp.open_browser=False",
    ...(isRoot ? ["--allow-root"] : []),
  ];
  const t0 = performance.now();
  const child = spawn("/usr/bin/jupyter", args, {
    env: {
      PATH: "/usr/local/bin:/usr/bin:/bin",
      HOME: process.env.HOME ?? "/root",
      JUPYTER_TOKEN: token,
      JUPYTER_RUNTIME_DIR: runtime,
    } as unknown as NodeJS.ProcessEnv,
    stdio: "ignore",
    cwd: tmpdir(),
  });
  try {
    assert.ok(
      await waitFor(async () => (await probeHttp(`http://127.0.0.1:${port}/user/bare/api/status`, { authorization: `token ${token}` })) === 200, 20_000, 20),
    );
    timings["bare-jupyter-server"] = Math.round(performance.now() - t0);
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.on("exit", r));
    await sleep(50);
    rmSync(runtime, { recursive: true, force: true });
  }
});

test("loopback-port: port taken between the free-port check and the bind: retried on a new port", async () => {
  const holder = createServer();
  await new Promise<void>((r) => holder.listen(0, "127.0.0.1", r));
  const taken = (holder.address() as { port: number }).port;
  let calls = 0;
  const ctx = ctxFor("gyretest2", "retry");
  const sp = new LocalProcessSpawner(ctx, { ...config, listen: "loopback-port" }, { pickPort: async () => (calls++ === 0 ? taken : pickFreePort()) });
  running.push(sp);
  const events: ProgressEvent[] = [];
  const collecting = (async () => {
    for await (const e of sp.progress()) events.push(e);
  })();
  try {
    const { url } = await sp.start();
    assert.notEqual(url, `http://127.0.0.1:${taken}`);
    assert.equal(await probeHttp(`${url}/user/gyretest2/retry/api/status`, { authorization: `token ${ctx.token}` }), 200);
    await collecting;
    assert.ok(events.some((e) => /attempt 2/.test(e.message)));
    assert.match(await sp.logTail(200), new RegExp(`port ${taken} was taken`));
  } finally {
    holder.close();
    await sp.stop();
  }
});

test("a server that ignores SIGTERM is SIGKILLed after the grace period, and so are its orphaned kernels", async () => {
  const ctx = ctxFor("gyretest2", "stubborn");
  const sp = new LocalProcessSpawner(ctx, { ...fakeConfig, args: ["--fake-ignore-term=1"] });
  running.push(sp);
  await sp.start();
  const { pid, startTime } = sp.getState() as { pid: number; startTime: number };
  let kids: { pid: number; startTime: number; pgrp: number }[] = [];
  assert.ok(await waitFor(async () => (kids = findDescendants(pid, await readProcessTable())).length > 0, 5000));
  assert.equal(kids[0].pgrp, kids[0].pid, "the fake kernel has its own session, outside the server's group");
  const t0 = performance.now();
  await sp.stop();
  assert.ok(performance.now() - t0 >= 900, "waited for the grace period");
  assert.equal(await isSameProcessAlive(pid, startTime), false);
  for (const k of kids) assert.equal(await isSameProcessAlive(k.pid, k.startTime), false);
  assert.equal((await sp.poll())?.reason, "The server was killed by SIGKILL (out of memory, or stopped by an administrator).");
});

test("usage from /proc: the CPU a kernel burnt and its memory, summed over the server's process tree", async () => {
  const ctx = ctxFor("gyretest2", "burner");
  const sp = new LocalProcessSpawner(ctx, { ...fakeConfig, args: ["--fake-burn=1.5"] });
  running.push(sp);
  await sp.start();
  const first = await sp.usage();
  assert.equal(first?.source, "proc");
  let last = first;
  assert.ok(
    await waitFor(async () => ((last = (await sp.usage())!).cpuSeconds ?? 0) >= 1.5 && (last.peakMemoryBytes ?? 0) >= 64 * 2 ** 20, 60_000, 200),
    JSON.stringify(last),
  );
  assert.equal(last.final, false);
  await sp.stop();
  // the stop's own sample of the tree it froze: at least what the last sample saw, the burner's CPU and memory included
  const atStop = sp.usageAtStop();
  assert.ok(atStop && atStop.cpuSeconds! >= last.cpuSeconds! && atStop.peakMemoryBytes! >= last.peakMemoryBytes!, JSON.stringify({ atStop, last }));
  assert.equal(atStop.source, "proc");
  assert.equal(atStop.final, true, "the stop's sample is final: the hub settles the run at the stop");
  assert.equal(await sp.usage(), null, "nothing to read once the server is gone (the hub keeps its last sample)");
});

test("stop() while starting: start() rejects and nothing is left running", async () => {
  const sp = new LocalProcessSpawner(ctxFor("gyretest2", "cancel"), { ...fakeConfig, args: ["--fake-delay=30"] });
  running.push(sp);
  const started = sp.start();
  // start() may reject while stop() is still running (before the assert below listens): that
  // must not count as an unhandled rejection; assert.rejects still checks the reason.
  started.catch(() => undefined);
  for await (const e of sp.progress()) if (e.progress === 40) break;
  const { pid, startTime } = sp.getState() as { pid: number; startTime: number };
  await sp.stop();
  await assert.rejects(started, (e: unknown) => e instanceof SpawnError && /stopped before it finished starting/.test(e.message));
  assert.equal(await isSameProcessAlive(pid, startTime), false);
  assert.notEqual(await sp.poll(), null);
});

test(
  "hub not root: the server runs as the hub's own account, without --allow-root",
  { skip: !isRoot && "needs root to act as another hub account" },
  async () => {
    const uid = uidOf("gyretest1");
    const hubLogDir = mkdtempSync(join(tmpdir(), "gyre-int-nonroot-"));
    tempDirs.push(hubLogDir);
    chownSync(hubLogDir, uid, uid);
    const ctx = ctxFor("alice", "nonroot");
    const { log: _log, ...plainCtx } = ctx;
    // the "hub" is the helper process, run as gyretest1. It runs from a bundle in a temp dir that
    // account can read: the clone itself may live where other accounts cannot enter (a 0700 mktemp -d).
    const bundle = await bundleForOtherAccount(join(import.meta.dirname, "int-start-and-exit.ts"));
    const child = spawn("/usr/bin/setpriv", [`--reuid=${uid}`, `--regid=${uid}`, "--init-groups", "--", process.execPath, bundle], {
      cwd: "/",
      env: {
        PATH: "/usr/local/bin:/usr/bin:/bin",
        HOME: "/home/gyretest1",
        GYRE_INT_SPAWN: JSON.stringify({ ctx: plainCtx, config: { ...config, logDir: hubLogDir } }),
      } as unknown as NodeJS.ProcessEnv,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    assert.equal(await new Promise((r) => child.on("exit", r)), 0);
    const state = readChildState(out);
    const fresh = new LocalProcessSpawner(ctx, config);
    fresh.loadState(state);
    try {
      assert.equal(state.uid, uid);
      assert.match(procStatus(state.pid), new RegExp(`^Uid:\\s+${uid}\\s`, "m"));
      assert.ok(!readFileSync(`/proc/${state.pid}/cmdline`, "utf8").includes("--allow-root"));
      assert.equal(procEnviron(state.pid).HOME, "/home/gyretest1");
      assert.equal(await probeHttp(`${state.url}/user/alice/nonroot/api/status`, { authorization: `token ${ctx.token}` }), 200);
    } finally {
      await fresh.stop();
    }
    assert.notEqual(await fresh.poll(), null);
  },
);

test("the process launcher killed during a start storm: a new one is started, running servers are unaffected, every start ends with one server", async () => {
  const warnings: string[] = [];
  const launcher = new LauncherClient({ setprivPath: "/usr/bin/setpriv", log: { warn: (_o, msg) => warnings.push(msg) } });
  const spawnIds = new Map<LocalProcessSpawner, string>();
  const spawnerFor = (name: string, delay: number) => {
    const ctx = ctxFor("gyretest2", name);
    const sp = new LocalProcessSpawner(ctx, { ...fakeConfig, args: [`--fake-delay=${delay}`] }, { launcher });
    running.push(sp);
    spawnIds.set(sp, ctx.spawnId);
    return sp;
  };
  // three servers up before the storm
  const before = ["lc-a", "lc-b", "lc-c"].map((n) => spawnerFor(n, 0));
  await Promise.all(before.map((sp) => sp.start()));
  const runningBefore = before.map((sp) => sp.getState() as { pid: number; startTime: number });
  const firstLauncher = launcher.pid!;
  assert.equal(launcher.starts, 1);

  // six more, slow to answer; the launcher is killed once the second of them has its process
  const storm = ["lc-1", "lc-2", "lc-3", "lc-4", "lc-5", "lc-6"].map((n) => spawnerFor(n, 1));
  let launched = 0;
  const killed = new Promise<void>((resolve) => {
    for (const sp of storm) {
      void (async () => {
        for await (const e of sp.progress()) {
          if (e.progress !== 40 || ++launched !== 2) continue;
          process.kill(firstLauncher, "SIGKILL");
          resolve();
        }
      })();
    }
  });
  const results = await Promise.allSettled(storm.map((sp) => sp.start()));
  await killed;
  // the dead launcher may have answered every launch of the storm before the kill landed (then
  // none was tried again): a start after it needs a new launcher either way
  const after = spawnerFor("lc-7", 0);
  await after.start();
  assert.ok(await waitFor(async () => launcher.pid !== undefined && launcher.pid !== firstLauncher, 10_000), "a new launcher runs");
  assert.ok(launcher.starts >= 2);
  assert.ok(warnings.some((w) => /process launcher ended/.test(w)));

  // the servers from before run on, untouched
  for (const [i, p] of runningBefore.entries()) {
    assert.equal(await isSameProcessAlive(p.pid, p.startTime), true, `server ${i} still runs`);
    assert.equal(await before[i].poll(), null);
  }
  // every start of the storm runs its server: a launch the dead launcher left unanswered was tried again
  for (const [i, r] of results.entries()) {
    assert.equal(r.status, "fulfilled", r.status === "rejected" ? String(r.reason) : "");
    assert.equal(await storm[i].poll(), null, `storm server ${i} runs`);
  }
  // one process per spawn: none of the storm's spawn ids has a second server process
  const table = await readProcessTable();
  for (const sp of storm) {
    const id = spawnIds.get(sp)!;
    const marked = table.filter((p) => p.ppid !== 0 && procEnvironSafe(p.pid).GYRE_SPAWN_ID === id && !procEnvironSafe(p.ppid).GYRE_SPAWN_ID);
    assert.ok(marked.length <= 1, `spawn ${id}: ${marked.length} server processes`);
  }
  assert.equal(await after.poll(), null, "the start after the kill runs its server");
  await Promise.all([...before, ...storm, after].map((sp) => sp.stop()));
  for (const p of runningBefore) assert.equal(await isSameProcessAlive(p.pid, p.startTime), false);
  launcher.close();
});

/** The environment of a process, {} when it is gone or unreadable. */
function procEnvironSafe(pid: number): Record<string, string> {
  try {
    return procEnviron(pid);
  } catch {
    return {};
  }
}
