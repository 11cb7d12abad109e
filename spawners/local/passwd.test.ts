import { test } from "node:test";
import assert from "node:assert/strict";
import { findPasswdEntry, indexPasswdEntries, isValidOsUserName, parseLoginDefsUidMin, parsePasswdLine, passwdFilesFirst, resolveNotebookDir } from "./passwd";
import { findDescendants, isGoneState, parseProcStat } from "./proc-stat";

test("OS account names: strict pattern", () => {
  for (const ok of ["alice", "bob-2", "_svc", "a_b", "x".repeat(32)]) assert.ok(isValidOsUserName(ok), ok);
  for (const bad of ["", "-rf", "Alice", "a b", "a;b", "../x", "a/b", "x".repeat(33), "1abc", "root\n", "a$", "--help"])
    assert.ok(!isValidOsUserName(bad), bad);
});

test("notebookDir template (the osUserTemplate cases are in app/_lib/users/os-account.test.ts)", () => {
  assert.equal(resolveNotebookDir("{home}/work/{username}", { home: "/home/a", username: "alice" }), "/home/a/work/alice");
});

test("parsePasswdLine", () => {
  assert.deepEqual(parsePasswdLine("alice:x:1001:1002:Alice,,,:/home/alice:/bin/bash\n"), {
    name: "alice",
    uid: 1001,
    gid: 1002,
    home: "/home/alice",
    shell: "/bin/bash",
  });
  assert.deepEqual(parsePasswdLine("svc:x:5:5::/srv:"), { name: "svc", uid: 5, gid: 5, home: "/srv", shell: "/bin/sh" });
  assert.equal(parsePasswdLine("garbage"), null);
  assert.equal(parsePasswdLine("a:x:one:2::/h:/bin/sh"), null);
  assert.equal(parsePasswdLine("a:x:1:2::relative:/bin/sh"), null);
});

test("passwdFilesFirst: /etc/passwd answers for getent only when it is the first passwd source, with no action after it", () => {
  assert.equal(passwdFilesFirst("# comment\npasswd:         files systemd\ngroup: files\n"), true);
  assert.equal(passwdFilesFirst("passwd: files"), true);
  assert.equal(passwdFilesFirst("group: sss files\n"), true, "no passwd line: glibc's default is files");
  assert.equal(passwdFilesFirst("passwd: sss files"), false);
  assert.equal(passwdFilesFirst("passwd: compat"), false);
  assert.equal(passwdFilesFirst("passwd: files [SUCCESS=continue] ldap"), false);
  assert.equal(passwdFilesFirst("passwd:"), false);
  assert.equal(passwdFilesFirst("#passwd: files\npasswd: ldap files"), false, "a commented line does not count");
  assert.equal(passwdFilesFirst("passwd: files # then nothing\n"), true);
});

test("findPasswdEntry: the first well-formed line of exactly that name", () => {
  const passwd = [
    "root:x:0:0:root:/root:/bin/bash",
    "+alice::::::",
    "alicex:x:1005:1005::/home/alicex:/bin/sh",
    "alice:x:1001:1001:Alice:/home/alice:/bin/bash",
    "alice:x:2001:2001:later:/home/other:/bin/sh",
  ].join("\n");
  assert.deepEqual(findPasswdEntry(passwd, "alice"), { name: "alice", uid: 1001, gid: 1001, home: "/home/alice", shell: "/bin/bash" });
  assert.equal(findPasswdEntry(passwd, "bob"), null);
  assert.equal(findPasswdEntry(passwd, "alic"), null);
  assert.equal(findPasswdEntry("bob:x:broken", "bob"), null);
});

test("indexPasswdEntries: for every name the entry findPasswdEntry finds", () => {
  const passwd = [
    "root:x:0:0:root:/root:/bin/bash",
    "+alice::::::",
    "-bob::::::",
    "alicex:x:1005:1005::/home/alicex:/bin/sh",
    "carol:x:broken",
    "alice:x:1001:1001:Alice:/home/alice:/bin/bash",
    "alice:x:2001:2001:later:/home/other:/bin/sh",
    "carol:x:1003:1003::/home/carol:",
    " dave:x:1004:1004::/home/dave:/bin/sh",
    "",
  ].join("\n");
  const index = indexPasswdEntries(passwd);
  for (const name of ["root", "alice", "alicex", "alic", "bob", "carol", "dave", "+alice"]) {
    assert.deepEqual(index.get(name) ?? null, findPasswdEntry(passwd, name), name);
  }
  assert.deepEqual([...index.keys()].sort(), ["alice", "alicex", "carol", "root"]);
});

test("parseProcStat counts fields from the last ')' (comm may contain spaces and parens)", () => {
  const line =
    "4242 (jupyter (x) y) S 1 4242 4242 0 -1 4194560 2405 0 0 0 26 5 0 0 20 0 1 0 987654 150000000 9000 18446744073709551615 1 1 0 0 0 0 0 16781312 2 0 0 0 17 1 0 0 0 0 0\n";
  assert.deepEqual(parseProcStat(line), { pid: 4242, state: "S", ppid: 1, pgrp: 4242, startTime: 987654, cpuTicks: 31 });
  assert.equal(parseProcStat("nonsense"), null);
  assert.ok(isGoneState("Z") && !isGoneState("S"));
});

test("findDescendants follows parent links across sessions", () => {
  const p = (pid: number, ppid: number) => ({ pid, ppid, pgrp: pid, state: "S", startTime: pid, cpuTicks: 0 });
  const table = [p(1, 0), p(10, 1), p(11, 10), p(12, 10), p(13, 12), p(20, 1)];
  assert.deepEqual(
    findDescendants(10, table)
      .map((x) => x.pid)
      .sort(),
    [11, 12, 13],
  );
  assert.deepEqual(findDescendants(20, table), []);
});

test("UID_MIN from /etc/login.defs (table-driven)", () => {
  const cases: Array<[text: string, want: number | null]> = [
    ["UID_MIN\t\t\t 1000\nUID_MAX 60000\n", 1000],
    ["# UID_MIN 10\nUID_MIN 500 # old systems\n", 500],
    ["SYS_UID_MIN 100\n", null],
    ["", null],
    ["UID_MIN abc\n", null],
  ];
  for (const [text, want] of cases) assert.equal(parseLoginDefsUidMin(text), want, JSON.stringify(text));
});
