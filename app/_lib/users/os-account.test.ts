import { test } from "node:test";
import assert from "node:assert/strict";
import { deriveOsAccount, OsAccountError, parseOsAccountMap, resolveOsAccount } from "./os-account";

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

test("long, dotted or digit-first hub names get a derived account: deterministic, within useradd's limits, never another user's", () => {
  const binder = "binder-examples-requirements-1a2b3c4d5e";
  const cases: Array<[why: string, userName: string, template: string, want: string]> = [
    ["a plain name is its own account", "alice", "{username}", "alice"],
    ["a dot: derived", "alice.smith", "{username}", "alice-smith--6342582757b1ffe0"],
    ["a digit first: derived with a letter first", "1234", "{username}", "u1234--03ac674216f3e15c"],
    ["32 characters (useradd's pattern here allows 31): derived", "a".repeat(32), "{username}", "aaaaaaaaaaaaa--3ba3f5f43b926026"],
    ["a short name through a prefix template stays readable", "1234", "gh-{username}", "gh-1234"],
    ["a valid name that looks derived is derived itself", "ab--0123456789abcdef", "{username}", "ab-0123456789--326419a72ac10f13"],
  ];
  for (const [why, userName, template, want] of cases) assert.equal(resolveOsAccount({ userName, mapping: { template } }), want, why);
  for (const template of ["{username}", "gh-{username}", "hub_{username}_x"]) {
    const seen = new Map<string, string>();
    const names = [binder, "x".repeat(255), "x".repeat(254), "9".repeat(255), "a.b", "a-b", "a_b", "a.b.", "a-b-", "ab--0123456789abcdef"];
    for (let i = 0; i < 2000; i++) names.push(`binder-${i.toString(36)}.${"q".repeat(i % 240)}`);
    for (const userName of names) {
      const account = resolveOsAccount({ userName, mapping: { template } });
      assert.match(account, /^[a-z_][a-z0-9_-]{0,30}$/, `${template} ${userName}`);
      assert.equal(resolveOsAccount({ userName, mapping: { template } }), account, "deterministic");
      const other = seen.get(account);
      assert.ok(other === undefined || other === userName, `${userName} and ${other} share ${account}`);
      seen.set(account, userName);
    }
    // Derived accounts never equal an underived one: a plain name of the derived shape is derived too.
    for (const account of seen.keys()) {
      if (!/--[0-9a-f]{16}$/.test(account)) continue;
      assert.notEqual(resolveOsAccount({ userName: account, mapping: { template: "{username}" } }), account);
    }
  }
});

test("a stored account or a map file entry is used as it is, also for long names; a template bad in itself is still refused", () => {
  const long = "x".repeat(200);
  assert.equal(resolveOsAccount({ userName: long, stored: "xlong", mapping: { template: "{username}" } }), "xlong");
  assert.equal(resolveOsAccount({ userName: long, mapping: { template: "{username}", map: new Map([[long, "xmapped"]]) } }), "xmapped");
  assert.equal(deriveOsAccount("jovyan"), "jovyan");
  for (const template of ["../{username}", "-{username}", "{username}/x", "x".repeat(40) + "{username}"]) {
    assert.throws(() => resolveOsAccount({ userName: "binder-abc.def", mapping: { template } }), OsAccountError, template);
  }
});
