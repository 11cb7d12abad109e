import { test } from "node:test";
import assert from "node:assert/strict";
import { launchFolder, launchServerName } from "./launch-names";

const SERVERNAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const C = "1a2b3c4d5e6f7a8b9c0d1a2b3c4d5e6f7a8b9c0d";

test("launch folder and server name: readable, per commit, within the hub's name rules", () => {
  assert.equal(launchFolder("~/launches/", { shortName: "requirements" }, C), "~/launches/requirements-1a2b3c4d5e6f");
  assert.equal(launchFolder("~/launches", { shortName: "my repo!" }, C), "~/launches/my-repo-1a2b3c4d5e6f");
  const names: [string, string][] = [
    ["requirements", "requirements-1a2b3c4d"],
    ["My.Repo_Name", "my-repo_name-1a2b3c4d"],
    ["a-very-long-repository-name-indeed", "a-very-long-repository-1a2b3c4d"],
    ["---", "launch-1a2b3c4d"],
    ["gist-8f7c2f03", "gist-8f7c2f03-1a2b3c4d"],
  ];
  for (const [shortName, want] of names) {
    const n = launchServerName({ shortName }, C);
    assert.equal(n, want);
    assert.match(n, SERVERNAME_PATTERN);
  }
});
