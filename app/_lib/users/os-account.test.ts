import { test } from "node:test";
import assert from "node:assert/strict";
import { OsAccountError, parseOsAccountMap, resolveOsAccount } from "./os-account";

test('the map file: one "hub-user os-account" per line, comments and broken lines skipped, names lower-cased', () => {
  const map = parseOsAccountMap("# hub user → OS\nAlice  asmith\n\nbob bjones # comment\nbroken\n");
  assert.deepEqual(
    [...map],
    [
      ["alice", "asmith"],
      ["bob", "bjones"],
    ],
  );
});

test("map file names are lower-cased by ASCII only: a Kelvin-sign line maps nobody", () => {
  const map = parseOsAccountMap("\u212Aelvin kadmin\nBob bjones\n");
  assert.equal(resolveOsAccount({ userName: "kelvin", mapping: { template: "{username}", map } }), "kelvin");
  assert.equal(resolveOsAccount({ userName: "bob", mapping: { template: "{username}", map } }), "bjones");
});

test("OS account: stored account first, then the map file, then the template; validated (table-driven)", () => {
  const map = parseOsAccountMap("alice asmith\nbob bjones\n");
  const cases: Array<[name: string, opts: Parameters<typeof resolveOsAccount>[0], want: string]> = [
    ["default template: the hub user name", { userName: "alice", mapping: { template: "{username}" } }, "alice"],
    ["template with a prefix", { userName: "alice", mapping: { template: "hub-{username}" } }, "hub-alice"],
    ["map file entry wins over the template", { userName: "ALICE", mapping: { template: "gh-{username}", map } }, "asmith"],
    ["not in the map file: the template", { userName: "Carol", mapping: { template: "gh-{username}", map } }, "gh-carol"],
    ["a stored account wins over both", { userName: "alice", stored: "alice2", mapping: { template: "gh-{username}", map } }, "alice2"],
    ["an empty stored account does not count", { userName: "bob", stored: "", mapping: { template: "{username}", map } }, "bjones"],
    ["one shared account", { userName: "dave", mapping: { template: "jovyan" } }, "jovyan"],
  ];
  for (const [name, opts, want] of cases) assert.equal(resolveOsAccount(opts), want, name);
});

test("a mapping that yields an invalid account name is refused with a message naming the options", () => {
  for (const [template, stored] of [
    ["../{username}", null],
    ["{username} x", null],
    ["-{username}", null],
    ["{username}", "root;id"],
    ["x".repeat(40), null],
  ] as const) {
    assert.throws(
      () => resolveOsAccount({ userName: "carol", stored, mapping: { template } }),
      (e: Error) => e instanceof OsAccountError && /not a valid account name/.test(e.message) && /hub\.osUserTemplate/.test(e.message),
      `${template} / ${stored}`,
    );
  }
});
