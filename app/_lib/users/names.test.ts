import { test } from "node:test";
import assert from "node:assert/strict";
import { validateUsername, validateServerName, normalizeUsername } from "./names";
import { HttpError } from "@/app/_lib/http/errors";

test("user names are trimmed and lower-cased, then checked against the documented pattern", () => {
  assert.equal(normalizeUsername("  Alice "), "alice");
  for (const ok of ["alice", "a", "bob-2", "c_d", "x".repeat(32)]) assert.equal(validateUsername(ok), ok);
  assert.equal(validateUsername("ALICE"), "alice");
  for (const bad of ["", "   ", "1alice", "-x", "al ice", "al/ice", "al.ice", "x".repeat(33), "ädmin", "a;rm", "$(id)"]) {
    assert.throws(
      () => validateUsername(bad),
      (e: Error) => e instanceof HttpError && e.status === 400 && /letter first|required/.test(e.message),
      bad,
    );
  }
  assert.throws(() => validateUsername(42), /required/);
});

test("server names: empty is the default server, reserved words and bad characters are refused", () => {
  assert.equal(validateServerName(undefined), "");
  assert.equal(validateServerName(""), "");
  assert.equal(validateServerName("gpu-1"), "gpu-1");
  assert.equal(validateServerName("2024"), "2024");
  for (const bad of ["proxy", "api", "a/b", "..", "x".repeat(33)]) assert.throws(() => validateServerName(bad), HttpError, bad);
});
