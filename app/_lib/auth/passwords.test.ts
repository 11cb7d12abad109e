import { test } from "node:test";
import assert from "node:assert/strict";
import { hashPassword, verifyPassword } from "./passwords";

test("passwords are stored as salted scrypt hashes and verify only with the right password", async () => {
  const h = await hashPassword("correct horse");
  assert.match(h, /^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  assert.ok(!h.includes("correct horse"));
  assert.notEqual(h, await hashPassword("correct horse"), "salted");
  assert.equal(await verifyPassword("correct horse", h), true);
  assert.equal(await verifyPassword("correct horsE", h), false);
  assert.equal(await verifyPassword("x", null), false);
  assert.equal(await verifyPassword("x", "md5$abc"), false);
});
