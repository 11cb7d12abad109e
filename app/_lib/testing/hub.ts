// A hub without HTTP for tests of its domain code and background services: a fresh SQLite
// database in a temp directory (real Prisma, migrations applied), the config validated against the
// test's spawner catalog, and the process-wide runtime set. Routes go to a RouteRecorder instead
// of proxies. Start the background services with startBackgroundServices(hub.rt) as app/server.ts
// does.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { parseConfig, resolveConfig } from "@/config/load";
import type { SpawnerCatalog } from "@/spawners/kind";
import { deriveKey } from "@/proxy/auth/session-cookie";
import { resolveOriginPlan } from "@/proxy/origins/origin-plan";
import { applyMigrations } from "@/app/_lib/db/migrate";
import { openDatabase } from "@/app/_lib/db/open";
import type { Db } from "@/app/_lib/db/types";
import { setRuntime, type HubRuntime } from "@/app/_lib/runtime";
import type { ExtraRouteData, Revocations, RouteData, RoutePusher, ServiceRouteData } from "@/app/_lib/servers/proxy-client";
import { createLaunchServices } from "@/app/_lib/launch/launch-services";
import { HubMetrics } from "@/app/_lib/hub/metrics";
import { openHubBus } from "@/app/_lib/replicas/hub-bus";
import { readHubCounts } from "@/app/_lib/hub/metrics-counts";

/** Records route pushes; `routes` is what a proxy would hold now. */
export class RouteRecorder implements RoutePusher {
  readonly routes = new Map<string, RouteData | ServiceRouteData | ExtraRouteData>();
  /** "add /user/alice/" / "delete /user/alice/", in order */
  readonly changes: string[] = [];

  /** how many of the next addRoute calls report that a proxy missed them (a proxy down); they are recorded all the same */
  missNext = 0;
  /** awaited at each addRoute before it resolves (to see what the hub had stored at that moment) */
  onAdd: ((path: string) => Promise<void>) | null = null;

  async addRoute(path: string, data: RouteData | ExtraRouteData): Promise<boolean> {
    this.routes.set(path, data);
    this.changes.push(`add ${path}`);
    await this.onAdd?.(path);
    if (this.missNext <= 0) return true;
    this.missNext--;
    return false;
  }

  async deleteRoute(path: string): Promise<void> {
    this.routes.delete(path);
    this.changes.push(`delete ${path}`);
  }

  /** every revocation pushed, in order */
  readonly revocations: Revocations[] = [];

  async revoke(r: Revocations): Promise<void> {
    this.revocations.push(r);
  }

  /** the last share map pushed (null: none yet) */
  shareMap: Record<string, { owner_id: number; user_ids: number[] }> | null = null;

  async shares(map: Record<string, { owner_id: number; user_ids: number[] }>): Promise<void> {
    this.shareMap = map;
  }

  /** the last role access map pushed (null: none yet) */
  roleAccessMap: Record<string, { all?: true; user_ids: number[]; servers: string[] }> | null = null;

  /** the last service access map pushed (null: none yet) */
  serviceAccessMap: Record<string, { all?: true; user_ids: number[]; servers: string[] }> | null = null;

  async roleAccess(
    map: Record<string, { all?: true; user_ids: number[]; servers: string[] }>,
    services?: Record<string, { all?: true; user_ids: number[]; servers: string[] }>,
  ): Promise<void> {
    this.roleAccessMap = map;
    if (services) this.serviceAccessMap = services;
  }

  async replaceRoutes(routes: Record<string, RouteData | ServiceRouteData | ExtraRouteData>): Promise<void> {
    this.routes.clear();
    for (const [path, data] of Object.entries(routes)) this.routes.set(path, data);
    this.changes.push("replace");
  }
}

export interface TestHub {
  rt: HubRuntime;
  db: Db;
  routes: RouteRecorder;
  dir: string;
  /** a user row (name, admin) */
  addUser(name: string, admin?: boolean): Promise<{ id: number; name: string }>;
  /** disconnects and removes the temp directory */
  close(): Promise<void>;
}

/**
 * `config`: a config file's content (sections as objects), validated against `catalog` like the
 * hub's own; hub.dataDir is always the temp directory.
 */
export async function startTestHub(opts: {
  catalog: SpawnerCatalog;
  config?: Record<string, Record<string, unknown>>;
  /** a PostgreSQL URL (app/_lib/testing/postgres.ts); default: SQLite in the temp directory */
  databaseUrl?: string;
}): Promise<TestHub> {
  const dir = mkdtempSync(join(tmpdir(), "gyre-hub-test-"));
  const file = { ...opts.config, hub: { ...opts.config?.hub, dataDir: dir } };
  const config = resolveConfig(parseConfig(file, {}, null, opts.catalog), null, dir);
  const { db, provider } = await openDatabase(opts.databaseUrl ?? `file:${join(dir, "gyre.db")}`);
  await applyMigrations(db, provider, process.cwd());
  const routes = new RouteRecorder();
  const log = pino({ level: "silent" });
  const bus = await openHubBus({ provider, databaseUrl: opts.databaseUrl ?? "", log });
  const rt: HubRuntime = {
    config,
    catalog: opts.catalog,
    db,
    dbProvider: provider,
    log,
    bus,
    proxy: routes,
    keys: {
      sessionCookie: deriveKey(config.hub.secretKey, "session-cookie"),
      originCode: deriveKey(config.hub.secretKey, "origin-code"),
      loginDevice: deriveKey(config.hub.secretKey, "login-device"),
    },
    origins: resolveOriginPlan({ publicUrl: config.hub.publicUrl, userDomain: config.hub.userDomain }),
    launch: createLaunchServices(config.launch),
    metrics: new HubMetrics(() => readHubCounts(db, { now: new Date(), liveAfterSeconds: config.hub.replicaLeaseSeconds })),
  };
  setRuntime(rt);
  return {
    rt,
    db,
    routes,
    dir,
    addUser: (name, admin = false) => db.user.create({ data: { name, admin } }),
    async close() {
      await bus.close();
      await db.$disconnect();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
