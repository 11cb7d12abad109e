import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { toPostgresSchema } from "./db-sync-schemas";

test("schema.postgres.prisma is generated from schema.prisma", () => {
  assert.equal(readFileSync("prisma/schema.postgres.prisma", "utf8"), toPostgresSchema(readFileSync("prisma/schema.prisma", "utf8")));
});

test("the newest migration of each provider was made from the current schema (run scripts/db-sync-schemas.ts after a schema change)", () => {
  for (const [provider, schema] of [
    ["sqlite", "prisma/schema.prisma"],
    ["postgres", "prisma/schema.postgres.prisma"],
  ]) {
    const dir = join("prisma/migrations", provider);
    const last = readdirSync(dir)
      .filter((d) => /^\d{14}_/.test(d))
      .sort()
      .at(-1)!;
    const strip = (s: string) => s.replace(/^\s*\/\/.*$/gm, "").replace(/\s+/g, " ");
    assert.equal(strip(readFileSync(join(dir, last, "schema.prisma"), "utf8")), strip(readFileSync(schema, "utf8")), `${provider}: ${last} is stale`);
  }
});
