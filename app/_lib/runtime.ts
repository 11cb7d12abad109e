// Process-wide singletons shared by the Express entry (app/server.ts) and the Next.js bundle.
// Next bundles its own copy of our modules, so module-level variables would be duplicated;
// globalThis is the one object both halves share. The entry calls setRuntime() before Next
// loads; route handlers and pages call getRuntime().
import { EventEmitter } from "node:events";
import type { ResolvedConfig } from "@/config/load";
import type { OriginPlan } from "@/proxy/origins/origin-plan";
import type { SpawnerCatalog } from "@/spawners/kind";
import type { Db } from "./db/types";
import type { Logger } from "./log";
import type { RoutePusher } from "./servers/proxy-client";
import type { LaunchServices } from "./launch/launch-services";
import type { HubMetrics } from "./hub/metrics";

export interface HubRuntime {
  config: ResolvedConfig<SpawnerCatalog>;
  /**
   * The spawner kinds of this hub (spawners/catalog.ts, or a test's catalog). Next pages read
   * only the pure parts (spawn forms) through it, so the Next bundle never imports the catalog.
   */
  catalog: SpawnerCatalog;
  db: Db;
  /** which database `db` talks to, for the few queries written in SQL (app/_lib/users/users-view.ts) */
  dbProvider: "sqlite" | "postgres";
  log: Logger;
  /** "wake": new work for the spawn worker; "server:<id>": a server's state or progress changed */
  bus: EventEmitter;
  /** pushes route changes to the proxies */
  proxy: RoutePusher;
  /** keys derived from hub.secretKey: session cookies, user-origin codes, login-device cookies */
  keys: { sessionCookie: Buffer; originCode: Buffer; loginDevice: Buffer };
  /** which origin serves what (hub.publicUrl, hub.userDomain) */
  origins: OriginPlan;
  /** launch links: settings and the ref resolver (its caches live as long as the process) */
  launch: LaunchServices;
  /** this process's Prometheus metrics (GET /hub/metrics) */
  metrics: HubMetrics;
}

const KEY = Symbol.for("gyre.hub.runtime");
type Holder = { [KEY]?: HubRuntime };

export function setRuntime(rt: HubRuntime): void {
  rt.bus.setMaxListeners(0); // one listener per open progress stream
  (globalThis as Holder)[KEY] = rt;
}

export function getRuntime(): HubRuntime {
  const rt = (globalThis as Holder)[KEY];
  if (!rt) throw new Error("Gyre hub runtime is not initialised: start the hub with `npm run hub` (app/server.ts), not `next start`.");
  return rt;
}

export function hasRuntime(): boolean {
  return !!(globalThis as Holder)[KEY];
}
