import { test } from "node:test";
import assert from "node:assert/strict";
import { validateUsername, validateServerName, normalizeUsername, USERNAME_PATTERN } from "./names";
import { HttpError } from "@/app/_lib/http/errors";

test("user names: JupyterHub's limits (up to 255 of [a-z0-9._-], a letter or digit first, no '..'), after ASCII lower-casing", () => {
  assert.equal(normalizeUsername("Alice"), "alice");
  const binder = "binder-examples-requirements-1a2b3c4d5e"; // BinderHub's launcher: 40 characters
  for (const ok of ["alice", "a", "7", "bob-2", "c_d", "1alice", "al.ice", "a.b.c", "alice.", binder, "x".repeat(32), "x".repeat(255)]) {
    assert.equal(validateUsername(ok), ok);
  }
  assert.equal(validateUsername("ALICE.Smith"), "alice.smith");
  const bad = [
    "",
    "   ",
    "-x",
    "_x",
    ".x",
    ".",
    "..",
    "a..b",
    "a/../b",
    "x..",
    "al ice",
    "al/ice",
    "al\\ice",
    "al%2eice",
    "x".repeat(256),
    "ädmin",
    "a;rm",
    "$(id)",
    "a:b",
    "a@b",
  ];
  for (const name of bad) {
    assert.throws(
      () => validateUsername(name),
      (e: Error) => e instanceof HttpError && e.status === 400 && /letter or digit first|required/.test(e.message),
      name,
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
    assert.doesNotMatch(normalizeUsername(raw), USERNAME_PATTERN, `lookup name of ${why} matches no valid user`);
  }
  assert.equal(validateServerName("GPU"), "gpu", "ASCII capitals are still lower-cased");
});

test("server names: empty is the default server, reserved words and bad characters are refused", () => {
  assert.equal(validateServerName(undefined), "");
  assert.equal(validateServerName(""), "");
  assert.equal(validateServerName("gpu-1"), "gpu-1");
  assert.equal(validateServerName("2024"), "2024");
  assert.equal(validateServerName("v1.2"), "v1.2");
  assert.equal(validateServerName("x".repeat(255)), "x".repeat(255));
  for (const bad of ["proxy", "api", "a/b", ".", "..", ".hidden", "a..b", "-a", "x".repeat(256)]) assert.throws(() => validateServerName(bad), HttpError, bad);
});

test("the name pattern itself refuses capitals: only validateUsername's ASCII lower-casing lets 'Alice' in, as 'alice'", () => {
  for (const raw of ["Alice", "aLICE", "A", "binder-Examples"]) assert.doesNotMatch(raw, USERNAME_PATTERN, raw);
  assert.equal(validateUsername("Binder-Examples.IO"), "binder-examples.io");
});
