import assert from "node:assert/strict";
import { test } from "node:test";
import { parseConfig } from "./load";

/** The option lines of the ConfigError for `groups`, or [] when it is valid. */
function problems(groups: unknown): string[] {
  try {
    parseConfig({ groups }, {}, "/etc/gyre.yaml");
  } catch (e) {
    return (e as Error).message
      .split("\n")
      .filter((l) => l.startsWith("  - "))
      .map((l) => l.slice(4));
  }
  return [];
}

test("groups: a valid group passes with defaults; none by default", () => {
  const cfg = parseConfig({ groups: [{ name: "ocean", users: ["alice", "Bob"], properties: { quota: 4 } }, { name: "class.2026" }] }, {}, null);
  assert.deepEqual(cfg.groups, [
    { name: "ocean", users: ["alice", "Bob"], properties: { quota: 4 } },
    { name: "class.2026", users: [] },
  ]);
  assert.deepEqual(parseConfig({}, {}, null).groups, []);
});

test("groups: bad or GitHub-team names, bad user names, duplicates, large properties and unknown keys refuse to start, naming the option", () => {
  const rule = `must be 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit (':' is left to GitHub teams)`;
  assert.deepEqual(problems([{ name: "org:team" }]), [`groups[0] (org:team).name: ${rule} (got "org:team")`]);
  assert.deepEqual(problems([{ name: "-x" }]), [`groups[0] (-x).name: ${rule} (got "-x")`]);
  assert.deepEqual(problems([{ name: "ok", users: ["alice", "no body"] }]), [
    `groups[0] (ok).users: Invalid user name "no body": use a lower-case letter or digit first, then lower-case letters, digits, '.', '-' or '_' (no '..'), at most 255 characters.`,
  ]);
  assert.deepEqual(problems([{ name: "a" }, { name: "a" }]), [`groups[1] (a).name: "a" is the name of an earlier group; names must be unique`]);
  assert.deepEqual(problems([{ name: "a", properties: { blob: "x".repeat(17_000) } }]), ["groups[0] (a).properties: at most 16384 bytes as JSON"]);
  assert.deepEqual(problems([{ name: "a", properties: [1] }]), ["groups[0] (a).properties: must be a mapping of names to values (got a list)"]);
  assert.deepEqual(problems([{ name: "a", members: ["alice"] }]), [
    `groups[0] (a).members: "members" is not an option of a group (options here: name, users, properties)`,
  ]);
  assert.deepEqual(problems([{ name: "a", users: ["alice"], properties: {} }]), []);
});
