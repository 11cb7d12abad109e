import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { isUserLabel, userLabel } from "./user-label";

/** An escaped label: the readable prefix, "--", the first 20 hex characters of the name's SHA-256. */
const esc = (prefix: string, name: string) => `${prefix}--${createHash("sha256").update(name, "utf8").digest("hex").slice(0, 20)}`;

test("labels, one row per kind of name", () => {
  const cases: Array<[name: string, label: string]> = [
    ["alice", "alice"],
    ["bob-2", "bob-2"],
    ["a", "a"],
    ["7up", "7up"],
    ["x".repeat(63), "x".repeat(63)],
    ["alice_smith", esc("alice-smith", "alice_smith")],
    ["Alice", esc("alice", "Alice")],
    ["alice.smith", esc("alice-smith", "alice.smith")],
    ["trailing-", esc("trailing", "trailing-")],
    ["a--b", esc("a-b", "a--b")],
    ["xn--abc", esc("xn-abc", "xn--abc")],
    ["ab_", esc("u-ab", "ab_")],
    ["a_", esc("u-a", "a_")],
    ["_", esc("u", "_")],
    ["élodie", esc("lodie", "élodie")],
    ["日本", esc("u", "日本")],
    ["x".repeat(64), esc("x".repeat(40), "x".repeat(64))],
  ];
  for (const [name, want] of cases) assert.equal(userLabel(name), want, name);
});

test("every label is a valid DNS label, never IDNA-reserved, and distinct names get distinct labels", () => {
  const names = ["alice", "a", "ab", "ab_", "a_", "_", "__", "a--b", "xn--x", "ab--", "Alice", "alice.smith", "alice-smith", "élodie", "日本", "x".repeat(100)];
  names.push("a_".repeat(40), "-a", "a-", userLabel("alice_smith"));
  const seen = new Map<string, string>();
  for (const n of names) {
    const l = userLabel(n);
    assert.ok(l.length <= 63, `${n}: ${l} is ${l.length} long`);
    assert.match(l, /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, n);
    assert.notEqual(l.slice(2, 4), "--", `${n}: ${l} has "--" third and fourth`);
    assert.ok(isUserLabel(l), n);
    assert.ok(!seen.has(l), `${n} and ${seen.get(l)} share ${l}`);
    seen.set(l, n);
  }
});

test("a name that looks like someone else's escaped label is escaped itself", () => {
  const escaped = userLabel("alice_smith");
  assert.notEqual(userLabel(escaped), escaped);
});

test("isUserLabel refuses what cannot be a label", () => {
  for (const s of ["", "-a", "a-", "A", "a.b", "a_b", "x".repeat(64)]) assert.equal(isUserLabel(s), false, s);
  for (const s of ["a", "alice", "alice-smith--0123456789abcdef0123"]) assert.equal(isUserLabel(s), true, s);
});

test("names of JupyterHub's limits (dots, a digit first, up to 255 characters) get one label each, never a dot", () => {
  const names = ["binder-examples-requirements-1a2b3c4d5e", "hub.example.org", "evil.com", "a.b", "a-b", "1.2.3.4", "x".repeat(255), "x".repeat(254)];
  for (let i = 0; i < 500; i++) names.push(`binder-${"q".repeat(50)}.${i}`);
  const seen = new Map<string, string>();
  for (const n of names) {
    const l = userLabel(n);
    assert.ok(l.length <= 63 && !l.includes(".") && isUserLabel(l), `${n}: ${l}`);
    assert.ok(!seen.has(l), `${n} and ${seen.get(l)} share ${l}`);
    seen.set(l, n);
  }
  assert.equal(userLabel("binder-examples-requirements-1a2b3c4d5e"), "binder-examples-requirements-1a2b3c4d5e", "a 40-character plain name is its own label");
  assert.equal(userLabel("evil.com"), esc("evil-com", "evil.com"));
});
