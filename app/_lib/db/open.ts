// Opens the database for a URL: SQLite (better-sqlite3 adapter) for file:…, PostgreSQL (pg adapter)
// for postgres://…. Only imported by the hub entry, never by the Next bundle. The hot reads go
// to the driver directly (sql-reads.ts), and so do the spawn worker's hot writes (sql-writes.ts):
// SQLite connections of their own, or the pg pool Prisma uses.
import { createRequire } from "node:module";
import type BetterSqlite3 from "better-sqlite3";
import type { Db } from "./types";
import { attachSqlReads, postgresReads, sqliteReads, utcTimestampTypes } from "./sql-reads";
import { attachSqlWrites, postgresWrites, sqliteWrites } from "./sql-writes";

export async function openDatabase(url: string): Promise<{ db: Db; provider: "sqlite" | "postgres" }> {
  if (url.startsWith("file:")) {
    const { PrismaClient } = await import("@/prisma/generated/sqlite/client");
    const { PrismaBetterSQLite3 } = await import("@prisma/adapter-better-sqlite3");
    const Database = adaptersSqlite();
    const db = new PrismaClient({ adapter: new PrismaBetterSQLite3({ url }) });
    // WAL lets the progress streams read while the spawn worker writes; busy_timeout avoids
    // SQLITE_BUSY under concurrent spawns.
    await db.$queryRawUnsafe("PRAGMA journal_mode = WAL");
    await db.$queryRawUnsafe("PRAGMA busy_timeout = 5000");
    await db.$queryRawUnsafe("PRAGMA foreign_keys = ON");
    // the same file name as the adapter's (it drops the scheme only)
    const reads = sqliteReads({ file: url.replace(/^file:/, ""), Database });
    attachSqlReads(db, reads);
    // the worker's writes: one more connection, which never waits for the write lock synchronously
    const writes = sqliteWrites({ file: url.replace(/^file:/, ""), Database });
    attachSqlWrites(db, writes);
    const disconnect = db.$disconnect.bind(db);
    db.$disconnect = async () => {
      reads.close();
      writes.close();
      await disconnect();
    };
    return { db, provider: "sqlite" };
  }
  const { PrismaClient } = await import("@/prisma/generated/postgres/client");
  const { PrismaPg } = await import("@prisma/adapter-pg");
  const { default: pg } = await import("pg");
  // One pool for Prisma and the driver reads (Prisma's queries bring their own type parsers).
  const pool = new pg.Pool({ connectionString: url, types: utcTimestampTypes(pg.types) });
  const db = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) }) as unknown as Db;
  attachSqlReads(db, postgresReads(pool));
  attachSqlWrites(db, postgresWrites(pool));
  return { db, provider: "postgres" };
}

/**
 * The better-sqlite3 module Prisma's SQLite adapter loads, for the driver's own connections: one
 * copy of SQLite per process. The adapter depends on its own version (nested under it), and two
 * copies of SQLite in one process do not see each other's locks on the same file — POSIX locks
 * belong to the process, and each copy coordinates only its own connections
 * (https://www.sqlite.org/howtocorrupt.html, "Multiple copies of SQLite linked into the same
 * application"). With two copies, a statement committed on the driver's connection was seen
 * undone moments later while Prisma's connection wrote (worker.test.ts, a stop request written on
 * the driver).
 */
export function adaptersSqlite(): typeof BetterSqlite3 {
  const fromHere = createRequire(import.meta.url);
  return createRequire(fromHere.resolve("@prisma/adapter-better-sqlite3"))("better-sqlite3") as typeof BetterSqlite3;
}
