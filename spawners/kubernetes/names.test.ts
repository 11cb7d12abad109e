import { test } from "node:test";
import assert from "node:assert/strict";
import { buildLabelValue, buildObjectName, DNS1123_LABEL, escapeName, LABEL_VALUE, MAX_NAME_LENGTH } from "./names";

test("escapeName keeps [a-z0-9] and hex-escapes every other UTF-8 byte", () => {
  const cases: Array<[string, string]> = [
    ["alice", "alice"],
    ["a.b", "a-2eb"],
    ["a-2eb", "a-2d2eb"],
    ["Alice", "-41lice"],
    ["a_b", "a-5fb"],
    ["é", "-c3-a9"],
    ["🙂", "-f0-9f-99-82"],
    ["user@example.org", "user-40example-2eorg"],
    ["", ""],
  ];
  for (const [raw, want] of cases) assert.equal(escapeName(raw), want, JSON.stringify(raw));
});

test("buildObjectName: readable names for ordinary users and servers", () => {
  const cases: Array<[Parameters<typeof buildObjectName>[0], string]> = [
    [{ kind: "pod", userName: "alice" }, "jupyter-alice"],
    [{ kind: "pod", userName: "alice", serverName: "" }, "jupyter-alice"],
    [{ kind: "pod", userName: "alice", serverName: "gpu" }, "jupyter-alice--gpu"],
    [{ kind: "pvc", userName: "alice" }, "claim-alice"],
    [{ kind: "pvc", userName: "alice", serverName: "gpu" }, "claim-alice--gpu"],
    [{ kind: "secret", userName: "alice", serverName: "gpu" }, "jupyter-token-alice--gpu"],
    [{ kind: "pod", userName: "a.b" }, "jupyter-a-2eb"],
    [{ kind: "pod", userName: "alice", serverName: ".a" }, "jupyter-alice---2ea"],
    [{ kind: "pod", userName: "Zoë" }, "jupyter--5ao-c3-ab"],
  ];
  for (const [opts, want] of cases) assert.equal(buildObjectName(opts), want, JSON.stringify(opts));
});

test("buildObjectName: long names are cut to 63 with a hash suffix, deterministically", () => {
  const long = "a".repeat(100);
  const name = buildObjectName({ kind: "pod", userName: long });
  assert.equal(name.length, MAX_NAME_LENGTH);
  assert.match(name, /^jupyter-a{39}---h[0-9a-f]{12}$/);
  assert.equal(buildObjectName({ kind: "pod", userName: long }), name);
  // exactly 63 is kept as is, 64 is shortened
  assert.equal(buildObjectName({ kind: "pod", userName: "b".repeat(55) }), "jupyter-" + "b".repeat(55));
  assert.match(buildObjectName({ kind: "pod", userName: "b".repeat(56) }), /---h[0-9a-f]{12}$/);
  // a cut that lands after a dash does not leave four dashes before the hash
  const dashy = buildObjectName({ kind: "pod", userName: "c".repeat(38) + ".xxxxxxxxxxxxxxxxxxxxxxxxxxx" });
  assert.match(dashy, /^jupyter-c{38}---h[0-9a-f]{12}$/);
  const midEscape = buildObjectName({ kind: "pod", userName: "c".repeat(37) + ".xxxxxxxxxxxxxxxxxxxxxxxxxxx" });
  assert.match(midEscape, /^jupyter-c{37}-2---h[0-9a-f]{12}$/);
});

test("buildObjectName refuses an empty user name", () => {
  assert.throws(() => buildObjectName({ kind: "pod", userName: "" }), /userName/);
});

/** Pairs that naive schemes (lower-casing, replacing bad characters, plain truncation) merge. */
const TRICKY_PAIRS: Array<[string, string, string, string]> = [
  ["a.b", "", "a-2eb", ""],
  ["a-b", "", "a.b", ""],
  ["Alice", "", "alice", ""],
  ["alice", "-x", "alice-", "x"],
  ["alice", "b", "alice--b", ""],
  ["alice--b", "", "alice", "b"],
  ["alice", "", "alice", "-"],
  ["x", "y--z", "x--y", "z"],
  ["é", "", "-c3-a9", ""],
  ["e\u0301", "", "é", ""],
  ["a".repeat(80), "", "a".repeat(80) + "b", ""],
  ["a".repeat(80), "one", "a".repeat(80), "two"],
  ["a".repeat(40), "", "a".repeat(40), "x".repeat(30)],
];

test("buildObjectName is collision-free on tricky pairs and always a DNS-1123 label", () => {
  for (const kind of ["pod", "pvc", "secret"] as const) {
    for (const [u1, s1, u2, s2] of TRICKY_PAIRS) {
      const n1 = buildObjectName({ kind, userName: u1, serverName: s1 });
      const n2 = buildObjectName({ kind, userName: u2, serverName: s2 });
      assert.notEqual(n1, n2, `${kind}: (${u1}, ${s1}) vs (${u2}, ${s2})`);
      for (const n of [n1, n2]) {
        assert.match(n, DNS1123_LABEL, n);
        assert.ok(n.length <= MAX_NAME_LENGTH, n);
      }
    }
  }
});

test("buildObjectName is injective over a generated set of awkward names", () => {
  // every name over a small alphabet of troublesome characters, up to length 3, plus long ones
  const alphabet = ["a", "A", "-", ".", "_", "2", "e", "é", " ", "🙂"];
  const names: string[] = [...alphabet];
  for (const x of alphabet) for (const y of alphabet) names.push(x + y);
  for (const x of alphabet) for (const y of alphabet) for (const z of alphabet) names.push(x + y + z);
  for (let i = 0; i < 200; i++) names.push("user".repeat(15) + i);
  const seen = new Map<string, string>();
  for (const user of names.slice(0, 400)) {
    for (const server of ["", "a", "-", "2e", "gpu"]) {
      const name = buildObjectName({ kind: "pod", userName: user, serverName: server });
      const key = JSON.stringify([user, server]);
      assert.ok(!seen.has(name), `${name} for ${key} and ${seen.get(name)}`);
      seen.set(name, key);
      assert.match(name, DNS1123_LABEL);
    }
  }
  for (const user of names.slice(400)) {
    const name = buildObjectName({ kind: "pod", userName: user });
    assert.ok(!seen.has(name), name);
    seen.set(name, user);
    assert.ok(name.length <= MAX_NAME_LENGTH);
  }
});

test("buildLabelValue: valid and collision-free label values", () => {
  const cases: Array<[string, string]> = [
    ["", ""],
    ["alice", "alice"],
    ["a.b", "a-2eb"],
    [".a", "x_-2ea"],
    ["-", "x_-2d"],
    ["x_-2ea", "x-5f-2d2ea"],
  ];
  for (const [raw, want] of cases) {
    assert.equal(buildLabelValue(raw), want, raw);
    assert.match(want, LABEL_VALUE);
  }
  const long = buildLabelValue("Z".repeat(40));
  assert.equal(long.length, MAX_NAME_LENGTH);
  assert.match(long, /^x_(-5a){15}---h[0-9a-f]{12}$/);
  assert.match(long, LABEL_VALUE);
  const values = new Set(["", "a", ".a", "x_-2ea", "-", "A", "a".repeat(70), "a".repeat(71)].map(buildLabelValue));
  assert.equal(values.size, 8);
});

test("buildObjectName: hub names of JupyterHub's limits (dots, digits first, 255 characters) give distinct DNS-1123 labels", () => {
  const users = ["binder-examples-requirements-1a2b3c4d5e", "a.b", "a-2eb", "1234", "x".repeat(255), "x".repeat(254)];
  const servers = ["", "v1.2", "x".repeat(255), "x".repeat(254)];
  const seen = new Map<string, string>();
  for (const kind of ["pod", "pvc"] as const) {
    for (const userName of users) {
      for (const serverName of servers) {
        const name = buildObjectName({ kind, userName, serverName });
        assert.ok(name.length <= MAX_NAME_LENGTH && DNS1123_LABEL.test(name), name);
        const key = `${kind} ${userName}/${serverName}`;
        assert.ok(!seen.has(name), `${key} and ${seen.get(name)} share ${name}`);
        seen.set(name, key);
      }
      assert.match(buildLabelValue(userName), LABEL_VALUE);
    }
  }
  assert.equal(buildObjectName({ kind: "pod", userName: "a.b" }), "jupyter-a-2eb");
});
