import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { VALUES_SCHEMA_PATH, renderValuesSchema } from "./gen-chart-schema";
import { chartValuesSchema } from "@/deploy/chart/values-schema";
import { parse } from "yaml";

test("charts/gyre/values.schema.json is current (npm run docs:chart)", async () => {
  assert.equal(readFileSync(VALUES_SCHEMA_PATH, "utf8"), await renderValuesSchema());
});

test("the chart's values.yaml is what the zod schema describes, key for key", () => {
  chartValuesSchema.parse(parse(readFileSync("charts/gyre/values.yaml", "utf8")));
});

test("the schema carries the config options' help text", () => {
  const schema = JSON.parse(readFileSync(VALUES_SCHEMA_PATH, "utf8")) as {
    properties: Record<string, { properties: Record<string, { description?: string }> }>;
  };
  assert.match(schema.properties.culling.properties.every.description ?? "", /How often the culler looks/);
  assert.match(schema.properties.singleuser.properties.startTimeout.description ?? "", /./);
});
