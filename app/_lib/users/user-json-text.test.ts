// userJsonText: the users list's JSON written without models — byte for byte what JSON.stringify
// gives for withUserRoles(toUserModel(row)) for every field type: nulls, both date forms, servers
// (running, pending, stopping, stopped with and without include_stopped_servers, options, details,
// per-user origins), groups, configured roles by name and by group, admin, names with quotes,
// backslashes, control characters and non-ASCII text.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { RoleConfig } from "@/config/roles-section";
import type { ServerRow } from "@/app/_lib/servers/models";
import { resolveOriginPlan } from "@/proxy/origins/origin-plan";
import { toUserModel, userJsonText, withUserRoles, type UserModelOptions, type UserRow } from "./models";

const server = (over: Partial<ServerRow>): ServerRow => ({
  name: "",
  state: "running",
  spawnerKind: "local",
  spawnerState: "{}",
  url: "http://127.0.0.1:9000/",
  options: "{}",
  message: null,
  startedAt: "2026-12-04T19:13:00.123Z",
  lastActivity: null,
  ...over,
});

const groups = (...names: string[]) => names.map((name) => ({ group: { name } }));

const ROWS: Record<string, UserRow> = {
  "no servers, no groups, never active": { name: "alice", admin: false, createdAt: "2026-12-04T19:13:00.123Z", lastActivity: null, servers: [] },
  "an admin, dates as Date objects (PostgreSQL)": {
    name: "root",
    admin: true,
    createdAt: new Date("2026-01-02T03:04:05.006Z"),
    lastActivity: new Date("2026-12-04T00:00:00.000Z"),
    servers: [],
    groups: groups("staff"),
  },
  "a name with quotes, backslashes, control characters and non-ASCII text": {
    name: 'o"neil\\x\u0001\n\t\u2028é🌊',
    admin: false,
    createdAt: "2026-12-04T19:13:00.123Z",
    lastActivity: "2026-12-04T19:14:00.000Z",
    servers: [],
    groups: groups('a "group"', "ocean", "ünïcode"),
  },
  "no groups key at all": { name: "bob", admin: false, createdAt: "2026-12-04T19:13:00.123Z", lastActivity: null, servers: [], groups: undefined },
  "a running default server and a stopped named one": {
    name: "carol",
    admin: false,
    createdAt: "2026-12-04T19:13:00.123Z",
    lastActivity: "2026-12-04T19:20:00.000Z",
    servers: [
      server({ lastActivity: "2026-12-04T19:20:00.000Z", options: '{"profile":"gpu","n":1.5,"nested":{"a":[1,null,"x\\"y"]}}' }),
      server({ name: "gpu", state: "stopped", url: null, startedAt: null }),
    ],
    groups: groups("class"),
  },
  "a pending default server": {
    name: "dan",
    admin: false,
    createdAt: "2026-12-04T19:13:00.123Z",
    lastActivity: null,
    servers: [server({ state: "pending", url: null, startedAt: null })],
  },
  "a stopping default server, a starting named one with a message and unreadable options": {
    name: "erin",
    admin: true,
    createdAt: "2026-12-04T19:13:00.123Z",
    lastActivity: null,
    servers: [server({ state: "stopping" }), server({ name: "big", state: "starting", message: 'queued "long"', options: "not json" })],
  },
  "only a named server, running": { name: "fay", admin: false, createdAt: "2026-12-04T19:13:00.123Z", lastActivity: null, servers: [server({ name: "x" })] },
  "a failed default server": {
    name: "gus",
    admin: false,
    createdAt: "2026-12-04T19:13:00.123Z",
    lastActivity: null,
    servers: [server({ state: "failed", message: "exit 1" })],
  },
};

const ROLES: RoleConfig[] = [
  { name: "teacher", description: "", scopes: ["admin:users"], users: ["carol", 'o"neil\\x\u0001\n\t\u2028é🌊'], groups: [], services: [] },
  { name: "swimmer", description: "", scopes: ["read:users"], users: [], groups: ["ocean", "class"], services: [] },
] as RoleConfig[];

const OPTIONS: Record<string, UserModelOptions> = {
  "no public URL": {},
  "public URL, details": { publicUrl: "https://hub.example.org", describe: (s) => (s.state === "stopped" ? null : { host: `node "${s.state}"`, pid: 42 }) },
  "include stopped servers": { allServers: true, publicUrl: "https://hub.example.org/" },
  "per-user origins": {
    publicUrl: "https://hub.example.org",
    origins: resolveOriginPlan({ publicUrl: "https://hub.example.org", userDomain: "users.example.org" }),
  },
};

test("every row, under every option and roles config, is written as JSON.stringify writes its model", () => {
  assert.equal(OPTIONS["per-user origins"].origins!.mode, "per-user");
  for (const [what, row] of Object.entries(ROWS))
    for (const [how, opts] of Object.entries(OPTIONS))
      for (const roles of [[], ROLES]) {
        const expected = JSON.stringify(withUserRoles(toUserModel(row, opts), roles));
        assert.equal(userJsonText(row, roles, opts), expected, `${what}, ${how}, ${roles.length} roles`);
      }
});

test("the text parses back to the model (it is JSON, not just equal strings by accident)", () => {
  const row = ROWS["a running default server and a stopped named one"];
  assert.deepEqual(JSON.parse(userJsonText(row, ROLES, {})), withUserRoles(toUserModel(row, {}), ROLES));
});
