// Servers as the hub's pages show them: every server of one user, the active servers of everyone
// (the admin's "running servers" view), and one server's progress log and start log. Where a
// server runs comes from its stored state through its kind's catalog entry, so listing servers
// never asks a spawner or a scheduler.
import { serverDescriber } from "./details";
import type { ServerDetails } from "@/spawners/types";
import type { Db } from "@/app/_lib/db/types";
import type { HubRuntime } from "@/app/_lib/runtime";
import type { SpawnerCatalog } from "@/spawners/kind";

export const ACTIVE_STATES = ["pending", "starting", "running", "stopping"] as const;

/** One server on a page. */
export interface ServerView {
  user: string;
  /** "" for the default server */
  name: string;
  state: string;
  spawnerKind: string;
  profile: string | null;
  requestedAt: Date | null;
  startedAt: Date | null;
  stoppedAt: Date | null;
  lastActivity: Date | null;
  /** why it failed or stopped */
  message: string | null;
  /** a start log (or a failed spawn's log) is stored */
  hasLog: boolean;
  /** a spawn has progress events to show */
  hasProgress: boolean;
  /** where it runs and, for a batch job, the job (id, queue reason, node, time left); null for none */
  details: ServerDetails | null;
}

type Row = {
  name: string;
  state: string;
  spawnerKind: string;
  spawnerState: string;
  profile: string | null;
  requestedAt: Date | null;
  startedAt: Date | null;
  stoppedAt: Date | null;
  lastActivity: Date | null;
  message: string | null;
  logTail: string | null;
  spawnId: string | null;
};

export function toServerView(catalog: SpawnerCatalog, user: string, s: Row): ServerView {
  return {
    user,
    name: s.name,
    state: s.state,
    spawnerKind: s.spawnerKind,
    profile: s.profile,
    requestedAt: s.requestedAt,
    startedAt: s.startedAt,
    stoppedAt: s.stoppedAt,
    lastActivity: s.lastActivity,
    message: s.message,
    hasLog: !!s.logTail,
    hasProgress: !!s.spawnId,
    details: serverDescriber(catalog)(s),
  };
}

/** Every server of a user, the default ("") first. */
export async function listUserServers(rt: Pick<HubRuntime, "db" | "catalog">, user: { id: number; name: string }): Promise<ServerView[]> {
  const rows = await rt.db.server.findMany({ where: { userId: user.id }, orderBy: { name: "asc" } });
  return rows.map((s) => toServerView(rt.catalog, user.name, s));
}

export const ACTIVE_FILTERS = ["active", "running", "pending", "stopping"] as const;
export type ActiveFilter = (typeof ACTIVE_FILTERS)[number];

/** Servers of every user in the filter's states, most recently started first. */
export async function listActiveServers(
  rt: Pick<HubRuntime, "db" | "catalog">,
  opts: { filter: ActiveFilter; page: number; size: number },
): Promise<{ servers: ServerView[]; total: number }> {
  const states: readonly string[] =
    opts.filter === "active" ? ACTIVE_STATES : opts.filter === "pending" ? ["pending", "starting"] : opts.filter === "stopping" ? ["stopping"] : ["running"];
  const where = { state: { in: [...states] } };
  const [total, rows] = await Promise.all([
    rt.db.server.count({ where }),
    rt.db.server.findMany({
      where,
      include: { user: { select: { name: true } } },
      orderBy: [{ startedAt: { sort: "desc", nulls: "first" } }, { id: "asc" }],
      skip: (opts.page - 1) * opts.size,
      take: opts.size,
    }),
  ]);
  return { servers: rows.map((s) => toServerView(rt.catalog, s.user.name, s)), total };
}

/** One server's latest spawn: its progress events and the stored log. */
export interface ServerLog {
  server: ServerView;
  events: { at: Date; progress: number; message: string; kind: string }[];
  log: string | null;
}

/** null when the user has no such server. */
export async function readServerLog(rt: Pick<HubRuntime, "db" | "catalog">, user: { id: number; name: string }, serverName: string): Promise<ServerLog | null> {
  const db: Db = rt.db;
  const s = await db.server.findUnique({ where: { userId_name: { userId: user.id, name: serverName } } });
  if (!s) return null;
  const events = s.spawnId
    ? await db.spawnEvent.findMany({
        where: { serverId: s.id, spawnId: s.spawnId },
        orderBy: { id: "asc" },
        take: 500,
        select: { at: true, progress: true, message: true, kind: true },
      })
    : [];
  return { server: toServerView(rt.catalog, user.name, s), events, log: s.logTail };
}
