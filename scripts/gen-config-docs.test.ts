import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { collectOptions, renderExampleYaml, renderMarkdown } from "./gen-config-docs";
import { parseConfig } from "@/config/load";

test("docs/config.md and gyre.config.example.yaml are current (npm run docs:config)", () => {
  const options = collectOptions();
  assert.equal(readFileSync("docs/config.md", "utf8"), renderMarkdown(options));
  assert.equal(readFileSync("gyre.config.example.yaml", "utf8"), renderExampleYaml(options));
});

test("the example config is a valid config equal to the defaults", () => {
  const example = parseConfig(parse(readFileSync("gyre.config.example.yaml", "utf8")), {}, "gyre.config.example.yaml");
  assert.deepEqual(example, parseConfig({}, {}, null));
});

test("every option has help text", () => {
  const missing = collectOptions()
    .filter((o) => !o.description)
    .map((o) => o.path);
  assert.deepEqual(missing, []);
});

test("nested fields are documented: list items, named entries and object options, each with its help text", () => {
  const paths = collectOptions().map((o) => o.path);
  for (const p of [
    "spawner.batch.profiles[].memoryBytes",
    "spawner.batch.profiles[].bounds.walltimeSeconds",
    "spawner.batch.clusters.<name>.submitPrefix",
    "spawner.batch.logRetention.keepPerUser",
    "spawner.kubernetes.profiles[].overrides.image",
  ]) {
    assert.ok(paths.includes(p), p);
  }
  assert.ok(!paths.some((p) => p.endsWith(".min") || p.endsWith(".max")), "ranges are one option, not two");
});
