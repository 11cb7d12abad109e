// Pure: the parameters of a statement built for SQLite or PostgreSQL, collected in placeholder
// order. Shared by the driver statements' builders (worker-sql.ts, user-model-sql.ts).
import type { SqlDialect } from "@/app/_lib/users/users-view";

/** Collects parameters in placeholder order (SQLite "?", PostgreSQL "$n"). */
export function sqlParams(dialect: SqlDialect) {
  const params: unknown[] = [];
  return {
    params,
    p(value: unknown): string {
      params.push(value);
      return dialect === "postgres" ? `$${params.length}` : "?";
    },
    /** `column = value`, or `column IS NULL` for null, with one statement text for both (Prisma's `where: { column: value }`) */
    eq(column: string, value: unknown): string {
      params.push(value);
      return dialect === "postgres" ? `${column} IS NOT DISTINCT FROM $${params.length}` : `${column} IS ?`;
    },
  };
}

export type SqlParams = ReturnType<typeof sqlParams>;
