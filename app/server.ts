// The hub process: config → database → Express (security, auth form posts) → Next.js (pages and
// REST API under /hub) → background services. See docs/decisions.md, "Hub process".
import { fileURLToPath } from "node:url";
import { dirname, resolve } from "node:path";
import express from "express";
import next from "next";
import { loadConfig, ConfigError } from "@/config/load";
import { createLogger } from "./_lib/log";
import { adaptersSqlite, openDatabase } from "./_lib/db/open";
import { checkPostgresVersion } from "./_lib/db/sql-reads";
import { applyMigrations } from "./_lib/db/migrate";
import { setRuntime, type HubRuntime } from "./_lib/runtime";
import { deriveKey } from "@/proxy/auth/session-cookie";
import { resolveOriginPlan, singleOriginWarning } from "@/proxy/origins/origin-plan";
import { ensureInitialAdmin } from "./_lib/auth/bootstrap";
import { loadConfiguredGroups } from "./_lib/groups/load-groups";
import { securityHeaders, originCheck } from "./_lib/http/security";
import { expressErrorHandler, limitBodies, refuseMalformedPaths } from "./_lib/http/express-guards";
import { trustProxyHop } from "./_lib/http/client-address";
import { MAX_BODY_BYTES } from "./_lib/http/json-limits";
import { authRouter, refreshSession } from "./_lib/http/auth-routes";
import { canonicalApiPaths, jsonMethodNotAllowed } from "./_lib/http/api-paths";
import { launchRouter } from "./_lib/http/launch-router";
import { restFastPath } from "./_lib/http/rest-fast-path";
import { trimAfterMajorGcs } from "./_lib/hub/malloc-trim";
import { originLoginRouter } from "./_lib/http/origin-login-routes";
import { acceptShareRouter } from "./_lib/http/accept-share-routes";
import { everyAddressOf, ProxyClient } from "./_lib/servers/proxy-client";
import { prepareBackgroundServices, type BackgroundServices } from "./_lib/servers/background";
import { SPAWNER_KINDS } from "@/spawners/catalog";
import { loadOsAccountMapping } from "./_lib/users/spawn-user";
import { checkLaunchProfile, createLaunchServices } from "./_lib/launch/launch-services";
import { deprecatedServiceOptions } from "./_lib/services/registry";
import { listSpawnProfileNames } from "@/spawners/spawn-options";
import { HubMetrics } from "./_lib/hub/metrics";
import { readHubCounts } from "./_lib/hub/metrics-counts";
import { timeRequests } from "./_lib/http/request-timing";
import { closeWithin } from "./_lib/shutdown";
import { openHubBus } from "./_lib/replicas/hub-bus";

/** SIGTERM to exit at the latest: under Kubernetes' default 30 s grace period and the 15 s a rolling restart waits */
const SHUTDOWN_LIMIT_MS = 10_000;
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`gyre hub: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  try {
    // A map file that cannot be read is a configuration problem: say so now, not at a spawn.
    loadOsAccountMapping(config.hub);
  } catch (err) {
    process.stderr.write(`gyre hub: Invalid configuration: ${(err as Error).message}\n`);
    process.exit(2);
  }
  // launch settings are checked before anything starts: a bad token file or profile stops the hub
  const launch = createLaunchServices(config.launch);
  checkLaunchProfile(
    config.launch.profile,
    listSpawnProfileNames({ catalog: SPAWNER_KINDS, kind: config.spawner.kind, config: config.spawner }),
    config.spawner.kind,
  );
  const log = createLogger(config.hub.logLevel);
  // glibc keeps pages freed inside its arenas resident (~25 MB of the hub's RSS): give them back after major GCs
  trimAfterMajorGcs({ Database: adaptersSqlite(), log });
  const { db, provider } = await openDatabase(config.hub.databaseUrl);
  const tooOld = provider === "postgres" ? await checkPostgresVersion(db) : null;
  if (tooOld) {
    process.stderr.write(`gyre hub: Invalid configuration: ${tooOld}\n`);
    process.exit(2);
  }
  const applied = await applyMigrations(db, provider, ROOT);
  if (applied.length) log.info({ applied }, "applied database migrations");
  // on PostgreSQL linked to the other hub replicas (LISTEN/NOTIFY), so requests any replica
  // receives wake the owner's worker at once
  const bus = await openHubBus({ provider, databaseUrl: config.hub.databaseUrl, log });

  const proxyApiUrl = `http://${config.proxy.apiHost === "0.0.0.0" ? "127.0.0.1" : config.proxy.apiHost.includes(":") ? `[${config.proxy.apiHost}]` : config.proxy.apiHost}:${config.proxy.apiPort}`;
  const proxy = new ProxyClient(
    config.proxy.replicaApiUrls.length ? config.proxy.replicaApiUrls : config.proxy.pushToEveryAddress ? everyAddressOf(proxyApiUrl) : [proxyApiUrl],
    config.proxy.authToken,
    log,
  );
  const rt: HubRuntime = {
    config,
    catalog: SPAWNER_KINDS,
    db,
    dbProvider: provider,
    log,
    proxy,
    bus,
    keys: {
      sessionCookie: deriveKey(config.hub.secretKey, "session-cookie"),
      originCode: deriveKey(config.hub.secretKey, "origin-code"),
      loginDevice: deriveKey(config.hub.secretKey, "login-device"),
    },
    origins: resolveOriginPlan({ publicUrl: config.hub.publicUrl, userDomain: config.hub.userDomain }),
    launch,
    metrics: new HubMetrics(() => readHubCounts(db, { now: new Date(), liveAfterSeconds: config.hub.replicaLeaseSeconds })),
  };
  setRuntime(rt);
  const singleOrigin = singleOriginWarning(rt.origins);
  if (singleOrigin) log.warn(singleOrigin);
  for (const warning of deprecatedServiceOptions(config.services)) log.warn(warning);
  await ensureInitialAdmin(db, config, log);
  const loaded = await loadConfiguredGroups(db, config.groups);
  if (loaded.groupsCreated.length || loaded.usersCreated.length || loaded.membersAdded || loaded.propertiesSet.length)
    log.info(loaded, "brought the groups of the configuration up to date");

  const app = express();
  app.disable("x-powered-by");
  // first: every request's duration, whoever answers it (refusals included)
  app.use(timeRequests(rt.metrics));
  // X-Forwarded-For counts only when the proxy's hop secret comes with it (client-address.ts),
  // never because a request comes from loopback: every notebook on this host does.
  app.set("trust proxy", false);
  app.use(trustProxyHop(deriveKey(config.hub.secretKey, "proxy-hop").toString("hex")));
  app.use(securityHeaders(rt.origins));
  app.use(refuseMalformedPaths);
  app.use(limitBodies(MAX_BODY_BYTES));
  app.use(originCheck(rt.origins));
  app.use(canonicalApiPaths);
  app.use(jsonMethodNotAllowed);
  app.use(refreshSession);
  // the users list, one user, and a server's start and stop, without Next's routing (same handlers
  // as the route files), once every guard above has run: the routers below serve other paths only
  // (login, launch links, origin login, share acceptance: express-order.test.ts), and each was a
  // dispatch per request for nothing (bench/README.md, phase 3t)
  app.use(restFastPath);
  app.use(authRouter());
  // the spawner kinds are started below; git-pull links ask for theirs when one comes
  const started: { background?: BackgroundServices } = {};
  app.use(launchRouter({ agentCommands: async () => (started.background ? started.background.spawners.agentCommands(config.spawner.kind) : null) }));
  app.use(originLoginRouter());
  app.use(acceptShareRouter());
  app.get("/", (_req, res) => res.redirect(302, "/hub/home"));

  const nextApp = next({ dev: false, dir: ROOT, hostname: config.hub.bindHost, port: config.hub.port });
  await nextApp.prepare();
  const handle = nextApp.getRequestHandler();
  app.use((req, res) => handle(req, res));
  app.use(expressErrorHandler(log));

  // The configured spawner kind is started before the hub listens: adopting servers and the first
  // spawn then do not wait for its I/O module.
  const background = await prepareBackgroundServices(rt);
  started.background = background;
  const server = app.listen(config.hub.port, config.hub.bindHost);
  await new Promise<void>((res, rej) => server.once("listening", res).once("error", rej));
  log.info(
    { url: `http://${config.hub.bindHost}:${config.hub.port}`, publicUrl: config.hub.publicUrl, userDomain: rt.origins.userDomain, db: provider },
    "hub listening",
  );

  await background.start();

  const shutdown = (signal: string) => {
    // User servers keep running; the next hub start adopts them.
    log.info({ signal }, "hub shutting down (user servers keep running)");
    server.close();
    server.closeAllConnections();
    // bounded: a step that hangs (a database call that never returns) must not keep the hub up
    // until an orchestrator kills it mid-write (shutdown.ts)
    void closeWithin(
      [
        { name: "background services", run: () => background.close() },
        { name: "replica bus", run: () => bus.close() },
        { name: "database", run: () => db.$disconnect() },
      ],
      SHUTDOWN_LIMIT_MS,
    ).then(({ abandoned, failed }) => {
      for (const f of failed) log.error({ err: f.err }, `closing the ${f.name} failed`);
      if (abandoned) log.error({ step: abandoned, limitMs: SHUTDOWN_LIMIT_MS }, "hub shutdown did not finish in time; exiting anyway");
      process.exit(abandoned ? 1 : 0);
    });
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
}

main().catch((err) => {
  // Config problems found after loading (e.g. GitHub enabled without a client secret) name the option.
  if (err instanceof ConfigError) {
    process.stderr.write(`gyre hub: ${err.message}\n`);
    process.exit(2);
  }
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  if (e.code === "EADDRINUSE" || e.code === "EADDRNOTAVAIL" || e.code === "EACCES") {
    process.stderr.write(
      `gyre hub: cannot listen on ${e.address}:${e.port} (${e.code}; hub.bindHost / hub.port). Is another Gyre or another program using it?\n`,
    );
    process.exit(1);
  }
  process.stderr.write(`gyre hub: failed to start: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
