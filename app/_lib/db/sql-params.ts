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

/**
 * Names for PostgreSQL's named statements, one per statement text (pg prepares a name once per
 * connection). At most `max` texts: more means a statement was built with values in its text.
 */
export function postgresStatementNames(kind: "read" | "write", max: number): { nameOf: (sql: string) => string; count: () => number } {
  const names = new Map<string, string>();
  return {
    nameOf: (sql) => {
      let name = names.get(sql);
      if (!name) {
        if (names.size >= max) throw new Error(`more than ${max} distinct ${kind} statements: a statement is built with values in its text`);
        name = `gyre_${kind}_${names.size + 1}`;
        names.set(sql, name);
      }
      return name;
    },
    count: () => names.size,
  };
}
