// Builds JupyterHub-shaped user/server JSON from database rows (pure).
import type { ServerModel, UserModel } from "../models";

interface ServerRow {
  name: string;
  state: string;
  url: string | null;
  options: string;
  message: string | null;
  startedAt: Date | null;
  lastActivity: Date | null;
}
interface UserRow {
  name: string;
  admin: boolean;
  createdAt: Date;
  lastActivity: Date | null;
  servers: ServerRow[];
  groups?: { group: { name: string } }[];
}

export function serverPath(user: string, server: string): string {
  return server ? `/user/${user}/${server}/` : `/user/${user}/`;
}

export function progressUrl(user: string, server: string): string {
  return server ? `/hub/api/users/${user}/servers/${server}/progress` : `/hub/api/users/${user}/server/progress`;
}

const PENDING_SPAWN = new Set(["pending", "starting"]);

export function toServerModel(user: string, s: ServerRow): ServerModel {
  let options: Record<string, unknown> = {};
  try {
    options = JSON.parse(s.options);
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
  };
}

/** `allServers`: include stopped/failed servers too (the hub's own pages want them). */
export function toUserModel(u: UserRow, allServers = false): UserModel {
  const servers: Record<string, ServerModel> = {};
  for (const s of u.servers) {
    if (allServers || s.state !== "stopped") servers[s.name] = toServerModel(u.name, s);
  }
  const def = servers[""];
  return {
    kind: "user",
    name: u.name,
    admin: u.admin,
    groups: (u.groups ?? []).map((g) => g.group.name),
    created: u.createdAt.toISOString(),
    last_activity: u.lastActivity?.toISOString() ?? null,
    server: def?.ready ? def.url : null,
    pending: def?.pending ?? null,
    servers,
  };
}
