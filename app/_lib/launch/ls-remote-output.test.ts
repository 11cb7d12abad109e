import { test } from "node:test";
import assert from "node:assert/strict";
import { pickLsRemoteCommit } from "./ls-remote-output";

const A = "a".repeat(40),
  B = "b".repeat(40),
  C = "c".repeat(40),
  D = "d".repeat(40),
  E = "e".repeat(40);
const OUT = [
  `${A}\tHEAD`,
  `${B}\trefs/heads/main`,
  `${C}\trefs/tags/v1`,
  `${D}\trefs/tags/v1^{}`,
  `${E}\trefs/remotes/origin/main`,
  `${A}\trefs/heads/v2`,
  `${C}\trefs/tags/v2`,
  "",
].join("\n");

test("ls-remote output: HEAD, branch before tag, the peeled commit of an annotated tag", () => {
  assert.equal(pickLsRemoteCommit(OUT, "HEAD"), A);
  assert.equal(pickLsRemoteCommit(OUT, "main"), B);
  assert.equal(pickLsRemoteCommit(OUT, "v1"), D);
  assert.equal(pickLsRemoteCommit(OUT, "v2"), A);
  assert.equal(pickLsRemoteCommit(OUT, "refs/tags/v1"), C);
  assert.equal(pickLsRemoteCommit(OUT, "nope"), null);
  assert.equal(pickLsRemoteCommit("garbage\n", "main"), null);
});
