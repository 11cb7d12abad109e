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
