// Prisma CLI config: JS (WASM) schema engine + driver adapter, so nothing is downloaded
// (see docs/decisions.md, "Database"). Only `prisma generate` and `migrate diff` are used.
import { defineConfig } from "prisma/config";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { mkdirSync } from "node:fs";

process.env.GYRE_PRISMA_URL ??= "file:./data/prisma-cli.db";
mkdirSync("data", { recursive: true }); // the CLI opens this throwaway file even for `migrate diff`

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "prisma/schema.prisma",
  adapter: async () => new PrismaBetterSQLite3({ url: process.env.GYRE_PRISMA_URL! }),
});
