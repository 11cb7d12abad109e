// Side-by-side benchmark: Gyre's proxy vs configurable-http-proxy 5.3.0 vs direct, in one run,
// on loopback ports 7340-7347. Gyre runs with authentication on (every request carries a valid
// session cookie and gets a server token injected). Run: npm run bench:proxy
// Env: BENCH_SECONDS (per HTTP phase, default 4), BENCH_ROUNDS (default 2), BENCH_ROUTES (default 10000),
// BENCH_GYRE_NODE_ARGS (node flags for Gyre's proxy instead of proxy/node-flags.ts; "" for none;
// its PROXY_ENV applies either way).
// The figure to trust on a shared machine is proxy CPU µs per request (utime+stime from
// /proc/<pid>/stat ÷ requests); req/s and latency move ±40% with other load
// (bench/README.md).
// The WS rows also measure bench/tcp-relay.c, a minimal C relay (compiled here with cc; skipped
// if that fails): the floor for any proxy hop, so the WS ratios can be judged against what a
// proxy can reach at all on this machine. WebSocket echo runs twice: one connection with one
// message in flight (latency-bound: wake-ups per hop), and 16 connections at once, where each
// process's CPU per round trip shows what a proxy's own work costs.
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import http from "node:http";
import WebSocket from "ws";
import { FakeHub } from "@/proxy/testing/fake-hub";
import { waitForHttp } from "@/proxy/testing/processes";
import { PROXY_NODE_FLAGS, PROXY_ENV } from "@/proxy/node-flags";

const REPO = resolve(import.meta.dirname, "..");
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const N_ROUTES = Number(process.env.BENCH_ROUTES ?? 10_000);
const TOKEN = "bench-proxy-token-0123456789";
const SECRET = "bench-secret-".padEnd(40, "z");
const PORTS = { chp: 7340, chpApi: 7341, gyre: 7342, gyreApi: 7343, hub: 7344, backend: 7345, relay: 7347 };
const BACKEND = `http://127.0.0.1:${PORTS.backend}`;
/** Connections in the concurrent WebSocket echo phase. */
const WS_CONNS = 16;
const TICK_US = 1e6 / Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim() || 100);

type Name = "gyre" | "chp" | "direct";
/** The WS phase also measures the minimal C relay, when it compiled. */
type WsName = Name | "relay";
const children: ChildProcess[] = [];

function start(cmd: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  const p = spawn(cmd, args, { cwd: REPO, env: { ...process.env, ...env }, stdio: ["ignore", process.env.BENCH_GYRE_LOG ? "inherit" : "ignore", "inherit"] });
  children.push(p);
  return p;
}

function cpuUs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8");
  const parts = f.slice(f.lastIndexOf(")") + 2).split(" ");
  return (Number(parts[11]) + Number(parts[12])) * TICK_US;
}
function rssKb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
}

function toMs(v: string, unit: string): number {
  const n = Number(v);
  return unit === "us" ? n / 1000 : unit === "s" ? n * 1000 : unit === "m" ? n * 60_000 : n;
}

interface HttpResult {
  rps: number;
  p50: number;
  p99: number;
  cpuPerReq: number | null;
}

function runWrk(url: string, pid: number | null, cookie: string): HttpResult {
  const c0 = pid ? cpuUs(pid) : 0;
  const out = execFileSync("wrk", ["-t2", "-c64", `-d${SECONDS}s`, "--latency", "-H", `Cookie: ${cookie}`, url], { encoding: "utf8" });
  const c1 = pid ? cpuUs(pid) : 0;
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const lat = (p: string) => {
    const m = new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s|m)`).exec(out);
    return m ? toMs(m[1], m[2]) : NaN;
  };
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  if (non2xx > 0) throw new Error(`wrk saw ${non2xx} non-2xx responses from ${url}`);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0),
    p50: lat("50"),
    p99: lat("99"),
    cpuPerReq: pid ? (c1 - c0) / Math.max(requests, 1) : null,
  };
}

async function wsEcho(url: string, cookie: string): Promise<{ rtps: number; handshakeP50: number }> {
  const hs: number[] = [];
  for (let i = 0; i < 100; i++) {
    const t0 = performance.now();
    const ws = new WebSocket(url, { headers: { cookie } });
    await new Promise<void>((res, rej) => {
      ws.once("open", () => res());
      ws.once("error", rej);
      ws.once("unexpected-response", (_q, r) => {
        let body = "";
        r.on("data", (d: Buffer) => (body += d.toString()));
        r.on("end", () => rej(new Error(`WS refused ${r.statusCode} by ${url} (handshake ${i}): ${body.slice(0, 200)}`)));
      });
    });
    hs.push(performance.now() - t0);
    ws.close();
  }
  hs.sort((a, b) => a - b);
  const ws = new WebSocket(url, { headers: { cookie } });
  await new Promise((r) => ws.once("open", r));
  let n = 0;
  const end = performance.now() + SECONDS * 1000 * 0.75;
  await new Promise<void>((done) => {
    ws.on("message", () => {
      n++;
      if (performance.now() < end) ws.send("ping");
      else done();
    });
    ws.send("ping");
  });
  const rtps = n / (SECONDS * 0.75);
  ws.close();
  return { rtps, handshakeP50: hs[50] };
}

/** WS_CONNS connections, each with one message in flight: total round trips/s and the process's CPU per round trip. */
async function wsLoad(url: string, cookie: string, pid: number | null): Promise<{ rtps: number; cpuPerRt: number }> {
  const socks = await Promise.all(
    Array.from(
      { length: WS_CONNS },
      () =>
        new Promise<WebSocket>((res, rej) => {
          const ws = new WebSocket(url, { headers: { cookie } });
          ws.once("open", () => res(ws));
          ws.once("error", rej);
        }),
    ),
  );
  let n = 0;
  const c0 = pid ? cpuUs(pid) : 0;
  const end = performance.now() + SECONDS * 1000 * 0.75;
  await Promise.all(
    socks.map(
      (ws) =>
        new Promise<void>((done) => {
          ws.on("message", () => {
            n++;
            if (performance.now() < end) ws.send("ping");
            else done();
          });
          ws.send("ping");
        }),
    ),
  );
  const c1 = pid ? cpuUs(pid) : 0;
  for (const ws of socks) ws.close();
  return { rtps: n / (SECONDS * 0.75), cpuPerRt: pid ? (c1 - c0) / Math.max(n, 1) : NaN };
}

async function registerChp(n: number, from: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const t0 = performance.now();
  for (let i = from; i < from + n; i++) {
    await new Promise<void>((res, rej) => {
      const req = http.request(
        { host: "127.0.0.1", port: PORTS.chpApi, method: "POST", path: `/api/routes/user/u${i}`, agent, headers: { authorization: "token " + TOKEN } },
        (r) => {
          r.resume();
          r.on("end", () => (r.statusCode === 201 ? res() : rej(new Error("CHP POST " + r.statusCode))));
        },
      );
      req.end(JSON.stringify(routeData(i)));
    });
  }
  agent.destroy();
  return performance.now() - t0;
}

/** Back to the one route u0 in both proxies (and the fake hub): CHP one DELETE at a time, Gyre one PUT. */
async function unregisterAllBut0(): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  for (let i = 1; i < N_ROUTES; i++) {
    await new Promise<void>((res, rej) => {
      const req = http.request(
        { host: "127.0.0.1", port: PORTS.chpApi, method: "DELETE", path: `/api/routes/user/u${i}`, agent, headers: { authorization: "token " + TOKEN } },
        (r) => {
          r.resume();
          r.on("end", () => (r.statusCode === 204 ? res() : rej(new Error("CHP DELETE " + r.statusCode))));
        },
      );
      req.end();
    });
  }
  agent.destroy();
  for (const k of Object.keys(hubRoutes)) if (k !== "/user/u0/") delete hubRoutes[k];
  const r = await fetch(`http://127.0.0.1:${PORTS.gyreApi}/api/routes`, {
    method: "PUT",
    // bulk changes are the hub's (proxy/api/route-api.ts): the bench speaks as the hub
    headers: { authorization: "token " + TOKEN, "x-gyre-route-owner": "hub" },
    body: JSON.stringify({ "/user/u0/": routeData(0) }),
  });
  if (r.status !== 200) throw new Error("Gyre PUT " + r.status);
  await r.body?.cancel();
}

/** The fake hub's route table (set in main()). */
let hubRoutes: Record<string, Record<string, unknown>> = {};

async function registerGyre(n: number, from: number): Promise<number> {
  const add: Record<string, unknown> = {};
  for (let i = from; i < from + n; i++) add[`/user/u${i}/`] = routeData(i);
  // The hub is the source of truth: Gyre's periodic full sync drops routes the hub does not
  // list, so the fake hub must list them too (as the real hub would), outside the timed part.
  Object.assign(hubRoutes, add);
  const t0 = performance.now();
  const r = await fetch(`http://127.0.0.1:${PORTS.gyreApi}/api/routes`, {
    method: "PATCH",
    // bulk changes are the hub's (proxy/api/route-api.ts): the bench speaks as the hub
    headers: { authorization: "token " + TOKEN, "x-gyre-route-owner": "hub" },
    body: JSON.stringify({ add }),
  });
  if (r.status !== 200) throw new Error("Gyre PATCH " + r.status);
  await r.body?.cancel();
  return performance.now() - t0;
}

function routeData(i: number) {
  return { target: BACKEND, user: `u${i}`, server_name: "", spawn_id: `spawn-${i}` };
}

/** Compiles bench/tcp-relay.c into a temporary folder; null (after saying why) if that fails. */
function buildRelay(): string | null {
  const dir = mkdtempSync(join(tmpdir(), "gyre-tcp-relay-"));
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  const bin = join(dir, "tcp-relay");
  try {
    execFileSync("cc", ["-O2", "-pthread", "-o", bin, resolve(REPO, "bench/tcp-relay.c")], { stdio: ["ignore", "pipe", "pipe"] });
    return bin;
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    const why = err.code === "ENOENT" ? "cc not found" : err.stderr?.toString().trim().split("\n")[0] || err.message;
    process.stdout.write(`minimal C relay reference skipped: cannot compile bench/tcp-relay.c (${why})\n`);
    return null;
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main(): Promise<void> {
  const relayBin = buildRelay();
  const hub = await new FakeHub(TOKEN, SECRET).start(PORTS.hub);
  hubRoutes = hub.state.routes;
  const backend = start(process.execPath, ["--import", "tsx", "bench/backend.ts", String(PORTS.backend)]);
  const chp = start(
    process.execPath,
    [
      "node_modules/configurable-http-proxy/bin/configurable-http-proxy",
      "--ip",
      "127.0.0.1",
      "--port",
      String(PORTS.chp),
      "--api-ip",
      "127.0.0.1",
      "--api-port",
      String(PORTS.chpApi),
      "--log-level",
      "warn",
    ],
    { CONFIGPROXY_AUTH_TOKEN: TOKEN },
  );
  // Gyre runs as it does in production: the esbuild bundle under plain node (no tsx loader).
  execFileSync(process.execPath, ["--import", "tsx", "scripts/build-proxy.ts"], { cwd: REPO, stdio: "ignore" });
  const gyre = start(
    process.execPath,
    [
      ...(process.env.BENCH_GYRE_NODE_ARGS !== undefined ? process.env.BENCH_GYRE_NODE_ARGS.split(" ").filter(Boolean) : PROXY_NODE_FLAGS),
      "dist/proxy/main.mjs",
      "--port",
      String(PORTS.gyre),
      "--api-port",
      String(PORTS.gyreApi),
      "--hub-url",
      hub.url,
      "--log-level",
      process.env.BENCH_GYRE_LOG ?? "warn",
    ],
    {
      ...PROXY_ENV,
      GYRE_HUB__SECRET_KEY: SECRET,
      GYRE_PROXY__AUTH_TOKEN: TOKEN,
      GYRE_CONFIG: resolve(REPO, "bench/empty.config.yaml"),
      GYRE_HUB__DATA_DIR: "/tmp/gyre-bench-data",
    },
  );
  const relay = relayBin ? start(relayBin, [String(PORTS.relay), String(PORTS.backend)]) : null;
  try {
    await Promise.all([
      waitForHttp(BACKEND + "/"),
      waitForHttp(`http://127.0.0.1:${PORTS.chp}/_chp_healthz`),
      waitForHttp(`http://127.0.0.1:${PORTS.gyre}/_chp_healthz`),
    ]);
    if (relayBin) await waitForHttp(`http://127.0.0.1:${PORTS.relay}/`);
    const rssFresh = { gyre: rssKb(gyre.pid!), chp: rssKb(chp.pid!) };
    await registerChp(1, 0);
    await registerGyre(1, 0);
    const rows: Record<string, Record<Name, HttpResult[]>> = {};
    const urlFor = (n: WsName, u: number) => (n === "direct" ? BACKEND : `http://127.0.0.1:${PORTS[n]}`) + `/user/u${u}/x`;
    const pidFor = (n: Name) => (n === "gyre" ? gyre.pid! : n === "chp" ? chp.pid! : backend.pid!);
    // Rounds alternate table sizes — 1 route, N routes, back to 1, N again… — so flatness is a
    // paired ratio per round, not a comparison of two stretches of a drifting machine.
    const labelSmall = "1 route";
    const labelLarge = `${N_ROUTES} routes`;
    rows[labelSmall] = { gyre: [], chp: [], direct: [] };
    rows[labelLarge] = { gyre: [], chp: [], direct: [] };
    const measure = (label: string, user: number, round: number) => {
      const cookie = "gyre-session=" + hub.cookieFor(`u${user}`).slice("gyre-session=".length);
      runWrk(urlFor("gyre", user), null, cookie); // warm-up (JIT, pools, GC after registration)
      runWrk(urlFor("chp", user), null, "x=1");
      const order: Name[] = round % 2 ? ["gyre", "chp", "direct"] : ["chp", "gyre", "direct"];
      for (const n of order) rows[label][n].push(runWrk(urlFor(n, user), pidFor(n), cookie));
    };
    let regChp = NaN;
    let regGyre = NaN;
    for (let round = 0; round < ROUNDS; round++) {
      measure(labelSmall, 0, round);
      const tChp = await registerChp(N_ROUTES - 1, 1);
      const tGyre = await registerGyre(N_ROUTES - 1, 1);
      if (round === 0) [regChp, regGyre] = [tChp, tGyre];
      measure(labelLarge, Math.floor(N_ROUTES / 2), round);
      if (round < ROUNDS - 1) await unregisterAllBut0();
    }
    const mid = Math.floor(N_ROUTES / 2);
    const ws: Record<WsName, { rtps: number; handshakeP50: number }[]> = { gyre: [], chp: [], direct: [], relay: [] };
    const wsMany: Record<WsName, { rtps: number; cpuPerRt: number }[]> = { gyre: [], chp: [], direct: [], relay: [] };
    const wsPid = (n: WsName) => (n === "relay" ? relay!.pid! : pidFor(n));
    for (let round = 0; round < ROUNDS; round++) {
      const order: WsName[] = round % 2 ? ["gyre", "chp", "direct", "relay"] : ["chp", "gyre", "direct", "relay"];
      for (const n of order.filter((n) => n !== "relay" || relayBin)) {
        ws[n].push(await wsEcho(urlFor(n, mid).replace("http", "ws"), hub.cookieFor(`u${mid}`)));
        wsMany[n].push(await wsLoad(urlFor(n, mid).replace("http", "ws"), hub.cookieFor(`u${mid}`), wsPid(n)));
      }
    }
    const rss = { gyre: rssKb(gyre.pid!), chp: rssKb(chp.pid!) };

    const f = (x: number, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : "-");
    const med = (xs: HttpResult[], k: keyof HttpResult) => median(xs.map((x) => x[k] as number));
    const lines: string[] = [];
    lines.push(
      `load average at end: ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}; ${ROUNDS} rounds × ${SECONDS}s, wrk -t2 -c64, medians`,
    );
    lines.push(
      [
        "metric".padEnd(34),
        "Gyre".padStart(9),
        "CHP".padStart(9),
        "direct".padStart(9),
        "relay".padStart(9),
        "Gyre/CHP".padStart(9),
        "Gyre/dir".padStart(9),
        "CHP/dir".padStart(9),
        "Gyre/relay".padStart(11),
        "CHP/relay".padStart(11),
      ].join(""),
    );
    // relay: the minimal C relay, measured in the WS rows only (NaN prints "-").
    const row = (name: string, g: number, c: number, d: number, dec = 0, rl = NaN) =>
      lines.push(
        [
          name.padEnd(34),
          f(g, dec).padStart(9),
          f(c, dec).padStart(9),
          f(d, dec).padStart(9),
          f(rl, dec).padStart(9),
          f(g / c, 2).padStart(9),
          f(g / d, 2).padStart(9),
          f(c / d, 2).padStart(9),
          f(g / rl, 2).padStart(11),
          f(c / rl, 2).padStart(11),
        ].join(""),
      );
    for (const [label, r] of Object.entries(rows)) {
      row(`[${label}] proxy CPU µs/req`, med(r.gyre, "cpuPerReq"), med(r.chp, "cpuPerReq"), med(r.direct, "cpuPerReq"));
      row(`[${label}] req/s`, med(r.gyre, "rps"), med(r.chp, "rps"), med(r.direct, "rps"));
      row(`[${label}] p50 ms`, med(r.gyre, "p50"), med(r.chp, "p50"), med(r.direct, "p50"), 2);
      row(`[${label}] p99 ms`, med(r.gyre, "p99"), med(r.chp, "p99"), med(r.direct, "p99"), 2);
    }
    const wm = (n: WsName, k: "rtps" | "handshakeP50") => (ws[n].length ? median(ws[n].map((x) => x[k])) : NaN);
    row("WS echo round trips/s", wm("gyre", "rtps"), wm("chp", "rtps"), wm("direct", "rtps"), 0, wm("relay", "rtps"));
    const wl = (n: WsName, k: "rtps" | "cpuPerRt") => (wsMany[n].length ? median(wsMany[n].map((x) => x[k])) : NaN);
    row(`WS echo ×${WS_CONNS} conns round trips/s`, wl("gyre", "rtps"), wl("chp", "rtps"), wl("direct", "rtps"), 0, wl("relay", "rtps"));
    row(`WS ×${WS_CONNS} proxy CPU µs/round trip`, wl("gyre", "cpuPerRt"), wl("chp", "cpuPerRt"), wl("direct", "cpuPerRt"), 1, wl("relay", "cpuPerRt"));
    row("WS handshake p50 ms", wm("gyre", "handshakeP50"), wm("chp", "handshakeP50"), wm("direct", "handshakeP50"), 2, wm("relay", "handshakeP50"));
    row(`register ${N_ROUTES} routes ms`, regGyre, regChp, NaN);
    row("RSS fresh kB", rssFresh.gyre, rssFresh.chp, NaN);
    row("RSS at end kB", rss.gyre, rss.chp, NaN);
    const first = rows[labelSmall];
    const last = rows[labelLarge];
    // Per round: CPU/req with N routes ÷ with 1 route, measured minutes apart at most; median over rounds.
    const flat = (n: Name) => median(last[n].map((x, i) => (x.cpuPerReq ?? NaN) / (first[n][i].cpuPerReq ?? NaN)));
    lines.push(`flatness (CPU/req ${N_ROUTES} routes ÷ 1 route, paired per round): Gyre ${f(flat("gyre"), 2)}, CHP ${f(flat("chp"), 2)}`);
    // The WS target (2× CHP) against what this machine allows: the direct rate is the ceiling,
    // the minimal relay the best any proxy hop can do.
    const twiceChp = 2 * wm("chp", "rtps");
    const relayVsChp = relayBin
      ? `minimal C relay = ${f(wm("relay", "rtps") / wm("chp", "rtps"), 2)}× CHP (the floor for any proxy hop)`
      : "minimal C relay not measured (not compiled, see the first line)";
    lines.push(`WS echo: 2× CHP = ${f(twiceChp)} round trips/s = ${f(twiceChp / wm("direct", "rtps"), 2)}× direct; ${relayVsChp}`);
    lines.push(`Gyre/CHP CPU per request: ${f(med(last.gyre, "cpuPerReq") / med(last.chp, "cpuPerReq"), 3)}`);
    process.stdout.write(lines.join("\n") + "\n");
  } finally {
    for (const c of children) c.kill("SIGKILL");
    await hub.stop();
  }
}

main().catch((e) => {
  for (const c of children) c.kill("SIGKILL");
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
