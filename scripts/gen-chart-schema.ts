// Generates charts/gyre/values.schema.json from deploy/chart/values-schema.ts (itself built from the
// config schemas). `npm run docs:chart`; scripts/gen-chart-schema.test.ts fails when the committed
// file is stale.
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { format, resolveConfig } from "prettier";
import { chartValuesJsonSchema } from "@/deploy/chart/values-schema";

/** Where Helm looks for the schema of a chart's values. */
export const VALUES_SCHEMA_PATH = resolve(import.meta.dirname, "../charts/gyre/values.schema.json");

/** The file's text: the schema as JSON, laid out as `npm run format` leaves it (CI checks that). */
export async function renderValuesSchema(): Promise<string> {
  const options = await resolveConfig(VALUES_SCHEMA_PATH);
  return format(JSON.stringify(chartValuesJsonSchema()), { ...options, filepath: VALUES_SCHEMA_PATH });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(VALUES_SCHEMA_PATH, await renderValuesSchema());
  process.stdout.write(`wrote ${VALUES_SCHEMA_PATH}\n`);
}
