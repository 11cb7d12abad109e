// Opens the database for a URL: SQLite (better-sqlite3 adapter) for file:…, PostgreSQL (pg adapter)
// for postgres://…. Only imported by the hub entry, never by the Next bundle.
import type { Db } from "./types";

export async function openDatabase(url: string): Promise<{ db: Db; provider: "sqlite" | "postgres" }> {
  if (url.startsWith("file:")) {
    const { PrismaClient } = await import("@/prisma/generated/sqlite/client");
    const { PrismaBetterSQLite3 } = await import("@prisma/adapter-better-sqlite3");
    const db = new PrismaClient({ adapter: new PrismaBetterSQLite3({ url }) });
    // WAL lets the progress streams read while the spawn worker writes; busy_timeout avoids
    // SQLITE_BUSY under concurrent spawns.
    await db.$queryRawUnsafe("PRAGMA journal_mode = WAL");
    await db.$queryRawUnsafe("PRAGMA busy_timeout = 5000");
    await db.$queryRawUnsafe("PRAGMA foreign_keys = ON");
    return { db, provider: "sqlite" };
  }
  const { PrismaClient } = await import("@/prisma/generated/postgres/client");
  const { PrismaPg } = await import("@prisma/adapter-pg");
  const db = new PrismaClient({ adapter: new PrismaPg({ connectionString: url }) }) as unknown as Db;
  return { db, provider: "postgres" };
}
