import { test } from "node:test";
import assert from "node:assert/strict";
import { isValidRef } from "./refs";

test("refs that may reach git: git-check-ref-format's rules and no leading '-'", () => {
  const ok = ["HEAD", "main", "feature/x", "v1.0.0", "release-2024.01", "0123456789abcdef0123456789abcdef01234567", "refs/pull/1/head", "a_b"];
  const bad = [
    "",
    "-x",
    "--upload-pack=sh",
    "a..b",
    "a b",
    "a~1",
    "a^",
    "a:b",
    "a?",
    "a*",
    "a[",
    "a\\b",
    "/a",
    "a/",
    "a.",
    ".a",
    "a/.b",
    "a.lock",
    "a//b",
    "a@{1}",
    "@",
    "a\u0001",
    "x".repeat(256),
  ];
  for (const r of ok) assert.equal(isValidRef(r), true, r);
  for (const r of bad) assert.equal(isValidRef(r), false, JSON.stringify(r));
});
