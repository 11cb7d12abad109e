// The launch allow-list as a table: subject × list → allowed, or the reason the person sees.
import { test } from "node:test";
import assert from "node:assert/strict";
import { decideLaunchAllowed } from "./allow-list";
import { launchAllowSchema } from "@/config/launch-section";
import type { AllowSubject } from "./providers/types";

const list = (over: object) => launchAllowSchema.parse(over);

test("allow-list decisions", () => {
  const cases: [AllowSubject, object, boolean | RegExp][] = [
    // nothing listed: nothing launches (the default)
    [{ kind: "github", owner: "pangeo-data" }, {}, /Repositories of pangeo-data on GitHub cannot be launched.*launch\.allow\.githubOwners/],
    [{ kind: "gitlab", project: "pangeo/x" }, {}, /launch\.allow\.gitlabNamespaces/],
    [{ kind: "gist", user: "alice" }, {}, /launch\.allow\.gistUsers/],
    [{ kind: "git", host: "git.example.org" }, {}, /launch\.allow\.gitHosts/],
    // github owners: case-insensitive, "*" for all
    [{ kind: "github", owner: "Pangeo-Data" }, { githubOwners: ["pangeo-data"] }, true],
    [{ kind: "github", owner: "evil" }, { githubOwners: ["pangeo-data"] }, /evil/],
    [{ kind: "github", owner: "anyone" }, { githubOwners: ["*"] }, true],
    // an owner list does not open gists, and the other way round
    [{ kind: "gist", user: "pangeo-data" }, { githubOwners: ["pangeo-data"] }, /Gists of pangeo-data/],
    [{ kind: "github", owner: "alice" }, { gistUsers: ["alice"] }, /alice/],
    [{ kind: "gist", user: "Alice" }, { gistUsers: ["alice"] }, true],
    // gitlab: a group allows its projects and subgroups, not a group with the same prefix
    [{ kind: "gitlab", project: "pangeo/tutorials/intro" }, { gitlabNamespaces: ["pangeo"] }, true],
    [{ kind: "gitlab", project: "pangeo/intro" }, { gitlabNamespaces: ["pangeo/tutorials"] }, /pangeo\/intro/],
    [{ kind: "gitlab", project: "pangeo-evil/intro" }, { gitlabNamespaces: ["pangeo"] }, /pangeo-evil/],
    [{ kind: "gitlab", project: "x/y" }, { gitlabNamespaces: ["*"] }, true],
    // git hosts: exact host (with port)
    [{ kind: "git", host: "git.example.org" }, { gitHosts: ["git.example.org"] }, true],
    [{ kind: "git", host: "git.example.org:8443" }, { gitHosts: ["git.example.org"] }, /git\.example\.org:8443/],
    [{ kind: "git", host: "evil.git.example.org" }, { gitHosts: ["git.example.org"] }, /evil/],
    [{ kind: "git", host: "git.example.org" }, { githubOwners: ["*"], gitlabNamespaces: ["*"] }, /gitHosts/],
  ];
  for (const [subject, allow, want] of cases) {
    const d = decideLaunchAllowed(subject, list(allow));
    if (want === true) assert.deepEqual(d, { allowed: true }, JSON.stringify([subject, allow]));
    else {
      assert.equal(d.allowed, false, JSON.stringify([subject, allow]));
      assert.match((d as { reason: string }).reason, want as RegExp);
    }
  }
});

test("the config refuses entries that cannot be names", () => {
  assert.throws(() => launchAllowSchema.parse({ githubOwners: ["org/repo"] }));
  assert.throws(() => launchAllowSchema.parse({ gitHosts: ["https://git.example.org"] }));
  assert.throws(() => launchAllowSchema.parse({ gitHosts: ["Git.Example.org"] }));
  assert.throws(() => launchAllowSchema.parse({ gitlabNamespaces: ["../x"] }));
});
