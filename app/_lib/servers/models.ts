// Paths of a server and JupyterHub-shaped server JSON from database rows (pure). The user JSON
// around it is app/_lib/users/models.ts.
import type { ServerModel } from "../models";
import type { DescribeServer } from "./details";
import { userOrigin, type OriginPlan } from "@/proxy/origins/origin-plan";

export interface ServerRow {
  name: string;
  state: string;
  spawnerKind: string;
  spawnerState: string;
  url: string | null;
  options: string;
  message: string | null;
  startedAt: Instant | null;
  lastActivity: Instant | null;
}

/**
 * A point in time as the rows carry it: a Date (Prisma, PostgreSQL), or already JupyterHub's ISO
 * text in UTC, "2026-12-04T19:13:00.000Z" (the hot reads on SQLite, app/_lib/users/queries.ts:
 * no Date built per value, bench/README.md phase 3h).
 */
export type Instant = Date | string;

/** The instant as ISO text in UTC ("…Z", milliseconds). */
export function isoText(t: Instant): string {
  return typeof t === "string" ? t : t.toISOString();
}

export function serverPath(user: string, server: string): string {
  return server ? `/user/${user}/${server}/` : `/user/${user}/`;
}

export function progressUrl(user: string, server: string): string {
  return server ? `/hub/api/users/${user}/servers/${server}/progress` : `/hub/api/users/${user}/server/progress`;
}

const PENDING_SPAWN = new Set(["pending", "starting"]);
/** states in which a server runs or is on its way (JupyterHub's "active") */
export const ACTIVE_STATES = ["pending", "starting", "running", "stopping"] as const;

/** How server models are built. */
export interface ServerModelOptions {
  /** where the absolute URLs point: hub.publicUrl (no trailing slash); none → null URLs */
  publicUrl?: string;
  /** which origin serves each user's servers: with per-user origins full_url is on the user's own origin; none → publicUrl */
  origins?: OriginPlan;
  /** what the server's spawner kind says about it beyond its state (details.ts) */
  describe?: DescribeServer;
}

export function toServerModel(user: string, s: ServerRow, opts: ServerModelOptions = {}): ServerModel {
  let options: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(s.options);
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) options = parsed as Record<string, unknown>;
  } catch {
    /* stored by us; an unreadable blob shows as no options */
  }
  const base = opts.publicUrl?.replace(/\/+$/, "");
  return {
    name: s.name,
    full_name: `${user}/${s.name}`,
    ready: s.state === "running",
    stopped: !(ACTIVE_STATES as readonly string[]).includes(s.state),
    pending: PENDING_SPAWN.has(s.state) ? "spawn" : s.state === "stopping" ? "stop" : null,
    state: s.state,
    url: serverPath(user, s.name),
    progress_url: progressUrl(user, s.name),
    full_url: base ? (opts.origins?.mode === "per-user" ? userOrigin(opts.origins, user) : base) + serverPath(user, s.name) : null,
    full_progress_url: base ? base + progressUrl(user, s.name) : null,
    started: s.startedAt ? isoText(s.startedAt) : null,
    last_activity: s.lastActivity ? isoText(s.lastActivity) : null,
    message: s.message,
    user_options: options,
    details: opts.describe?.(s) ?? null,
  };
}
