import { test } from "node:test";
import assert from "node:assert/strict";
import { validateUsername, validateServerName, normalizeUsername } from "./names";
import { HttpError } from "@/app/_lib/http/errors";

test("user names: ASCII capitals are lower-cased, then checked against the documented pattern", () => {
  assert.equal(normalizeUsername("Alice"), "alice");
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

test("names are refused, not normalised into another name: no trimming, no Unicode case folding (table-driven)", () => {
  // Each of these became a valid, different name when input was trimmed and String#toLowerCase'd.
  const cases: Array<[raw: string, why: string]> = [
    ["h\u212Ax", "Kelvin sign K folds to k"],
    ["\u212Aelvin", "Kelvin sign first"],
    ["h\t", "trailing tab"],
    [" alice", "leading space"],
    ["alice ", "trailing space"],
    ["alice\n", "trailing newline"],
    ["\u0130nci", "dotted capital I folds to i + combining dot"],
    ["al\u00adice", "soft hyphen"],
    ["ａlice", "full-width a"],
  ];
  for (const [raw, why] of cases) {
    assert.throws(
      () => validateUsername(raw),
      (e: Error) => e instanceof HttpError && e.status === 400,
      `user ${why}`,
    );
    assert.throws(
      () => validateServerName(raw),
      (e: Error) => e instanceof HttpError && e.status === 400,
      `server ${why}`,
    );
    assert.doesNotMatch(normalizeUsername(raw), /^[a-z][a-z0-9_-]*$/, `lookup name of ${why} matches no valid user`);
  }
  assert.equal(validateServerName("GPU"), "gpu", "ASCII capitals are still lower-cased");
});

test("server names: empty is the default server, reserved words and bad characters are refused", () => {
  assert.equal(validateServerName(undefined), "");
  assert.equal(validateServerName(""), "");
  assert.equal(validateServerName("gpu-1"), "gpu-1");
  assert.equal(validateServerName("2024"), "2024");
  for (const bad of ["proxy", "api", "a/b", "..", "x".repeat(33)]) assert.throws(() => validateServerName(bad), HttpError, bad);
});
