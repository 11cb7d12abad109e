// `npm start`: validates the configuration, checks that its ports are free, then runs the hub and
// the proxy side by side and prints the URL (and, before the first admin exists, the one-time setup
// link). Ctrl-C or `npm run stop` stops both (user servers keep running; the next start adopts
// them). A start that fails stops whatever it started and exits non-zero.
//
//   tsx scripts/gyre-up.ts          start (what `npm start` runs)
//   tsx scripts/gyre-up.ts stop     stop the Gyre started from this config (`npm run stop`)
//   tsx scripts/gyre-up.ts reset-password NAME
//                                   print a one-time link that sets a new password for NAME
//                                   (`npm run reset-password -- NAME`: recovery on the hub's host)
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { dirname, join, resolve } from "node:path";
import { defaultHubUrl } from "@/config/derived";
import { loadConfig, ConfigError, type ResolvedConfig } from "@/config/load";
import { PROXY_NODE_FLAGS, PROXY_ENV } from "@/proxy/node-flags";
import { SETUP_LINK_FILE } from "@/app/_lib/auth/bootstrap";
import { hubCommand, newestSource } from "@/app/hub-command";
import { isLocalhostName } from "@/proxy/origins/origin-plan";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
// `node --import tsx` rather than the tsx CLI (which runs the program in a child process), so the
// pid we hold is the component itself and signals reach it.
const TSX_IMPORT = import.meta.resolve("tsx");
const nodeTsx = (file: string): [string, string[]] => [process.execPath, ["--import", TSX_IMPORT, file]];
const PROXY_BUNDLE = resolve(ROOT, "dist/proxy/main.mjs");
/** In hub.dataDir: the pid of the running `npm start`, so `npm run stop` stops this instance only. */
const PID_FILE = "gyre.pid";

/** `node dist/proxy/main.mjs` (npm run build) when it is newer than the proxy's sources, else tsx: no loader in the proxy process. */
function proxyCommand(): [string, string[]] {
  // The bundle holds proxy/ plus the proxy's part of the config loader (config/proxy-config.ts).
  const sources = ["proxy", "config"].map((d) => newestSource(resolve(ROOT, d)));
  const fresh = existsSync(PROXY_BUNDLE) && statSync(PROXY_BUNDLE).mtimeMs > Math.max(...sources);
  return fresh ? [process.execPath, [...PROXY_NODE_FLAGS, PROXY_BUNDLE]] : nodeTsx(resolve(ROOT, "proxy/main.ts"));
}

async function waitFor(url: string, ms: number, child: ChildProcess, name: string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`the ${name} exited (${child.exitCode ?? child.signalCode}) before it answered at ${url}; its output above says why.`);
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(1000), redirect: "manual" });
      await r.arrayBuffer();
      if (r.status < 500) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the ${name} did not answer at ${url} within ${ms / 1000} s.`);
}

/** Resolves when nothing listens on host:port (we could bind it), else rejects with the error code. */
function checkPortFree(host: string, port: number): Promise<void> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolvePort()));
  });
}

/** The pid in the data directory's pid file if that process is a running gyre-up, else null. */
function runningInstance(dataDir: string): number | null {
  const file = join(dataDir, PID_FILE);
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, "utf8").trim());
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    return cmdline.includes("gyre-up") ? pid : null;
  } catch {
    return null;
  }
}

function loadOrExit(): ResolvedConfig {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`gyre: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

/** `npm run stop`: SIGTERM to the gyre-up of this config's data directory, then wait for it. */
async function stopInstance(config: ResolvedConfig): Promise<void> {
  const pid = runningInstance(config.hub.dataDir);
  if (!pid) {
    process.stdout.write(`gyre: no running Gyre found for this configuration (no live pid in ${join(config.hub.dataDir, PID_FILE)}).\n`);
    process.exit(1);
  }
  process.kill(pid, "SIGTERM");
  const end = Date.now() + 30_000;
  while (Date.now() < end) {
    try {
      process.kill(pid, 0);
    } catch {
      process.stdout.write(`gyre: stopped (pid ${pid}). User servers keep running; the next start adopts them.\n`);
      return;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  process.stderr.write(`gyre: pid ${pid} did not stop within 30 s.\n`);
  process.exit(1);
}

/** `npm run reset-password -- NAME`: a one-time link to set NAME's password (needs the database). */
async function printResetLink(config: ResolvedConfig, name: string | undefined): Promise<void> {
  if (!name) {
    process.stderr.write("gyre: usage: npm run reset-password -- <user name>\n");
    process.exit(2);
  }
  const { openDatabase } = await import("@/app/_lib/db/open");
  const { applyMigrations } = await import("@/app/_lib/db/migrate");
  const { createPasswordResetLink } = await import("@/app/_lib/auth/bootstrap");
  const { db, provider } = await openDatabase(config.hub.databaseUrl);
  try {
    await applyMigrations(db, provider, ROOT);
    const link = await createPasswordResetLink(db, config, name);
    process.stdout.write(`One-time link (valid 24 h) to set a new password for ${name}:\n\n  ${link}\n\n`);
  } catch (err) {
    process.stderr.write(`gyre: ${(err as Error).message}\n`);
    process.exitCode = 1;
  } finally {
    await db.$disconnect();
  }
}

async function main(): Promise<void> {
  const config = loadOrExit();
  const [command, arg] = process.argv.slice(2);
  if (command === "stop") return stopInstance(config);
  if (command === "reset-password") return printResetLink(config, arg);
  if (command) {
    process.stderr.write(`gyre: unknown command "${command}" (no argument starts Gyre; or "stop", "reset-password NAME").\n`);
    process.exit(2);
  }

  // Ports first: a second start must not print success while the first instance answers.
  const ports: Array<[string, string, number]> = [
    ["hub.port", config.hub.bindHost, config.hub.port],
    ["proxy.port", config.proxy.bindHost, config.proxy.port],
    ["proxy.apiPort", config.proxy.apiHost, config.proxy.apiPort],
  ];
  for (const [option, host, port] of ports) {
    try {
      await checkPortFree(host, port);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const other = runningInstance(config.hub.dataDir);
      const why =
        code === "EADDRINUSE"
          ? other
            ? `Gyre is already running from this configuration (pid ${other}). Stop it with \`npm run stop\`, or start this one on other ports.`
            : "Gyre (or another program) may already be running there. Stop it, or choose another port in gyre.config.yaml or with GYRE_* variables (docs/config.md)."
          : `(${code ?? (err as Error).message})`;
      process.stderr.write(`gyre: cannot start: port ${port} on ${host} (${option}) is in use. ${why}\n`);
      process.exit(1);
    }
  }

  const children: ChildProcess[] = [];
  const pidFile = join(config.hub.dataDir, PID_FILE);
  let stopping = false;
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    const alive = children.filter((c) => c.exitCode === null && c.signalCode === null);
    for (const c of alive) c.kill("SIGTERM");
    const exit = () => {
      if (runningInstance(config.hub.dataDir) === process.pid) rmSync(pidFile, { force: true });
      process.exit(code);
    };
    if (!alive.length) return exit();
    let left = alive.length;
    for (const c of alive) c.once("exit", () => --left === 0 && exit());
    // Kill what did not stop in time: a failed start must leave nothing behind.
    setTimeout(() => {
      for (const c of alive) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
      setTimeout(exit, 500).unref();
    }, 10_000).unref();
  };
  process.once("SIGINT", () => stop(0));
  process.once("SIGTERM", () => stop(0));
  writeFileSync(pidFile, `${process.pid}\n`, { mode: 0o600 });

  const watch = (c: ChildProcess, name: string) =>
    c.once("exit", (code, signal) => {
      if (stopping) return;
      process.stderr.write(`gyre: the ${name} exited (${code ?? signal}); stopping.\n`);
      stop(code === 0 ? 1 : (code ?? 1));
    });
  try {
    // Hub first: the proxy loads its route table from the hub before it listens.
    process.stdout.write("==> Starting the hub (applies database migrations on first start)\n");
    const hubCmd = hubCommand({ root: ROOT, tsxImport: TSX_IMPORT });
    const hub = spawn(hubCmd.file, hubCmd.args, { cwd: process.cwd(), stdio: "inherit", env: { ...hubCmd.env, ...process.env } });
    children.push(hub);
    watch(hub, "hub");
    const hubUrl = defaultHubUrl(config.hub);
    await waitFor(`${hubUrl}/hub/api`, 120_000, hub, "hub");
    process.stdout.write("==> Starting the proxy\n");
    const [proxyCmd, proxyArgs] = proxyCommand();
    const proxy = spawn(proxyCmd, proxyArgs, { cwd: process.cwd(), stdio: "inherit", env: { ...PROXY_ENV, ...process.env } });
    children.push(proxy);
    watch(proxy, "proxy");
    await waitFor(`${probeUrl(config.hub.publicUrl)}/hub/api`, 60_000, proxy, "proxy");
  } catch (err) {
    process.stderr.write(`gyre: start failed: ${(err as Error).message} Stopping what was started.\n`);
    stop(1);
    return;
  }
  const setupFile = join(config.hub.dataDir, SETUP_LINK_FILE);
  const setupLink = existsSync(setupFile) ? readFileSync(setupFile, "utf8").trim() : "";
  const lines = [`Gyre is running: ${config.hub.publicUrl}/hub/`];
  if (setupLink) lines.push("", "No admin account exists yet. Create it within 24 hours at this one-time link:", `  ${setupLink}`);
  lines.push("", `Stop it with Ctrl-C or \`npm run stop\` (this instance only: pid ${process.pid}).`);
  process.stdout.write(`\n${lines.map((l) => (l ? `  ${l}` : "")).join("\n")}\n\n`);
}

/** The public URL with a *.localhost host as 127.0.0.1: browsers resolve those names themselves, Node's resolver does not. */
function probeUrl(publicUrl: string): string {
  const u = new URL(publicUrl);
  if (isLocalhostName(u.hostname)) u.hostname = "127.0.0.1";
  return u.origin;
}

main().catch((err) => {
  process.stderr.write(`gyre: ${(err as Error).message}\n`);
  process.exit(1);
});
