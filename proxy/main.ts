// Gyre's proxy as a standalone process:
//   tsx proxy/main.ts [--port N] [--ip HOST] [--api-port N] [--api-ip HOST] [--hub-url URL]
//                     [--config FILE] [--log-level LEVEL] [--full-sync-seconds S] [--auth-sync-seconds S]
//                     [--activity-flush-seconds S] [--dashboard-ports 8787,9000-9010]
// Settings come from gyre.config.yaml (or --config / $GYRE_CONFIG) and GYRE_PROXY__* variables;
// flags win. hub.secretKey and proxy.authToken are resolved like the hub does (files in the data
// directory when unset), so hub and proxy started from one config agree on both.
import { parseArgs } from "node:util";
import pino from "pino";
import { loadConfig, ConfigError } from "../app/_lib/config/load";
import { GyreProxy } from "./server";

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
} as const;

async function main(): Promise<void> {
  const { values: f } = parseArgs({ options: FLAGS, strict: true });
  if (f.help) {
    process.stdout.write(`usage: tsx proxy/main.ts ${Object.keys(FLAGS).map((k) => `[--${k}${k === "help" ? "" : " V"}]`).join(" ")}\n`);
    return;
  }
  const env = { ...process.env };
  if (f.config) env.GYRE_CONFIG = f.config;
  const cfg = loadConfig(env);
  const p = cfg.proxy;
  const num = (v: string | undefined, fallback: number, name: string): number => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new ConfigError(`Invalid flag --${name}: ${v} is not a positive number.`);
    return n;
  };
  const logger = pino({ level: f["log-level"] ?? cfg.hub.logLevel, base: { component: "proxy" } });
  const proxy = new GyreProxy({
    bindHost: f.ip ?? p.bindHost,
    port: num(f.port, p.port, "port"),
    apiHost: f["api-ip"] ?? p.apiHost,
    apiPort: num(f["api-port"], p.apiPort, "api-port"),
    hubUrl: f["hub-url"] ?? p.hubUrl,
    authToken: p.authToken,
    secretKey: cfg.hub.secretKey,
    fullSyncSeconds: num(f["full-sync-seconds"], p.fullSyncSeconds, "full-sync-seconds"),
    authSyncSeconds: num(f["auth-sync-seconds"], p.authSyncSeconds, "auth-sync-seconds"),
    activityFlushSeconds: num(f["activity-flush-seconds"], p.activityFlushSeconds, "activity-flush-seconds"),
    upstreamTimeoutSeconds: num(f["upstream-timeout-seconds"], p.upstreamTimeoutSeconds, "upstream-timeout-seconds"),
    connectTimeoutSeconds: num(f["connect-timeout-seconds"], p.connectTimeoutSeconds, "connect-timeout-seconds"),
    dashboardPorts: f["dashboard-ports"] ? f["dashboard-ports"].split(",").map((s) => (/^\d+$/.test(s.trim()) ? Number(s) : s.trim())) : p.dashboardPorts,
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
  process.stderr.write(`proxy failed to start: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
