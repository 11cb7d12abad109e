import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import {
  deriveKey,
  signSessionCookie,
  verifySessionCookie,
  readCookie,
  readCookies,
  stripCookie,
  stripCookies,
  pickOneSession,
  deriveServerToken,
} from "./session-cookie";

const key = deriveKey("s3cret", "session-cookie");

test("a signed cookie verifies and yields its claims", () => {
  const v = signSessionCookie({ sid: "abc", user: "alice", uid: 7, exp: 2000 }, key);
  assert.deepEqual(verifySessionCookie(v, key, 1000), { sid: "abc", user: "alice", uid: 7, exp: 2000 });
});

test("a cookie signed before sessions carried the user id is refused (it names the account only by name)", () => {
  const payload = Buffer.from(JSON.stringify({ sid: "abc", user: "alice", exp: 2000 })).toString("base64url");
  const old = `${payload}.${createHmac("sha256", key).update(payload).digest("base64url")}`;
  assert.equal(verifySessionCookie(old, key, 1000), null);
  for (const uid of ["7", 1.5, null, -0.5]) {
    const p = Buffer.from(JSON.stringify({ sid: "abc", user: "alice", uid, exp: 2000 })).toString("base64url");
    assert.equal(verifySessionCookie(`${p}.${createHmac("sha256", key).update(p).digest("base64url")}`, key, 1000), null, String(uid));
  }
});

test("expired, tampered, re-keyed and malformed cookies are rejected", () => {
  const v = signSessionCookie({ sid: "abc", user: "alice", uid: 7, exp: 2000 }, key);
  assert.equal(verifySessionCookie(v, key, 2000), null);
  const forged = Buffer.from(JSON.stringify({ sid: "abc", user: "admin", uid: 1, exp: 2000 })).toString("base64url") + v.slice(v.indexOf("."));
  assert.equal(verifySessionCookie(forged, key, 1000), null);
  assert.equal(verifySessionCookie(v, deriveKey("other", "session-cookie"), 1000), null);
  for (const bad of ["", ".", "a.b.c", "abc", v + "x"]) assert.equal(verifySessionCookie(bad, key, 1000), null);
});

test("cookie header helpers find and strip exactly one cookie", () => {
  const h = "_xsrf=1; gyre-session=a.b; gyre-session-x=2";
  assert.equal(readCookie(h, "gyre-session"), "a.b");
  assert.equal(readCookie(h, "nope"), undefined);
  assert.equal(stripCookie(h, "gyre-session"), "_xsrf=1; gyre-session-x=2");
  assert.equal(stripCookie("gyre-session=a", "gyre-session"), undefined);
});

test("malformed %-escapes in a cookie never throw; every cookie of a name is found", () => {
  assert.equal(readCookie("gyre-session=%ff", "gyre-session"), "%ff");
  assert.equal(readCookie("a=%zz; gyre-session=a%2Eb", "gyre-session"), "a.b");
  assert.deepEqual(readCookies("gyre-session=x; b=1; gyre-session=%ff; gyre-session=y", "gyre-session"), ["x", "%ff", "y"]);
});

test("several session cookies: garbage and forgeries beside the valid one are skipped, the valid one is picked", () => {
  const good = signSessionCookie({ sid: "s1", user: "alice", uid: 7, exp: 2000 }, key);
  const other = signSessionCookie({ sid: "s2", user: "mallory", uid: 9, exp: 2000 }, deriveKey("other", "session-cookie"));
  const pick = (header: string | undefined) => pickOneSession(readCookies(header, "gyre-session"), (v) => verifySessionCookie(v, key, 1000));
  assert.deepEqual(pick(`gyre-session=%ff; gyre-session=${other}; x=1; gyre-session=${good}`), { sid: "s1", user: "alice", uid: 7, exp: 2000 });
  assert.equal(pick("gyre-session=%ff"), null);
  assert.equal(pick(undefined), null);
});

test("server tokens differ per spawn and per secret, and are stable", () => {
  assert.equal(deriveServerToken("s", "spawn1"), deriveServerToken("s", "spawn1"));
  assert.notEqual(deriveServerToken("s", "spawn1"), deriveServerToken("s", "spawn2"));
  assert.notEqual(deriveServerToken("s", "spawn1"), deriveServerToken("t", "spawn1"));
  assert.match(deriveServerToken("s", "x"), /^[0-9a-f]{64}$/);
});

test("several cookies of one name: all values, in order; malformed escapes kept as sent", () => {
  const h = "gyre-session=planted; a=1; gyre-session=mine; gyre-session=%ff";
  assert.deepEqual(readCookies(h, "gyre-session"), ["planted", "mine", "%ff"]);
  assert.equal(readCookie("x=%ff", "x"), "%ff");
  assert.deepEqual(readCookies(h, "gyre-session", 1), ["planted"]);
  assert.equal(stripCookies(h + "; __Host-gyre-session=z; keep=2", ["gyre-session", "__Host-gyre-session"]), "a=1; keep=2");
});

test("one session among several cookies: invalid ones skipped, two different sessions refused", () => {
  const sign = (sid: string, user: string) => signSessionCookie({ sid, user, uid: user.length, exp: 2000 }, key);
  const verify = (v: string) => verifySessionCookie(v, key, 1000);
  const mine = sign("s-mine", "bob");
  const cases: Array<[name: string, values: string[], want: string | null]> = [
    ["one", [mine], "s-mine"],
    ["garbage planted before it", ["junk", mine], "s-mine"],
    ["the same session twice (a re-issued cookie)", [mine, sign("s-mine", "bob")], "s-mine"],
    ["another valid session planted before it: ambiguous, none", [sign("s-attacker", "mallory"), mine], null],
    ["… or after it", [mine, sign("s-attacker", "mallory")], null],
    ["nothing valid", ["junk", "x.y"], null],
    ["none", [], null],
  ];
  for (const [name, values, want] of cases) assert.equal(pickOneSession(values, verify)?.sid ?? null, want, name);
});
