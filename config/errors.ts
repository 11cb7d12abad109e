// Configuration problems and how they are reported: one line per bad option, in the admin's
// terms ("must be a whole number (got "2h")", "did you mean memoryBytes?"), naming it and where
// it came from. Hub and proxy exit with status 2 on a ConfigError. Pure.
import type { z } from "zod";

/** A configuration problem; its message names the option. */
export class ConfigError extends Error {
  name = "ConfigError";
}

/** " (config file /etc/gyre.yaml, or its GYRE_* environment overrides)" */
export function describeConfigSource(source: string | null): string {
  return source ? ` (config file ${source}, or its GYRE_* environment overrides)` : " (GYRE_* environment variables)";
}

type Issue = z.core.$ZodIssue & { input?: unknown };
type Schema = { _zod: { def: Record<string, unknown> & { type: string } } };

/** What the formatter may look at besides the issues: the schema (for "did you mean") and the data (names of list items). */
export interface ConfigErrorContext {
  schema?: unknown;
  data?: unknown;
}

/** "Invalid configuration (…):\n  - hub.port: must be a whole number (got "80a")\n…" */
export function formatConfigError(issues: z.core.$ZodIssue[], source: string | null, context: ConfigErrorContext = {}): string {
  const lines = issues.flatMap((i) => formatConfigIssue(i, context).map((l) => `  - ${l}`));
  return `Invalid configuration${describeConfigSource(source)}:\n${lines.join("\n")}\nSee docs/config.md or gyre.config.example.yaml for every option.`;
}

/** One issue as lines of "<option>: <what is wrong>" (an unknown-keys issue gives one line per key). */
export function formatConfigIssue(issue: z.core.$ZodIssue, context: ConfigErrorContext = {}): string[] {
  const i = issue;
  const path = i.path;
  const at = (p: PropertyKey[]) => formatPath(p, context.data);
  if (i.code === "unrecognized_keys") {
    return i.keys.map((k) => `${at([...path, k])}: ${describeUnknownKey(k, path, context.schema)}`);
  }
  const secret = path.some((p) => typeof p === "string" && /secret|token|password/i.test(p));
  // a custom check's message says what it saw itself
  const got = !secret && i.code !== "custom" && "input" in i && i.input !== undefined ? ` (got ${describeInput(i.input)})` : "";
  return [`${at(path)}: ${describeProblem(i)}${got}`];
}

function describeProblem(i: Issue): string {
  switch (i.code) {
    case "invalid_type":
      return `must be ${TYPE_WORDS[i.expected] ?? i.expected}`;
    case "invalid_value":
      return i.values.length === 1 ? `must be ${JSON.stringify(i.values[0])}` : `must be one of ${i.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "too_small":
      return i.origin === "array"
        ? `needs at least ${String(i.minimum)} ${Number(i.minimum) === 1 ? "entry" : "entries"}`
        : i.origin === "string"
          ? `must be at least ${String(i.minimum)} characters long`
          : `must be at least ${String(i.minimum)}`;
    case "too_big":
      return i.origin === "array"
        ? `may have at most ${String(i.maximum)} entries`
        : i.origin === "string"
          ? `may be at most ${String(i.maximum)} characters long`
          : `must be at most ${String(i.maximum)}`;
    case "invalid_format":
      if (i.format === "url") return "must be a URL such as http://host:8081";
      return /^Invalid string/.test(i.message) ? "has the wrong format" : i.message;
    case "not_multiple_of":
      return `must be a multiple of ${String(i.divisor)}`;
    case "invalid_union": {
      const expected = [...new Set(i.errors.flat().flatMap((e) => (e.code === "invalid_type" ? [TYPE_WORDS[e.expected] ?? e.expected] : [])))];
      return expected.length ? `must be ${expected.join(" or ")}` : "is not valid here";
    }
    case "invalid_key":
      return `is not a valid name here: ${i.issues.map((x) => x.message).join("; ")}`;
    default:
      return i.message;
  }
}

const TYPE_WORDS: Record<string, string> = {
  number: "a number",
  int: "a whole number",
  string: "text",
  boolean: "true or false",
  array: "a list",
  object: "a mapping of options",
  record: "a mapping of names to values",
  undefined: "left out",
};

function describeInput(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v.length > 60 ? v.slice(0, 57) + "…" : v);
  if (Array.isArray(v)) return "a list";
  if (v === null) return "null";
  if (typeof v === "object") return "a mapping";
  return typeof v === "number" || typeof v === "boolean" ? String(v) : typeof v;
}

/** "spawner.batch.profiles[1] (gpu).cores": list indexes in brackets, with the item's name when it has one. */
export function formatPath(path: PropertyKey[], data?: unknown): string {
  let out = "";
  let node: unknown = data;
  for (const p of path) {
    if (typeof p === "number") {
      out += `[${p}]`;
      node = Array.isArray(node) ? node[p] : undefined;
      const itemName = node && typeof node === "object" ? (node as Record<string, unknown>).name : undefined;
      if (typeof itemName === "string" && itemName) out += ` (${itemName})`;
    } else {
      out += (out ? "." : "") + String(p);
      node = node && typeof node === "object" ? (node as Record<string, unknown>)[String(p)] : undefined;
    }
  }
  return out || "(top level)";
}

/**
 * Why a key is unknown, and what was probably meant: a close spelling at the same place
 * ("memory" → memoryBytes), or the place in the same section where that key is an option
 * ("queues" under a profile → spawner.batch.bounds.queues).
 */
function describeUnknownKey(key: string, path: PropertyKey[], root: unknown): string {
  const here = `"${key}" is not an option ${describePlace(path)}`;
  if (!root) return here;
  const keys = keysAt(root as Schema, path);
  const close = keys ? closest(key, keys) : null;
  if (close) return `${here}; did you mean ${close}?`;
  const section = path.filter((p) => typeof p === "string").slice(0, path[0] === "spawner" || path[0] === "auth" ? 2 : 1);
  const elsewhere = findKey(root as Schema, key, section).filter((p) => p.join(".") !== pathWithoutIndexes(path).join("."));
  if (elsewhere.length) {
    const rel = (p: string[]) => (path.some((x) => typeof x === "number") ? relativeToItem(p, path) : p.join("."));
    return `${here}; it is ${elsewhere.map((p) => rel([...p, key])).join(" or ")}`;
  }
  return keys?.length ? `${here} (options here: ${keys.join(", ")})` : here;
}

/** "of a profile", "of spawner.batch.bounds", "at the top level" */
function describePlace(path: PropertyKey[]): string {
  if (!path.length) return "at the top level";
  const lastIndex = path.map((p) => typeof p).lastIndexOf("number");
  if (lastIndex > 0) {
    const list = String(path[lastIndex - 1]).replace(/s$/, "");
    const item = `${/^[aeiou]/.test(list) ? "an" : "a"} ${list}`;
    const inside = pathWithoutIndexes(path.slice(lastIndex + 1));
    return inside.length ? `of ${item}'s ${inside.join(".")}` : `of ${item}`;
  }
  return `of ${pathWithoutIndexes(path).join(".")}`;
}

function pathWithoutIndexes(path: PropertyKey[]): string[] {
  return path.filter((p): p is string => typeof p === "string");
}

/** An option path relative to the list item the unknown key sits in, when it lies inside the item ("bounds.cores"), else absolute. */
function relativeToItem(target: string[], path: PropertyKey[]): string {
  const item = pathWithoutIndexes(path.slice(0, path.map((p) => typeof p).lastIndexOf("number")));
  const inside = target.length > item.length && item.every((p, i) => target[i] === p);
  return inside ? target.slice(item.length).join(".") : target.join(".");
}

function unwrap(s: Schema): Schema {
  let cur = s;
  for (;;) {
    const d = cur._zod.def;
    if (["default", "optional", "nullable", "prefault", "catch", "readonly"].includes(d.type) && d.innerType) cur = d.innerType as Schema;
    else if (d.type === "pipe" && d.in) cur = d.in as Schema;
    else return cur;
  }
}

/** The option names of the object at `path` (list indexes and record keys step into items), or null. */
function keysAt(root: Schema, path: PropertyKey[]): string[] | null {
  let cur = unwrap(root);
  for (const p of path) {
    const d = cur._zod.def;
    if (d.type === "object") {
      const child = (d.shape as Record<string, Schema>)[String(p)];
      if (!child) return null;
      cur = unwrap(child);
    } else if (d.type === "array") cur = unwrap(d.element as Schema);
    else if (d.type === "record") cur = unwrap(d.valueType as Schema);
    else return null;
  }
  return cur._zod.def.type === "object" ? Object.keys(cur._zod.def.shape as object) : null;
}

/** Paths (without indexes) under `section` where `key` is an option. */
function findKey(root: Schema, key: string, section: string[]): string[][] {
  const out: string[][] = [];
  const start = section.reduce<Schema | null>((s, p) => {
    if (!s) return null;
    const u = unwrap(s);
    return u._zod.def.type === "object" ? ((u._zod.def.shape as Record<string, Schema>)[p] ?? null) : null;
  }, root);
  const walk = (s: Schema, at: string[], depth: number) => {
    const u = unwrap(s);
    const d = u._zod.def;
    if (depth > 6) return;
    if (d.type === "object") {
      const shape = d.shape as Record<string, Schema>;
      if (Object.hasOwn(shape, key)) out.push(at);
      for (const [k, v] of Object.entries(shape)) walk(v, [...at, k], depth + 1);
    } else if (d.type === "array") walk(d.element as Schema, at, depth + 1);
    else if (d.type === "record") walk(d.valueType as Schema, [...at, "<name>"], depth + 1);
  };
  if (start) walk(start, section, 0);
  return out;
}

/** A key within two edits, or one the unknown key starts ("memory" → "memoryBytes"). */
function closest(key: string, keys: string[]): string | null {
  const lower = key.toLowerCase();
  const prefixed = keys.filter((k) => k.toLowerCase().startsWith(lower) && lower.length >= 3);
  if (prefixed.length === 1) return prefixed[0];
  let best: string | null = null;
  let bestD = 3;
  for (const k of keys) {
    const d = editDistance(lower, k.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}
