// Prisma CLI config for the PostgreSQL client (generate only; see docs/decisions.md, "Database").
import { defineConfig } from "prisma/config";
import { PrismaPg } from "@prisma/adapter-pg";

process.env.GYRE_PRISMA_URL ??= "postgresql://localhost/gyre";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "schema.postgres.prisma",
  adapter: async () => new PrismaPg({ connectionString: process.env.GYRE_PRISMA_URL! }),
});
