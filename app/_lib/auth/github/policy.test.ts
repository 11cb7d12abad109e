import { test } from "node:test";
import assert from "node:assert/strict";
import { decideGitHubLogin, mapGitHubUsername, needsOrgData, resolveAccount, type GitHubRules } from "./policy";

const none: GitHubRules = { allowedUsers: [], allowedOrganizations: [], allowedTeams: [], adminUsers: [], adminTeams: [] };
const rules: GitHubRules = {
  allowedUsers: ["Alice"],
  allowedOrganizations: ["pangeo-data"],
  allowedTeams: ["science:hub-users"],
  adminUsers: ["root-gh"],
  adminTeams: ["science:admins"],
};

test("who may log in, and as what (table-driven)", () => {
  const cases: Array<[name: string, login: string, orgs: string[], teams: string[], r: GitHubRules, want: string]> = [
    ["listed user (case-insensitive)", "alice", [], [], rules, "allow user"],
    ["org member", "bob", ["Pangeo-Data"], [], rules, "allow organization"],
    ["team member", "carol", ["science"], ["science:hub-users"], rules, "allow team"],
    ["member of another team of the org", "dave", ["science"], ["science:other"], rules, "deny not-listed"],
    ["admin team only", "erin", ["science"], ["science:admins"], rules, "allow admin admin"],
    ["admin user only", "Root-GH", [], [], rules, "allow admin admin"],
    ["admin team and allowed user", "alice", ["science"], ["science:admins"], rules, "allow user admin"],
    ["nobody", "mallory", ["evil"], ["evil:all"], rules, "deny not-listed"],
    ["no rules at all", "alice", [], [], none, "deny no-rules"],
  ];
  for (const [name, login, orgs, teams, r, want] of cases) {
    const d = decideGitHubLogin({ login, orgs, teams }, r);
    const got = d.allowed ? `allow ${d.via}${d.admin ? " admin" : ""}` : `deny ${d.reason}`;
    assert.equal(got, want, name);
  }
});

test("team memberships become groups, lower-cased and sorted", () => {
  const d = decideGitHubLogin({ login: "carol", orgs: [], teams: ["Science:hub-users", "other:x"] }, rules);
  assert.ok(d.allowed);
  assert.deepEqual(d.allowed && d.groups, ["other:x", "science:hub-users"]);
});

test("read:org only when organisation or team rules exist", () => {
  assert.equal(needsOrgData({ ...none, allowedUsers: ["a"], adminUsers: ["b"] }), false);
  assert.equal(needsOrgData({ ...none, allowedOrganizations: ["o"] }), true);
  assert.equal(needsOrgData({ ...none, allowedTeams: ["o:t"] }), true);
  assert.equal(needsOrgData({ ...none, adminTeams: ["o:t"] }), true);
});

test("GitHub login → hub user name", () => {
  assert.equal(mapGitHubUsername("Alice-Smith"), "alice-smith");
  // JupyterHub's limits: a digit first and GitHub's 39 characters are valid hub names.
  assert.equal(mapGitHubUsername("1alice"), "1alice");
  assert.equal(mapGitHubUsername("A".repeat(39)), "a".repeat(39));
  assert.equal(mapGitHubUsername("-alice"), null, "a letter or digit first");
  // Unicode case folding would turn these into someone else's name; they are refused instead.
  assert.equal(mapGitHubUsername("\u212Aelvin"), null, "Kelvin sign");
  assert.equal(mapGitHubUsername("alice "), null, "trailing space");
});

test("GitHub names compare by ASCII case only; team names that are not ASCII become no group", () => {
  const kelvin = decideGitHubLogin({ login: "\u212Aelvin", orgs: [], teams: [] }, { ...none, allowedUsers: ["kelvin"] });
  assert.equal(kelvin.allowed, false, "the Kelvin sign is not a K");
  const d = decideGitHubLogin({ login: "carol", orgs: [], teams: ["science:hub-users", "\u212Aelvin:team", "x:te am"] }, rules);
  assert.deepEqual(d.allowed && d.groups, ["science:hub-users"]);
});

test("which hub account a GitHub login may use (table-driven)", () => {
  const local = { githubId: null, passwordHash: "scrypt$…" };
  const cases: Array<[name: string, o: Parameters<typeof resolveAccount>[0], want: string]> = [
    ["new person", { githubId: "7", byName: null, byGithubId: null, linkLocalAccounts: false }, "create"],
    [
      "returning person",
      { githubId: "7", byName: { githubId: "7", passwordHash: null }, byGithubId: { name: "alice" }, linkLocalAccounts: false },
      "use-linked",
    ],
    ["renamed on GitHub", { githubId: "7", byName: null, byGithubId: { name: "old-name" }, linkLocalAccounts: false }, "use-linked"],
    ["local password account", { githubId: "7", byName: local, byGithubId: null, linkLocalAccounts: false }, "refuse local-exists"],
    ["local account, linking on", { githubId: "7", byName: local, byGithubId: null, linkLocalAccounts: true }, "use-name"],
    [
      "admin-made account without password",
      { githubId: "7", byName: { githubId: null, passwordHash: null }, byGithubId: null, linkLocalAccounts: false },
      "use-name",
    ],
    [
      "name linked to another GitHub id",
      { githubId: "7", byName: { githubId: "8", passwordHash: null }, byGithubId: null, linkLocalAccounts: true },
      "refuse taken",
    ],
  ];
  for (const [name, o, want] of cases) {
    const r = resolveAccount(o);
    assert.equal(r.action === "refuse" ? `refuse ${r.reason}` : r.action, want, name);
  }
});
