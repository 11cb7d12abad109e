// The database client type. Both generated clients (SQLite, PostgreSQL) have the same model API;
// domain code is typed against the SQLite one.
export type { PrismaClient as Db } from "@/prisma/generated/sqlite/client";
export type * as DbModels from "@/prisma/generated/sqlite/models";
