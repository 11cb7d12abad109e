// Sessions and revocations against a real SQLite database (startTestHub): a session belongs to an
// account, not a name; a password change ends the account's other sessions and tells the proxies;
// revoked tokens and sessions are pushed; malformed or extra session cookies are skipped.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { NextFunction, Request, Response } from "express";
import { SPAWNER_KINDS } from "@/spawners/catalog";
import { startTestHub, type TestHub } from "@/app/_lib/testing/hub";
import { updateUser, setPasswordHash } from "@/app/_lib/users/admin";
import { refreshSession } from "@/app/_lib/http/auth-routes";
import { resolveServerTarget } from "@/app/_components/server-target";
import { lookupTokenOwner } from "@/app/_lib/proxy-state";
import { buildSessionCookie, createSession, readRequestSession, readSession, revokeSession } from "./sessions";
import { createApiToken, hashToken, revokeApiToken } from "./api-tokens";

let hub: TestHub;
before(async () => {
  hub = await startTestHub({ catalog: SPAWNER_KINDS, config: { spawner: { kind: "local" } } });
});
after(async () => {
  await hub.close();
});

const key = () => hub.rt.keys.sessionCookie;
/** A live session of `user` and the value of its cookie. */
async function login(user: { id: number; name: string }) {
  const s = await createSession(hub.db, user.id, 3600, "test", new Date());
  const header = buildSessionCookie({ sid: s.id, user: user.name, userId: user.id, expiresAt: s.expiresAt, key: key(), secure: false });
  return { sid: s.id, value: header.slice("gyre-session=".length, header.indexOf(";")) };
}

test("a deleted account's cookie does not open a new account of the same name", async () => {
  const old = await hub.addUser("xena");
  const oldCookie = await login(old);
  await hub.db.session.deleteMany({ where: { userId: old.id } });
  await hub.db.user.delete({ where: { id: old.id } });
  const again = await hub.addUser("xena");
  // the new account's session row under the old session's id cannot exist, but even a cookie
  // naming a live session is refused when its user id is another account's
  const fresh = await login(again);
  assert.equal(await readSession(hub.db, oldCookie.value, key(), new Date()), null);
  assert.equal((await readSession(hub.db, fresh.value, key(), new Date()))?.user.id, again.id);
  const forgedOntoFresh = buildSessionCookie({
    sid: fresh.sid,
    user: "xena",
    userId: old.id,
    expiresAt: new Date(Date.now() + 3600_000),
    key: key(),
    secure: false,
  });
  assert.equal(await readSession(hub.db, forgedOntoFresh.slice(13, forgedOntoFresh.indexOf(";")), key(), new Date()), null, "id of the old account");
});

test("a password change ends the account's other sessions and pushes them to the proxies; the changer's own session stays", async () => {
  const root = await hub.db.user.create({ data: { name: "root1", admin: true } });
  const carol = await hub.addUser("carol");
  const [c1, c2, r1] = [await login(carol), await login(carol), await login(root)];
  hub.routes.revocations.length = 0;
  // an admin resets carol's password: both of carol's sessions end, the admin's does not
  await updateUser(hub.db, "carol", { password: "a-long-new-password-1" }, { name: "root1", sessionId: r1.sid });
  assert.deepEqual(hub.routes.revocations.flatMap((r) => r.sessions ?? []).sort(), [c1.sid, c2.sid].sort());
  for (const c of [c1, c2]) assert.equal(await readSession(hub.db, c.value, key(), new Date()), null);
  assert.ok(await readSession(hub.db, r1.value, key(), new Date()));
  // the admin changes their own password from one browser: their other browser is logged out
  const r2 = await login(root);
  hub.routes.revocations.length = 0;
  await updateUser(hub.db, "root1", { password: "another-long-password" }, { name: "root1", sessionId: r1.sid });
  assert.deepEqual(
    hub.routes.revocations.flatMap((r) => r.sessions ?? []),
    [r2.sid],
  );
  assert.ok(await readSession(hub.db, r1.value, key(), new Date()), "the session that made the change");
  // the reset link (npm run reset-password) goes through setPasswordHash: everything ends
  await setPasswordHash(hub.db, hub.routes, { userId: root.id, passwordHash: "x", now: new Date() });
  assert.equal(await readSession(hub.db, r1.value, key(), new Date()), null);
});

test("logout and token revocation are pushed to the proxies; the token owner says when the token expires", async () => {
  const dan = await hub.addUser("dan");
  const s = await login(dan);
  hub.routes.revocations.length = 0;
  await revokeSession(hub.db, hub.routes, s.sid, new Date());
  assert.deepEqual(hub.routes.revocations, [{ sessions: [s.sid] }]);
  const expiresAt = new Date(Date.now() + 60_000);
  const { token, row } = await createApiToken(hub.db, dan.id, { expiresAt });
  const owner = await lookupTokenOwner(hub.db, token, new Date());
  assert.deepEqual([owner?.user, owner?.user_id, owner?.expires_at], ["dan", dan.id, expiresAt.toISOString()]);
  assert.equal(await revokeApiToken(hub.db, hub.routes, { userId: dan.id, id: row.id, now: new Date() }), true);
  assert.deepEqual(hub.routes.revocations[1], { tokenHashes: [hashToken(token)] });
  assert.equal(await revokeApiToken(hub.db, hub.routes, { userId: dan.id, id: row.id, now: new Date() }), false, "nothing to revoke twice");
  assert.equal(hub.routes.revocations.length, 2);
});

test("malformed and extra session cookies are skipped: the valid one is found, nothing throws", async () => {
  const eve = await hub.addUser("eve");
  const s = await login(eve);
  const other = await login(await hub.addUser("frank"));
  await revokeSession(hub.db, hub.routes, other.sid, new Date());
  const header = `gyre-session=%ff; gyre-session=${other.value}; x=%zz; gyre-session=${s.value}`;
  assert.equal((await readRequestSession(hub.db, header, key(), new Date(), false))?.user.name, "eve");
  assert.equal(await readRequestSession(hub.db, "gyre-session=%ff", key(), new Date(), false), null);
  // the Express middleware in front of every hub request
  for (const cookie of ["gyre-session=%ff", "gyre-session=%E0%A4%A; gyre-session=%"]) {
    const err = await new Promise<unknown>((resolve) => {
      const next: NextFunction = (e?: unknown) => resolve(e ?? null);
      void refreshSession({ headers: { cookie } } as Request, {} as Response, next);
    });
    assert.equal(err, null, cookie);
  }
});

test("spawn pages answer alike for a user who does not exist and one who is not the viewer's", async () => {
  const gina = await hub.addUser("gina");
  await hub.addUser("hal");
  const viewer = { id: gina.id, name: "gina", admin: false, csrfToken: "c", sessionId: "s", sessionExpiresAt: new Date(Date.now() + 3600_000) };
  const hal = await resolveServerTarget(viewer, ["hal"]);
  const ghost = await resolveServerTarget(viewer, ["ghost"]);
  assert.deepEqual({ ...hal, user: "" }, { ...ghost, user: "" });
  assert.deepEqual([hal.allowed, hal.row], [false, null]);
  const halGpu = await resolveServerTarget(viewer, ["hal", "gpu"]);
  const ghostGpu = await resolveServerTarget(viewer, ["ghost", "gpu"]);
  assert.deepEqual({ ...halGpu, user: "" }, { ...ghostGpu, user: "" });
});
