// The control panel's domain and routes against a real SQLite database (migrations applied): what
// each new route refuses (anonymous, non-admins, a session without its CSRF token, another user),
// the users view's page query against a plain filter of the same rows, bulk jobs run by the
// background runner, blocking, renaming, password changes, GitHub-team groups and the named-server
// limit.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { SPAWNER_KINDS } from "@/spawners/catalog";
import { startTestHub, type TestHub } from "@/app/_lib/testing/hub";
import { seedUsers, seededName } from "@/app/_lib/testing/seed-users";
import { buildSessionCookie, createSession, readSession } from "@/app/_lib/auth/sessions";
import { createApiToken, findTokenOwner } from "@/app/_lib/auth/api-tokens";
import { hashPassword } from "@/app/_lib/auth/passwords";
import { HttpError } from "@/app/_lib/http/errors";
import { readUsersPage } from "./directory";
import { parseUsersView } from "./users-view";
import { blockUser, BLOCKED_STOP_MESSAGE } from "./block";
import { renameUser } from "./rename";
import { editUser } from "./admin";
import { addMembers, createGroup, deleteGroup, getGroup, syncTeamGroups } from "@/app/_lib/groups/groups";
import { startBulkJobRunner } from "@/app/_lib/bulk/runner";
import { requestStart } from "@/app/_lib/servers/commands";
import * as bulkJobs from "@/app/api/admin/bulk-jobs/route";
import * as bulkJob from "@/app/api/admin/bulk-jobs/[id]/route";
import * as groups from "@/app/api/admin/groups/route";
import * as group from "@/app/api/admin/groups/[name]/route";
import * as members from "@/app/api/admin/groups/[name]/members/route";
import * as adminUsers from "@/app/api/admin/users/route";
import * as adminUser from "@/app/api/admin/users/[name]/route";
import * as resetLink from "@/app/api/admin/users/[name]/reset-link/route";
import * as usage from "@/app/api/admin/usage/route";
import * as announcement from "@/app/api/admin/announcement/route";
import * as password from "@/app/api/account/password/route";

let hub: TestHub;
const NOW = new Date();
const SEEDED = 400;

before(async () => {
  hub = await startTestHub({ catalog: SPAWNER_KINDS, config: { hub: { namedServerLimitPerUser: 2 } } });
  await seedUsers(hub.db, { count: SEEDED, now: NOW, groups: 5 });
  await hub.db.user.createMany({
    data: [
      { name: "boss", admin: true, passwordHash: await hashPassword("boss-password-1") },
      { name: "pat", passwordHash: await hashPassword("pat-password-1") },
    ],
  });
});
after(async () => {
  await hub.close();
});

/** A signed-in session of `name`: its cookie and CSRF token. */
async function sessionOf(name: string): Promise<{ cookie: string; csrf: string; id: string }> {
  const user = await hub.db.user.findUniqueOrThrow({ where: { name } });
  const s = await createSession(hub.db, user.id, 3600, "test", new Date());
  const cookie = buildSessionCookie({ sid: s.id, user: name, userId: user.id, expiresAt: s.expiresAt, key: hub.rt.keys.sessionCookie, secure: false });
  return { cookie: cookie.split(";")[0], csrf: s.csrf, id: s.id };
}

/** A route handler, whatever its params (each is called with the params it declares). */
type Handler = (req: Request, ctx: never) => Promise<Response>;

function call(handler: Handler, method: string, path: string, opts: { cookie?: string; csrf?: string; body?: unknown; params?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.csrf) headers["x-gyre-csrf"] = opts.csrf;
  const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return handler(new Request(`http://hub${path}`, { method, headers, body }), { params: Promise.resolve(opts.params ?? {}) } as never);
}

/** Every new route, with a request an admin could make (what a non-admin must be refused). */
const ADMIN_ROUTES: { label: string; handler: Handler; method: string; path: string; params?: Record<string, string>; body?: unknown }[] = [
  { label: "list bulk jobs", handler: bulkJobs.GET, method: "GET", path: "/hub/api/admin/bulk-jobs" },
  { label: "create bulk job", handler: bulkJobs.POST, method: "POST", path: "/hub/api/admin/bulk-jobs", body: { action: "unblock", users: ["pat"] } },
  { label: "read bulk job", handler: bulkJob.GET, method: "GET", path: "/hub/api/admin/bulk-jobs/x", params: { id: "x" } },
  { label: "list groups", handler: groups.GET, method: "GET", path: "/hub/api/admin/groups" },
  { label: "create group", handler: groups.POST, method: "POST", path: "/hub/api/admin/groups", body: { name: "sneaky" } },
  { label: "read group", handler: group.GET, method: "GET", path: "/hub/api/admin/groups/team-0", params: { name: "team-0" } },
  { label: "change group", handler: group.PATCH, method: "PATCH", path: "/hub/api/admin/groups/team-0", params: { name: "team-0" }, body: { name: "x" } },
  { label: "delete group", handler: group.DELETE, method: "DELETE", path: "/hub/api/admin/groups/team-0", params: { name: "team-0" } },
  {
    label: "add members",
    handler: members.POST,
    method: "POST",
    path: "/hub/api/admin/groups/team-0/members",
    params: { name: "team-0" },
    body: { users: ["pat"] },
  },
  {
    label: "remove members",
    handler: members.DELETE,
    method: "DELETE",
    path: "/hub/api/admin/groups/team-0/members",
    params: { name: "team-0" },
    body: { users: ["pat"] },
  },
  { label: "users view", handler: adminUsers.GET, method: "GET", path: "/hub/api/admin/users" },
  { label: "edit user", handler: adminUser.PATCH, method: "PATCH", path: "/hub/api/admin/users/pat", params: { name: "pat" }, body: { admin: true } },
  { label: "reset link", handler: resetLink.POST, method: "POST", path: "/hub/api/admin/users/pat/reset-link", params: { name: "pat" } },
  { label: "usage", handler: usage.GET, method: "GET", path: "/hub/api/admin/usage" },
  { label: "set announcement", handler: announcement.PUT, method: "PUT", path: "/hub/api/admin/announcement", body: { text: "hello" } },
  { label: "remove announcement", handler: announcement.DELETE, method: "DELETE", path: "/hub/api/admin/announcement" },
];

test("every admin route refuses anonymous requests (401), non-admins (403) and an admin session without CSRF token (403)", async () => {
  const pat = await sessionOf("pat");
  const boss = await sessionOf("boss");
  const before = await hub.db.user.findUniqueOrThrow({ where: { name: "pat" } });
  for (const r of ADMIN_ROUTES) {
    const anon = await call(r.handler, r.method, r.path, { params: r.params, body: r.body });
    assert.equal(anon.status, 401, `${r.label}: anonymous`);
    const user = await call(r.handler, r.method, r.path, { params: r.params, body: r.body, cookie: pat.cookie, csrf: pat.csrf });
    assert.equal(user.status, 403, `${r.label}: non-admin`);
    if (r.method !== "GET") {
      const noCsrf = await call(r.handler, r.method, r.path, { params: r.params, body: r.body, cookie: boss.cookie });
      assert.equal(noCsrf.status, 403, `${r.label}: no CSRF token`);
      assert.match(((await noCsrf.json()) as { error?: string; message?: string }).message ?? "", /CSRF/i);
    }
  }
  // nothing changed on the way
  const after = await hub.db.user.findUniqueOrThrow({ where: { name: "pat" } });
  assert.equal(after.admin, before.admin);
  assert.equal(await hub.db.group.count({ where: { name: "sneaky" } }), 0);
  assert.equal(await hub.db.bulkJob.count(), 0);
  assert.equal(await hub.db.setupToken.count(), 0);
});

test("an admin's GET of the users view answers; a bad view is a 400 naming the field", async () => {
  const boss = await sessionOf("boss");
  const ok = await call(adminUsers.GET, "GET", "/hub/api/admin/users?q=chen&size=25", { cookie: boss.cookie });
  assert.equal(ok.status, 200);
  const bad = await call(adminUsers.GET, "GET", "/hub/api/admin/users?size=7", { cookie: boss.cookie });
  assert.equal(bad.status, 400);
  assert.match(JSON.stringify(await bad.json()), /size/);
});

test("the password form: only for a signed-in session with its CSRF token, never with an API token", async () => {
  const anon = await call(password.POST, "POST", "/hub/api/account/password", { body: { current: "a", new: "b" } });
  assert.equal(anon.status, 401);
  const pat = await sessionOf("pat");
  const noCsrf = await call(password.POST, "POST", "/hub/api/account/password", {
    cookie: pat.cookie,
    body: { current: "pat-password-1", new: "x-new-password-9" },
  });
  assert.equal(noCsrf.status, 403);
  const user = await hub.db.user.findUniqueOrThrow({ where: { name: "pat" } });
  const { token } = await createApiToken(hub.db, user.id, {});
  const viaToken = await password.POST(
    new Request("http://hub/hub/api/account/password", {
      method: "POST",
      headers: { authorization: `token ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ current: "pat-password-1", new: "x-new-password-9" }),
    }),
    { params: Promise.resolve({}) },
  );
  assert.equal(viaToken.status, 403);
  const wrong = await call(password.POST, "POST", "/hub/api/account/password", {
    cookie: pat.cookie,
    csrf: pat.csrf,
    body: { current: "nope", new: "x-new-password-9" },
  });
  assert.equal(wrong.status, 403);
});

test("changing your password ends your other sessions and keeps this one", async () => {
  const here = await sessionOf("pat");
  const elsewhere = await sessionOf("pat");
  const r = await call(password.POST, "POST", "/hub/api/account/password", {
    cookie: here.cookie,
    csrf: here.csrf,
    body: { current: "pat-password-1", new: "pat-password-2" },
  });
  assert.equal(r.status, 200, JSON.stringify(await r.clone().json()));
  assert.ok(((await r.json()) as { otherSessionsEnded: number }).otherSessionsEnded >= 1);
  assert.ok(!(await hub.db.session.findUniqueOrThrow({ where: { id: here.id } })).revokedAt);
  assert.ok((await hub.db.session.findUniqueOrThrow({ where: { id: elsewhere.id } })).revokedAt);
});

test("the users view's page query finds what a plain filter of the same rows finds, in order", async () => {
  const all = await hub.db.user.findMany({ include: { groups: { include: { group: true } }, servers: true } });
  const rt = { db: hub.db, dbProvider: hub.rt.dbProvider };
  const read = (q: string) => readUsersPage(rt, parseUsersView(new URLSearchParams(q), { lenient: false }).view);

  const chen = all
    .filter((u) => u.name.includes("chen"))
    .map((u) => u.name)
    .sort();
  const p1 = await read("q=chen&size=25");
  assert.equal(p1.total, chen.length);
  assert.deepEqual(
    p1.users.map((u) => u.name),
    chen.slice(0, 25),
  );
  const p2 = await read("q=chen&size=25&page=2");
  assert.deepEqual(
    p2.users.map((u) => u.name),
    chen.slice(25, 50),
  );

  const prefix = await read(`q=${seededName(7).slice(0, 8)}&match=prefix&size=200`);
  assert.ok(prefix.users.length > 0);
  assert.ok(prefix.users.every((u) => u.name.startsWith(seededName(7).slice(0, 8))));

  const team = all.filter((u) => u.groups.some((m) => m.group.name === "team-2")).map((u) => u.name);
  const inTeam = await read("group=team-2&size=200&sort=name&dir=desc");
  assert.equal(inTeam.total, team.length);
  assert.deepEqual(
    inTeam.users.map((u) => u.name),
    team.sort().reverse().slice(0, 200),
  );
  assert.ok(inTeam.users.every((u) => u.groups.includes("team-2")));

  const running = all.filter((u) => u.servers.some((s) => s.state === "running"));
  const byStart = await read("state=running&sort=started&size=200");
  assert.equal(byStart.total, running.length);
  const starts = byStart.users.map((u) => Math.max(...u.servers.filter((s) => s.state === "running").map((s) => s.startedAt!.getTime())));
  assert.deepEqual(
    starts,
    [...starts].sort((a, b) => b - a),
  );

  const admins = all.filter((u) => u.admin).length;
  assert.equal((await read("admin=yes")).total, admins);
  assert.equal((await read("blocked=no")).total, all.filter((u) => !u.blockedAt).length);
  const nobody = await read("group=no-such-group");
  assert.equal(nobody.total, 0);
  assert.equal(nobody.unknownGroup, true);
});

test("bulk jobs: confirmation and the count the admin saw are required; the runner does each user once and reports per user", async () => {
  const boss = await sessionOf("boss");
  const post = (body: unknown) => call(bulkJobs.POST, "POST", "/hub/api/admin/bulk-jobs", { cookie: boss.cookie, csrf: boss.csrf, body });
  const unconfirmed = await post({ action: "delete", users: ["pat"] });
  assert.equal(unconfirmed.status, 400);
  assert.match(JSON.stringify(await unconfirmed.json()), /confirm/);
  assert.ok(await hub.db.user.findUnique({ where: { name: "pat" } }));

  await createGroup(hub.db, "bulk-target");
  const filter = { q: "fatima" };
  const matching = await hub.db.user.count({ where: { name: { contains: "fatima" } } });
  const stale = await post({ action: "add-to-group", group: "bulk-target", filter, expectedCount: matching + 1 });
  assert.equal(stale.status, 409);

  const created = await post({ action: "add-to-group", group: "bulk-target", filter, expectedCount: matching });
  assert.equal(created.status, 202);
  const { id } = (await created.json()) as { id: string };
  // one user already in the group: reported as skipped, not failed
  await addMembers(hub.db, "bulk-target", [(await hub.db.user.findFirstOrThrow({ where: { name: { contains: "fatima" } } })).name]);

  const stop = startBulkJobRunner(hub.rt);
  try {
    let job: { state: string; succeeded: number; failed: number; total: number; items: { user: string; status: string }[] };
    for (let i = 0; ; i++) {
      const r = await call(bulkJob.GET, "GET", `/hub/api/admin/bulk-jobs/${id}`, { cookie: boss.cookie, params: { id } });
      job = (await r.json()) as typeof job;
      if (job.state === "done") break;
      assert.ok(i < 200, "the bulk job did not finish");
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(job.total, matching);
    assert.equal(job.succeeded, matching);
    assert.equal(job.failed, 0);
    assert.equal(job.items.filter((i) => i.status === "skipped").length, 1);
    assert.equal((await getGroup(hub.db, "bulk-target")).members, matching);
  } finally {
    await stop();
  }
});

test("blocking ends sessions, refuses API tokens and new servers, drops the proxy routes at once and stops servers with a reason", async () => {
  const name = "blockme";
  const user = await hub.db.user.create({ data: { name } });
  const s = await sessionOf(name);
  const { token } = await createApiToken(hub.db, user.id, {});
  await hub.db.server.create({ data: { userId: user.id, name: "", state: "running", spawnerKind: "local", url: "http://127.0.0.1:1/" } });
  await hub.rt.proxy.addRoute(`/user/${name}/`, { user: name, server: "", target: "http://127.0.0.1:1" });

  await editUser(hub.rt, name, { blocked: true }, "boss", new Date());
  assert.equal(await readSession(hub.db, decodeURIComponent(s.cookie.split("=")[1]), hub.rt.keys.sessionCookie, new Date()), null);
  assert.equal(await findTokenOwner(hub.db, token, new Date()), null);
  assert.ok(!hub.routes.routes.has(`/user/${name}/`));
  const server = await hub.db.server.findFirstOrThrow({ where: { userId: user.id } });
  assert.equal(server.state, "stopping");
  assert.equal(server.message, BLOCKED_STOP_MESSAGE);
  await hub.db.server.update({ where: { id: server.id }, data: { state: "stopped" } });
  await assert.rejects(requestStart(hub.db, user.id, "", {}), (err: unknown) => err instanceof HttpError && err.status === 403);
  await assert.rejects(blockUser({ db: hub.db, proxy: hub.rt.proxy, now: new Date() }, "boss", "boss"), /your own account/);

  await editUser(hub.rt, name, { blocked: false }, "boss", new Date());
  assert.notEqual(await findTokenOwner(hub.db, token, new Date()), null, "unblocking lets the tokens work again");
});

test("renaming is refused while a server is active, and ends the user's sessions once done", async () => {
  const user = await hub.db.user.create({ data: { name: "oldname" } });
  const server = await hub.db.server.create({ data: { userId: user.id, name: "", state: "running", spawnerKind: "local" } });
  const mapping = { template: "{username}" };
  await assert.rejects(
    renameUser({ db: hub.db, proxy: hub.rt.proxy, mapping, now: new Date() }, "oldname", "newname"),
    (err: unknown) => err instanceof HttpError && err.status === 409,
  );
  await hub.db.server.update({ where: { id: server.id }, data: { state: "stopped" } });
  const s = await sessionOf("oldname");
  await assert.rejects(renameUser({ db: hub.db, proxy: hub.rt.proxy, mapping, now: new Date() }, "oldname", "pat"), /taken/);
  const r = await editUser(hub.rt, "oldname", { name: "newname" }, "boss", new Date());
  assert.equal(r, "newname");
  assert.ok((await hub.db.session.findUniqueOrThrow({ where: { id: s.id } })).revokedAt);
  await assert.rejects(editUser(hub.rt, "boss", { name: "chief" }, "boss", new Date()), /your own account/);
  await assert.rejects(editUser(hub.rt, "boss", { admin: false }, "boss", new Date()), /own admin rights/);
});

test("GitHub-team groups: members follow the team at login, and hand edits are refused; local groups are kept", async () => {
  const user = await hub.db.user.create({ data: { name: "octo" } });
  await createGroup(hub.db, "local-crew", { members: ["octo"] });
  await syncTeamGroups(hub.db, user.id, ["sci:ocean", "sci:ice"]);
  assert.equal((await getGroup(hub.db, "sci:ocean")).source, "github");
  await assert.rejects(addMembers(hub.db, "sci:ocean", ["pat"]), /GitHub team/);
  await assert.rejects(deleteGroup(hub.db, "sci:ocean"), /GitHub team with members/);
  await assert.rejects(createGroup(hub.db, "sci:fake"), /reserved for GitHub/);
  // removed from the team on GitHub → out of the group at the next login
  await syncTeamGroups(hub.db, user.id, ["sci:ice"]);
  assert.deepEqual((await getGroup(hub.db, "sci:ocean")).memberNames, []);
  assert.deepEqual((await getGroup(hub.db, "sci:ice")).memberNames, ["octo"]);
  assert.deepEqual((await getGroup(hub.db, "local-crew")).memberNames, ["octo"]);
  await deleteGroup(hub.db, "sci:ocean"); // empty now: nothing would bring it back but a member's login
});

test("the named-server limit counts every named server and can be raised for one user", async () => {
  const user = await hub.db.user.create({ data: { name: "many" } });
  await hub.db.server.createMany({
    data: [
      { userId: user.id, name: "a", state: "stopped", spawnerKind: "local" },
      { userId: user.id, name: "b", state: "stopped", spawnerKind: "local" },
    ],
  });
  await assert.rejects(requestStart(hub.db, user.id, "c", {}), /the most this account may have \(2\)/);
  await editUser(hub.rt, "many", { namedServerLimit: 3 }, "boss", new Date());
  assert.equal(await requestStart(hub.db, user.id, "c", {}), "requested");
});
