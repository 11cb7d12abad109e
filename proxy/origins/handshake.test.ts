import { test } from "node:test";
import assert from "node:assert/strict";
import { deriveKey } from "@/proxy/auth/session-cookie";
import {
  buildOriginCookie,
  hashState,
  isNextOnOrigin,
  isStateHash,
  originCookieNames,
  signOriginCode,
  signOriginSession,
  verifyOriginCode,
  verifyOriginSession,
  type OriginCode,
} from "./handshake";
import { userLabel } from "./user-label";

const codeKey = deriveKey("s3cret-s3cret-s3cret-s3cret-s3cret", "origin-code");
const sessionKey = deriveKey("s3cret-s3cret-s3cret-s3cret-s3cret", "origin-session");
const STATE = "random-state-value";
const CODE: OriginCode = {
  host: "alice.localhost",
  state: hashState(STATE),
  next: "/user/alice/tree",
  sid: "sid-1",
  user: "admin",
  uid: 1,
  sexp: 5000,
  exp: 1060,
};
const verify = (value: string, o: Partial<{ host: string; stateCookies: string[]; nowSeconds: number; key: Buffer }> = {}) =>
  verifyOriginCode(value, o.key ?? codeKey, { host: o.host ?? "alice.localhost", stateCookies: o.stateCookies ?? [STATE], nowSeconds: o.nowSeconds ?? 1000 });

test("a code verifies on its host, in time, with the state cookie of the browser that asked for it", () => {
  assert.deepEqual(verify(signOriginCode(CODE, codeKey)), CODE);
  // A cookie planted beside ours (another path or a parent domain) does not hide ours.
  assert.deepEqual(verify(signOriginCode(CODE, codeKey), { stateCookies: ["planted", STATE] }), CODE);
});

test("codes refused, one row per reason", () => {
  const good = signOriginCode(CODE, codeKey);
  const forged = Buffer.from(JSON.stringify({ t: "code", ...CODE, user: "root" })).toString("base64url") + good.slice(good.indexOf("."));
  const cases: Array<[name: string, got: ReturnType<typeof verify>, want: string]> = [
    ["expired (at its expiry second)", verify(good, { nowSeconds: 1060 }), "expired"],
    ["another host", verify(good, { host: "bob.localhost" }), "wrong-host"],
    ["another browser's state", verify(good, { stateCookies: ["other-state"] }), "wrong-state"],
    ["the state's hash as cookie (only the URL was seen)", verify(good, { stateCookies: [hashState(STATE)] }), "wrong-state"],
    ["no state cookie", verify(good, { stateCookies: [] }), "no-state"],
    ["signed with another key", verify(good, { key: sessionKey }), "bad-signature"],
    ["claims edited", verify(forged), "bad-signature"],
    [
      "a user-origin cookie is not a code",
      verify(signOriginSession({ host: "alice.localhost", sid: "s", user: "a", uid: 1, exp: 5000 }, codeKey)),
      "malformed",
    ],
    ["garbage", verify("abc"), "malformed"],
    ["two dots", verify("a.b.c"), "malformed"],
  ];
  for (const [name, got, want] of cases) assert.equal(got, want, name);
});

test("the user-origin cookie is bound to its host and expires", () => {
  const v = signOriginSession({ host: "alice.localhost", sid: "sid-1", user: "alice", uid: 2, exp: 2000 }, sessionKey);
  assert.deepEqual(verifyOriginSession(v, sessionKey, "alice.localhost", 1999), { host: "alice.localhost", sid: "sid-1", user: "alice", uid: 2, exp: 2000 });
  assert.equal(verifyOriginSession(v, sessionKey, "bob.localhost", 1000), null, "replayed on another user's origin");
  assert.equal(verifyOriginSession(v, sessionKey, "alice.localhost", 2000), null, "expired");
  assert.equal(verifyOriginSession(v, codeKey, "alice.localhost", 1000), null, "another key");
  assert.equal(verifyOriginSession(signOriginCode(CODE, sessionKey), sessionKey, "alice.localhost", 1000), null, "a code is not a cookie");
});

test("next must stay under the owner's prefix on that owner's origin", () => {
  const cases: Array<[next: string, label: string, ok: boolean]> = [
    ["/user/alice/tree", "alice", true],
    ["/user/alice/", "alice", true],
    ["/user/al%69ce/tree", "alice", true],
    ["/user/bob/tree", "alice", false],
    ["/user/alice", "alice", false],
    ["/hub/home", "alice", false],
    ["//evil.example/user/alice/", "alice", false],
    ["https://evil.example/user/alice/", "alice", false],
    ["/user/alice/\\evil", "alice", false],
    ["/user/alice/x\r\nSet-Cookie: a=b", "alice", false],
    ["/user/%ff/x", "alice", false],
    ["/user/alice_smith/x", userLabel("alice_smith"), true],
  ];
  for (const [next, label, ok] of cases) assert.equal(isNextOnOrigin(next, label, userLabel), ok, next);
});

test("state hashes, cookie names and attributes", () => {
  assert.ok(isStateHash(hashState("x")));
  assert.ok(!isStateHash("short"));
  assert.ok(!isStateHash(hashState("x") + "="));
  assert.deepEqual(originCookieNames(true), { session: "__Host-gyre-user-origin", state: "__Host-gyre-origin-state" });
  assert.equal(
    buildOriginCookie("gyre-user-origin", "v", { maxAgeSeconds: 30.7, secure: false }),
    "gyre-user-origin=v; Path=/; HttpOnly; SameSite=Lax; Max-Age=30",
  );
  assert.equal(buildOriginCookie("__Host-x", "", { maxAgeSeconds: -5, secure: true }), "__Host-x=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Secure");
});
