// Password logins under their limits, with real concurrency, on SQLite and on a real PostgreSQL
// (several pooled connections): a burst of guesses gets at most the limit checked, a right
// password inside the burst gets no further than a wrong one, and an attacker's failures do not
// lock the owner out. Real scrypt hashes, so checks overlap the way they do in the hub.
// PostgreSQL on port 7946.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../db/open";
import { applyMigrations } from "../db/migrate";
import type { Db } from "../db/types";
import { startTestPostgres, type TestPostgres } from "../testing/postgres";
import { deriveKey } from "@/proxy/auth/session-cookie";
import { hashPassword } from "./passwords";
import { buildLoginDeviceCookie, checkPasswordLogin, type PasswordLoginOutcome } from "./password-login";

const limits = { loginAttemptsPerWindow: 5, loginAttemptsPerAddress: 50, loginAttemptsPerName: 20, loginWindowSeconds: 300 };
const deviceKey = deriveKey("password-login-test", "login-device");
const RIGHT = "correct horse battery";
let pg: TestPostgres;
const dir = mkdtempSync(join(tmpdir(), "gyre-login-"));

before(async () => {
  pg = await startTestPostgres(7946);
});
after(async () => {
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const tally = (outcomes: PasswordLoginOutcome[]) => {
  const t = { ok: 0, invalid: 0, "rate-limited": 0 };
  for (const o of outcomes) t[o.kind]++;
  return t;
};

for (const provider of ["sqlite", "postgres"] as const) {
  describe(provider, () => {
    let db: Db;
    before(async () => {
      ({ db } = await openDatabase(provider === "sqlite" ? `file:${join(dir, "gyre.db")}` : pg.url));
      await applyMigrations(db, provider, process.cwd());
      const passwordHash = await hashPassword(RIGHT);
      for (const name of ["alice", "bob", "admin", "carol"]) await db.user.create({ data: { name, passwordHash } });
    });
    after(async () => {
      await db.$disconnect();
    });

    const attempt = (name: string, password: string, address: string, cookieHeader?: string) =>
      checkPasswordLogin(db, { name, password, address, cookieHeader, deviceKey, limits, now: new Date() });

    test("30 concurrent wrong guesses: exactly the limit are checked, the rest refused unchecked", async () => {
      const outcomes = await Promise.all(Array.from({ length: 30 }, (_, i) => attempt("alice", `guess-${i}`, "203.0.113.5")));
      assert.deepEqual(tally(outcomes), { ok: 0, invalid: 5, "rate-limited": 25 });
    });

    test("the right password inside a burst of wrong ones does not get in past the limit", async () => {
      const burst = Array.from({ length: 30 }, (_, i) => attempt("bob", `guess-${i}`, "203.0.113.6"));
      // Send the right one while the burst's passwords are still being checked (scrypt takes tens of ms each).
      const pairKey = "login:pair:bob|203.0.113.6";
      for (let waited = 0; waited < 1000 && (await db.loginAttempt.count({ where: { key: pairKey } })) < 5; waited += 5)
        await new Promise((r) => setTimeout(r, 5));
      const right = await attempt("bob", RIGHT, "203.0.113.6");
      const outcomes = await Promise.all(burst);
      assert.equal(right.kind, "rate-limited", "refused like a wrong one");
      assert.equal(tally(outcomes).invalid, 5, "five passwords of the burst were checked");
    });

    test("5 (or 50) wrong passwords from one address do not lock the owner out from another", async () => {
      const attacker = await Promise.all(Array.from({ length: 10 }, () => attempt("admin", "nope-nope-nope", "203.0.113.66")));
      assert.deepEqual(tally(attacker), { ok: 0, invalid: 5, "rate-limited": 5 });
      assert.equal((await attempt("admin", RIGHT, "198.51.100.7")).kind, "ok", "the admin from their own address");
      assert.equal((await attempt("admin", RIGHT, "203.0.113.66")).kind, "rate-limited", "the attacker's address stays limited for that name");
    });

    test("guesses spread over many addresses: limited per name, except for a browser that logged in before", async () => {
      // carol logged in from her laptop earlier: it holds a login-device cookie of her account
      const first = await attempt("carol", RIGHT, "198.51.100.20");
      assert.equal(first.kind, "ok");
      const device = buildLoginDeviceCookie({ user: first.kind === "ok" ? first.user : { id: 0, name: "" }, key: deviceKey, secure: false, now: new Date() });
      const cookie = device.slice(0, device.indexOf(";"));
      // 4 attacker addresses × 5 guesses each reach the per-name limit of 20
      const spread = await Promise.all(Array.from({ length: 20 }, (_, i) => attempt("carol", `g${i}`, `203.0.113.${100 + (i % 4)}`)));
      assert.deepEqual(tally(spread), { ok: 0, invalid: 20, "rate-limited": 0 });
      assert.equal((await attempt("carol", RIGHT, "192.0.2.50")).kind, "rate-limited", "a new browser from a new address: the per-name limit");
      assert.equal((await attempt("carol", RIGHT, "192.0.2.51", cookie)).kind, "ok", "her own browser, from anywhere, still gets in");
      const at = cookie.length - 10;
      const forged = cookie.slice(0, at) + (cookie[at] === "A" ? "B" : "A") + cookie.slice(at + 1);
      assert.equal((await attempt("carol", RIGHT, "192.0.2.52", forged)).kind, "rate-limited", "a forged device cookie is no device");
    });
  });
}
