// Paths of a server and JupyterHub-shaped server JSON from database rows (pure). The user JSON
// around it is app/_lib/users/models.ts.
import type { ServerModel } from "../models";
import type { DescribeServer } from "./details";

export interface ServerRow {
  name: string;
  state: string;
  spawnerKind: string;
  spawnerState: string;
  url: string | null;
  options: string;
  message: string | null;
  startedAt: Date | null;
  lastActivity: Date | null;
}

export function serverPath(user: string, server: string): string {
  return server ? `/user/${user}/${server}/` : `/user/${user}/`;
}

export function progressUrl(user: string, server: string): string {
  return server ? `/hub/api/users/${user}/servers/${server}/progress` : `/hub/api/users/${user}/server/progress`;
}

const PENDING_SPAWN = new Set(["pending", "starting"]);

/** `describe`: what the server's spawner kind says about it beyond its state (details.ts). */
export function toServerModel(user: string, s: ServerRow, describe?: DescribeServer): ServerModel {
  let options: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(s.options);
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) options = parsed as Record<string, unknown>;
  } catch {
    /* stored by us; an unreadable blob shows as no options */
  }
  return {
    name: s.name,
    ready: s.state === "running",
    pending: PENDING_SPAWN.has(s.state) ? "spawn" : s.state === "stopping" ? "stop" : null,
    state: s.state,
    url: serverPath(user, s.name),
    progress_url: progressUrl(user, s.name),
    started: s.startedAt?.toISOString() ?? null,
    last_activity: s.lastActivity?.toISOString() ?? null,
    message: s.message,
    user_options: options,
    details: describe?.(s) ?? null,
  };
}
