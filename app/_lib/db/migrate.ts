// Applies prisma/migrations/<provider>/*/migration.sql in order, each in one transaction,
// recording applied names in _gyre_migrations. Used on SQLite and PostgreSQL alike because
// `prisma migrate deploy` cannot introspect PostgreSQL with the offline JS engine
// (docs/decisions.md, "Database"). Safe to run at every start and from several replicas:
// on PostgreSQL an advisory lock serialises concurrent hubs.
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import type { Db } from "./types";

export interface Migration {
  name: string;
  sql: string;
}

export function listMigrations(root: string, provider: "sqlite" | "postgres"): Migration[] {
  const dir = join(root, "prisma", "migrations", provider);
  if (!existsSync(dir)) throw new Error(`No migrations directory ${dir}`);
  return readdirSync(dir)
    .filter((d) => /^\d{14}_/.test(d))
    .sort()
    .map((name) => ({ name, sql: readFileSync(join(dir, name, "migration.sql"), "utf8") }));
}

/** Splits a migration script into statements (Prisma's scripts have no semicolons inside literals). */
export function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.replace(/^\s*--.*$/gm, "").trim())
    .filter(Boolean);
}

export async function applyMigrations(db: Db, provider: "sqlite" | "postgres", root: string): Promise<string[]> {
  const migrations = listMigrations(root, provider);
  const applied: string[] = [];
  const createTable = (tx: Db) => tx.$executeRawUnsafe(`CREATE TABLE IF NOT EXISTS "_gyre_migrations" ("name" TEXT PRIMARY KEY, "applied_at" TEXT NOT NULL)`);
  const run = async (tx: Db) => {
    const done = new Set((await tx.$queryRawUnsafe<{ name: string }[]>(`SELECT "name" FROM "_gyre_migrations"`)).map((r) => r.name));
    for (const m of migrations) {
      if (done.has(m.name)) continue;
      for (const stmt of splitStatements(m.sql)) await tx.$executeRawUnsafe(stmt);
      await tx.$executeRaw`INSERT INTO "_gyre_migrations" ("name", "applied_at") VALUES (${m.name}, ${new Date().toISOString()})`;
      applied.push(m.name);
    }
  };
  if (provider === "postgres") {
    await db.$transaction(async (tx) => {
      // Concurrent CREATE TABLE IF NOT EXISTS races on PostgreSQL, so it too goes under the lock.
      await (tx as unknown as Db).$executeRawUnsafe(`SELECT pg_advisory_xact_lock(7461628)`);
      await createTable(tx as unknown as Db);
      await run(tx as unknown as Db);
    });
  } else {
    await db.$transaction(async (tx) => {
      await createTable(tx as unknown as Db);
      await run(tx as unknown as Db);
    });
  }
  return applied;
}
