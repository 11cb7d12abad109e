// Gyre's proxy as a standalone process:
//   tsx proxy/main.ts [--port N] [--ip HOST] [--api-port N] [--api-ip HOST] [--hub-url URL]
//                     [--config FILE] [--log-level LEVEL] [--full-sync-seconds S] [--auth-sync-seconds S]
//                     [--activity-flush-seconds S] [--dashboard-ports 8787,9000-9010]
// Settings come from gyre.config.yaml (or --config / $GYRE_CONFIG) and GYRE_PROXY__* variables;
// flags win. Only the proxy's part of the config is loaded (config/proxy-config.ts): its section
// and the hub keys it uses; hub.secretKey and proxy.authToken are resolved like the hub does
// (files in the data directory when unset), so hub and proxy started from one config agree.
import { parseArgs } from "node:util";
import { spawnSync } from "node:child_process";
import pino from "pino";
import { ConfigError } from "@/config/errors";
import type { ProxySettings } from "@/config/proxy-config";
import { defaultPublicUrl } from "./origins/origin-plan";
import { GyreProxy } from "./server";

/** Hidden flag: load the proxy's config, print ProxySettings as JSON, exit (see loadSettings). */
const PRINT_SETTINGS = "print-proxy-settings";
/** Precedes the settings JSON on the child's stdout. */
const SETTINGS_MARK = "gyre-proxy-settings:";

const FLAGS = {
  port: { type: "string" },
  ip: { type: "string" },
  "api-port": { type: "string" },
  "api-ip": { type: "string" },
  "hub-url": { type: "string" },
  config: { type: "string" },
  "log-level": { type: "string" },
  "full-sync-seconds": { type: "string" },
  "auth-sync-seconds": { type: "string" },
  "activity-flush-seconds": { type: "string" },
  "upstream-timeout-seconds": { type: "string" },
  "connect-timeout-seconds": { type: "string" },
  "dashboard-ports": { type: "string" },
  help: { type: "boolean" },
  [PRINT_SETTINGS]: { type: "boolean" },
} as const;

/** Loads the proxy's part of the config in this process (zod, yaml). */
async function loadSettingsHere(env: NodeJS.ProcessEnv): Promise<ProxySettings> {
  const { loadProxyConfig } = await import("@/config/proxy-config");
  return loadProxyConfig(env);
}

/**
 * The bundled proxy resolves its config in a short-lived child process (same file, hidden flag;
 * settings come back over a pipe, never argv or env). Even the proxy's own part of the schema
 * (zod) and the yaml parser leave ~2 MB of old space live and grow the young generation, so the
 * long-running proxy measured 57.8 MB fresh with the config loaded in-process against 54.4 MB
 * this way (bench/README.md), for ~0.1 s more start-up. Under tsx (development, in-process
 * tests) the config is loaded in-process: a second tsx start would cost more than it saves.
 */
async function loadSettings(env: NodeJS.ProcessEnv): Promise<ProxySettings> {
  const script = process.argv[1];
  if (!import.meta.url.endsWith(".mjs") || !script) return loadSettingsHere(env);
  const r = spawnSync(process.execPath, [...process.execArgv, script, "--" + PRINT_SETTINGS], {
    env,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 1 << 20,
  });
  if (r.status === 2) throw new ConfigError(r.stderr.trim());
  if (r.status !== 0) throw new Error(`the config loader exited with ${r.status ?? r.signal}: ${r.stderr || r.error?.message}`);
  // Node flags the proxy runs with (--trace-gc, say) may print to the same stdout: the answer is
  // the line after the marker.
  const at = r.stdout.lastIndexOf(SETTINGS_MARK);
  if (at < 0) throw new Error(`the config loader gave no settings: ${r.stdout.slice(0, 200)}`);
  return JSON.parse(r.stdout.slice(at + SETTINGS_MARK.length).split("\n", 1)[0]) as ProxySettings;
}

async function main(): Promise<void> {
  const { values: f } = parseArgs({ options: FLAGS, strict: true });
  if (f.help) {
    process.stdout.write(
      `usage: tsx proxy/main.ts ${Object.keys(FLAGS)
        .filter((k) => k !== PRINT_SETTINGS)
        .map((k) => `[--${k}${k === "help" ? "" : " V"}]`)
        .join(" ")}\n`,
    );
    return;
  }
  const env = { ...process.env };
  if (f.config) env.GYRE_CONFIG = f.config;
  if (f[PRINT_SETTINGS]) {
    process.stdout.write("\n" + SETTINGS_MARK + JSON.stringify(await loadSettingsHere(env)) + "\n");
    return;
  }
  const cfg = await loadSettings(env);
  const p = cfg.proxy;
  const num = (v: string | undefined, fallback: number, name: string): number => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new ConfigError(`Invalid flag --${name}: ${v} is not a positive number.`);
    return n;
  };
  const logger = pino({ level: f["log-level"] ?? cfg.hub.logLevel, base: { component: "proxy" } });
  const bindHost = f.ip ?? p.bindHost;
  const port = num(f.port, p.port, "port");
  const proxy = new GyreProxy({
    bindHost,
    port,
    apiHost: f["api-ip"] ?? p.apiHost,
    apiPort: num(f["api-port"], p.apiPort, "api-port"),
    hubUrl: f["hub-url"] ?? p.hubUrl,
    authToken: p.authToken,
    secretKey: cfg.hub.secretKey,
    origins: { publicUrl: (cfg.hub.publicUrl ?? defaultPublicUrl({ bindHost, port })).replace(/\/+$/, ""), userDomain: cfg.hub.userDomain },
    fullSyncSeconds: num(f["full-sync-seconds"], p.fullSyncSeconds, "full-sync-seconds"),
    authSyncSeconds: num(f["auth-sync-seconds"], p.authSyncSeconds, "auth-sync-seconds"),
    activityFlushSeconds: num(f["activity-flush-seconds"], p.activityFlushSeconds, "activity-flush-seconds"),
    upstreamTimeoutSeconds: num(f["upstream-timeout-seconds"], p.upstreamTimeoutSeconds, "upstream-timeout-seconds"),
    connectTimeoutSeconds: num(f["connect-timeout-seconds"], p.connectTimeoutSeconds, "connect-timeout-seconds"),
    dashboardPorts: f["dashboard-ports"] ? f["dashboard-ports"].split(",").map((s) => (/^\d+$/.test(s.trim()) ? Number(s) : s.trim())) : p.dashboardPorts,
    tokenCorsOrigins: p.tokenCorsOrigins,
    tokenGraceSeconds: p.tokenGraceSeconds,
    logger,
  });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "proxy stopping");
    await proxy.close();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
  await proxy.start();
}

main().catch((err) => {
  if (err instanceof ConfigError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
    process.stderr.write(String((err as Error).message) + "\n");
    process.exit(2);
  }
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  if (e.code === "EADDRINUSE" || e.code === "EADDRNOTAVAIL" || e.code === "EACCES") {
    // A port problem is the admin's to fix, not a crash: no stack trace.
    process.stderr.write(
      `proxy failed to start: cannot listen on ${e.address}:${e.port} (${e.code}; proxy.port / proxy.apiPort, or --port / --api-port). Is another Gyre or another program using it?\n`,
    );
    process.exit(1);
  }
  process.stderr.write(`proxy failed to start: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
