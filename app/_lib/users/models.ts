// Builds JupyterHub-shaped user JSON from database rows (pure).
import type { ServerModel, UserModel } from "@/app/_lib/models";
import type { DescribeServer } from "@/app/_lib/servers/details";
import { toServerModel, type ServerRow } from "@/app/_lib/servers/models";

interface UserRow {
  name: string;
  admin: boolean;
  createdAt: Date;
  lastActivity: Date | null;
  servers: ServerRow[];
  groups?: { group: { name: string } }[];
}

/** `allServers`: include stopped/failed servers too (the hub's own pages want them); `describe`: servers' details. */
export function toUserModel(u: UserRow, allServers = false, describe?: DescribeServer): UserModel {
  const servers: Record<string, ServerModel> = {};
  for (const s of u.servers) {
    if (allServers || s.state !== "stopped") servers[s.name] = toServerModel(u.name, s, describe);
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
