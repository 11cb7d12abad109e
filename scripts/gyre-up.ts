// `npm start`: validates the configuration, then runs the hub and the proxy side by side and
// prints the URL. Ctrl-C stops both (user servers keep running; the next start adopts them).
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, resolve } from "node:path";
import { loadConfig, ConfigError } from "../app/_lib/config/load";
import { PROXY_NODE_FLAGS, PROXY_ENV } from "../proxy/node-flags";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
// `node --import tsx` rather than the tsx CLI (which runs the program in a child process), so the
// pid we hold is the component itself and signals reach it.
const TSX_IMPORT = import.meta.resolve("tsx");
const nodeTsx = (file: string): [string, string[]] => [process.execPath, ["--import", TSX_IMPORT, file]];
const PROXY_BUNDLE = resolve(ROOT, "dist/proxy/main.mjs");

/** Newest mtime (ms) of the .ts files under a folder. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name.endsWith(".ts")) newest = Math.max(newest, statSync(resolve(e.parentPath, e.name)).mtimeMs);
  }
  return newest;
}

/** `node dist/proxy/main.mjs` (npm run build) when it is newer than the proxy's sources, else tsx: no loader in the proxy process. */
function proxyCommand(): [string, string[]] {
  // The bundle holds proxy/ plus the config loader, whose schema imports the spawners' configs.
  const sources = ["proxy", "app/_lib/config", "spawners"].map((d) => newestSource(resolve(ROOT, d)));
  const fresh = existsSync(PROXY_BUNDLE) && statSync(PROXY_BUNDLE).mtimeMs > Math.max(...sources);
  return fresh ? [process.execPath, [...PROXY_NODE_FLAGS, PROXY_BUNDLE]] : nodeTsx(resolve(ROOT, "proxy/main.ts"));
}

async function waitFor(url: string, ms: number, child: ChildProcess): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`${url}: process exited with status ${child.exitCode}`);
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(1000), redirect: "manual" });
      await r.arrayBuffer();
      if (r.status < 500) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer within ${ms / 1000} s`);
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`gyre: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const children: ChildProcess[] = [];
  const stop = (code: number) => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
    setTimeout(() => process.exit(code), 500).unref();
  };
  process.once("SIGINT", () => stop(0));
  process.once("SIGTERM", () => stop(0));

  const watch = (c: ChildProcess, name: string) =>
    c.once("exit", (code) => {
      if (code !== 0 && code !== null) {
        process.stderr.write(`gyre: the ${name} exited with status ${code}; stopping.\n`);
        stop(1);
      }
    });
  // Hub first: the proxy loads its route table from the hub before it listens.
  const hub = spawn(...nodeTsx(resolve(ROOT, "app/server.ts")), { cwd: process.cwd(), stdio: "inherit", env: process.env });
  children.push(hub);
  watch(hub, "hub");
  const hubUrl = `http://${config.hub.bindHost === "0.0.0.0" ? "127.0.0.1" : config.hub.bindHost}:${config.hub.port}`;
  await waitFor(`${hubUrl}/hub/api`, 120_000, hub);
  const [proxyCmd, proxyArgs] = proxyCommand();
  const proxy = spawn(proxyCmd, proxyArgs, { cwd: process.cwd(), stdio: "inherit", env: { ...PROXY_ENV, ...process.env } });
  children.push(proxy);
  watch(proxy, "proxy");
  await waitFor(`${config.hub.publicUrl}/hub/api`, 60_000, proxy);
  process.stdout.write(`\n  Gyre is running: ${config.hub.publicUrl}/hub/\n\n`);
}

main().catch((err) => {
  process.stderr.write(`gyre: ${(err as Error).message}\n`);
  process.exit(1);
});
