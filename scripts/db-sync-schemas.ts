// Writes prisma/schema.postgres.prisma from prisma/schema.prisma (same models, PostgreSQL
// provider, its own client output) and the initial SQL migrations for both providers.
// Run after changing the schema: `tsx scripts/db-sync-schemas.ts <migration_name>`.
// A new migration is written only when the schema differs from what migrations already produce.
import { readFileSync, writeFileSync, mkdirSync, readdirSync, existsSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";

export function toPostgresSchema(sqliteSchema: string): string {
  return sqliteSchema
    .replace('output     = "./generated/sqlite"', 'output     = "./generated/postgres"')
    .replace('provider = "sqlite"', 'provider = "postgresql"')
    .replace(/^\/\/ Gyre's database\..*$/m, "// GENERATED from schema.prisma by scripts/db-sync-schemas.ts: do not edit.");
}

function diff(schema: string, provider: string): string {
  const dir = join("prisma/migrations", provider);
  const args = ["prisma", "migrate", "diff", "--to-schema-datamodel", schema, "--script"];
  const existing = existsSync(dir)
    ? readdirSync(dir)
        .filter((d) => /^\d+_/.test(d))
        .sort()
    : [];
  if (existing.length) {
    // Compare against a throwaway schema built by concatenating applied SQL is not possible offline
    // for PostgreSQL, so we diff from the previous *datamodel* snapshot kept beside each migration.
    const last = join(dir, existing[existing.length - 1], "schema.prisma");
    args.splice(3, 0, "--from-schema-datamodel", last);
  } else {
    args.splice(3, 0, "--from-empty");
  }
  return execFileSync("npx", args, { encoding: "utf8", env: { ...process.env } });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const name = process.argv[2] ?? "init";
  const src = readFileSync("prisma/schema.prisma", "utf8");
  writeFileSync("prisma/schema.postgres.prisma", toPostgresSchema(src));
  for (const [provider, schema] of [
    ["sqlite", "prisma/schema.prisma"],
    ["postgres", "prisma/schema.postgres.prisma"],
  ] as const) {
    const sql = diff(schema, provider);
    if (!/CREATE|ALTER|DROP/.test(sql)) {
      console.log(`${provider}: no changes`);
      continue;
    }
    const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
    const dir = join("prisma/migrations", provider, `${stamp}_${name}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "migration.sql"), sql);
    writeFileSync(join(dir, "schema.prisma"), readFileSync(schema, "utf8"));
    console.log(`${provider}: wrote ${dir}`);
  }
}
