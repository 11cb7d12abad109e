// The admin's users view as data: what the URL of /hub/admin holds (search, filters, sort, page),
// parsed and written back, and the one SQL query per page that finds the users in order on SQLite
// and PostgreSQL. Pure: no database, no clock (pass `now`).
import { z } from "zod";
import { NAME_MAX_LENGTH } from "./names";

/** Columns the view sorts by. */
export const USER_SORTS = ["name", "activity", "state", "started", "usage"] as const;
export type UserSort = (typeof USER_SORTS)[number];

/** Server-state filters: any server running / starting / either / none of them. */
export const STATE_FILTERS = ["running", "pending", "active", "inactive"] as const;
export type StateFilter = (typeof STATE_FILTERS)[number];

export const PAGE_SIZES = [25, 50, 100, 200] as const;

/** How far back the users view's "usage" column (server hours) looks (User.recentServerSeconds). */
export const USAGE_WINDOW_DAYS = 30;

const yesNo = z.enum(["yes", "no"]);

/**
 * The URL of the users view: `?q=ali&match=prefix&state=running&group=climate&sort=activity&dir=desc&page=2`.
 * Every field has a default, so "/hub/admin" alone is a valid view.
 */
export const usersViewSchema = z.object({
  q: z.string().trim().toLowerCase().max(NAME_MAX_LENGTH).default("").describe("Text the user name contains (or starts with, see match)."),
  match: z.enum(["contains", "prefix"]).default("contains").describe("How q matches the name."),
  state: z.enum(STATE_FILTERS).optional().describe("Only users with a server in this state (active = starting or running), or none (inactive)."),
  admin: yesNo.optional().describe("Only admins (yes) or only non-admins (no)."),
  blocked: yesNo.optional().describe("Only blocked (yes) or only unblocked (no) users."),
  group: z.string().max(128).optional().describe("Only members of this group."),
  profile: z.string().max(128).optional().describe("Only users who have a server started with this spawn-form profile."),
  sort: z.enum(USER_SORTS).default("name").describe("Sort column."),
  dir: z.enum(["asc", "desc"]).optional().describe("Sort direction; default: ascending for name, descending for the others."),
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  size: z.coerce
    .number()
    .int()
    .refine((n) => (PAGE_SIZES as readonly number[]).includes(n), { message: `must be one of ${PAGE_SIZES.join(", ")}` })
    .default(50),
});

export type UsersView = z.infer<typeof usersViewSchema>;

export const DEFAULT_VIEW: UsersView = usersViewSchema.parse({});

/** The direction a view sorts in (its own, or the column's natural one). */
export function sortDirection(view: Pick<UsersView, "sort" | "dir">): "asc" | "desc" {
  return view.dir ?? (view.sort === "name" ? "asc" : "desc");
}

type RawParams = Record<string, string | string[] | undefined> | URLSearchParams;

function toRecord(raw: RawParams): Record<string, string> {
  const out: Record<string, string> = {};
  const entries: [string, string | string[] | undefined][] = raw instanceof URLSearchParams ? [...raw.entries()] : Object.entries(raw);
  for (const [k, v] of entries) {
    const value = Array.isArray(v) ? v[0] : v;
    if (value !== undefined && value !== "") out[k] = value;
  }
  return out;
}

/**
 * The view a URL asks for. Strict (`lenient: false`, the REST API): a bad value is a ZodError
 * naming the field. Lenient (the page): each bad value falls back to its default and is listed in
 * `ignored`, so a mistyped shared link still opens.
 */
export function parseUsersView(raw: RawParams, opts: { lenient: boolean }): { view: UsersView; ignored: string[] } {
  const input = toRecord(raw);
  if (!opts.lenient) return { view: usersViewSchema.parse(input), ignored: [] };
  const ignored: string[] = [];
  for (;;) {
    const r = usersViewSchema.safeParse(input);
    if (r.success) return { view: r.data, ignored };
    for (const issue of r.error.issues) {
      const key = String(issue.path[0]);
      ignored.push(key);
      delete input[key];
    }
  }
}

/** The query string of a view, without the defaults ("" for the default view). */
export function usersViewQuery(view: UsersView, change: Partial<UsersView> = {}): string {
  const v = { ...view, ...change };
  const q = new URLSearchParams();
  if (v.q) q.set("q", v.q);
  if (v.q && v.match !== DEFAULT_VIEW.match) q.set("match", v.match);
  for (const key of ["state", "admin", "blocked", "group", "profile"] as const) if (v[key]) q.set(key, v[key]);
  if (v.sort !== DEFAULT_VIEW.sort) q.set("sort", v.sort);
  if (v.dir && v.dir !== sortDirection({ sort: v.sort })) q.set("dir", v.dir);
  if (v.page !== 1) q.set("page", String(v.page));
  if (v.size !== DEFAULT_VIEW.size) q.set("size", String(v.size));
  const s = q.toString();
  return s ? `?${s}` : "";
}

/** SQL flavour: placeholders and the few expressions that differ. */
export type SqlDialect = "sqlite" | "postgres";

/** A statement and its parameters, for $queryRawUnsafe. */
export interface SqlQuery {
  sql: string;
  params: unknown[];
}

/** Escapes LIKE wildcards ("_" is common in user names). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** States that count as "a server is there" for sorting and filtering. */
const ACTIVE_STATES = ["pending", "starting", "running", "stopping"];

export interface UsersQueryOptions {
  view: UsersView;
  dialect: SqlDialect;
  /** the id of view.group, looked up first; null: no such group (the query then finds nobody) */
  groupId?: number | null;
}

/** Collects parameters in the order their placeholders appear in the text. */
class Statement {
  readonly params: unknown[] = [];
  constructor(private readonly dialect: SqlDialect) {}
  /** a placeholder for `value` (SQLite "?", PostgreSQL "$n") */
  p(value: unknown): string {
    this.params.push(value);
    return this.dialect === "postgres" ? `$${this.params.length}` : "?";
  }
}

function buildWhere(st: Statement, opts: UsersQueryOptions): string {
  const { view } = opts;
  const where: string[] = [];
  if (view.q) {
    const pattern = view.match === "prefix" ? `${escapeLike(view.q)}%` : `%${escapeLike(view.q)}%`;
    where.push(`u."name" LIKE ${st.p(pattern)} ESCAPE '\\'`);
    // A range on the name index, which LIKE alone does not use on either database.
    if (view.match === "prefix") where.push(`u."name" >= ${st.p(view.q)} AND u."name" < ${st.p(`${view.q}\uffff`)}`);
  }
  const states = ACTIVE_STATES.map((s) => `'${s}'`).join(", ");
  if (view.state === "running") where.push(`u."id" IN (SELECT "userId" FROM "Server" WHERE "state" = 'running')`);
  if (view.state === "pending") where.push(`u."id" IN (SELECT "userId" FROM "Server" WHERE "state" IN ('pending', 'starting'))`);
  if (view.state === "active") where.push(`u."id" IN (SELECT "userId" FROM "Server" WHERE "state" IN (${states}))`);
  if (view.state === "inactive") where.push(`u."id" NOT IN (SELECT "userId" FROM "Server" WHERE "state" IN (${states}))`);
  if (view.admin) where.push(`u."admin" = ${st.p(view.admin === "yes")}`);
  if (view.blocked) where.push(`u."blockedAt" IS ${view.blocked === "yes" ? "NOT " : ""}NULL`);
  if (view.group !== undefined) where.push(`u."id" IN (SELECT "userId" FROM "GroupMember" WHERE "groupId" = ${st.p(opts.groupId ?? -1)})`);
  if (view.profile !== undefined) where.push(`u."id" IN (SELECT "userId" FROM "Server" WHERE "profile" = ${st.p(view.profile)})`);
  return where.length ? `WHERE ${where.join(" AND ")}` : "";
}

/** The join and sort key of a sort column ("" key: by name only). */
function buildSort(sort: UserSort): { join: string; key: string } {
  switch (sort) {
    case "name":
      return { join: "", key: "" };
    case "activity":
      return { join: "", key: `u."lastActivity"` };
    case "state":
      // running highest, then starting, stopping, failed; users without a server have none.
      return {
        join: `LEFT JOIN (SELECT "userId", MAX(CASE "state" WHEN 'running' THEN 4 WHEN 'pending' THEN 3 WHEN 'starting' THEN 3 WHEN 'stopping' THEN 2 WHEN 'failed' THEN 1 ELSE 0 END) AS "rank" FROM "Server" WHERE "state" <> 'stopped' GROUP BY "userId") s ON s."userId" = u."id"`,
        key: `s."rank"`,
      };
    case "started":
      return {
        join: `LEFT JOIN (SELECT "userId", MAX("startedAt") AS "started" FROM "Server" WHERE "state" = 'running' GROUP BY "userId") s ON s."userId" = u."id"`,
        key: `s."started"`,
      };
    case "usage":
      // refreshed in the background (app/_lib/usage/rollup.ts), so sorting is an index walk
      return { join: "", key: `u."recentServerSeconds"` };
  }
}

/** Every user matching the view's filters (sort and page ignored), for "all matching" bulk actions. */
export function buildMatchingQuery(opts: UsersQueryOptions): SqlQuery {
  const st = new Statement(opts.dialect);
  const where = buildWhere(st, opts);
  return { sql: `SELECT u."id" AS "id", u."name" AS "name" FROM "User" u ${where} ORDER BY u."name"`.replace(/\s+/g, " ").trim(), params: st.params };
}

/**
 * One page of user ids in the view's order, and the count of all matches. Only the columns the
 * view filters or sorts on are touched, and a join is added only when the sort needs it, so the
 * common views (by name, by activity) walk an index and stop at LIMIT.
 */
export function buildUsersQuery(opts: UsersQueryOptions): { page: SqlQuery; count: SqlQuery } {
  const { view, dialect } = opts;
  const page = new Statement(dialect);
  const { join, key } = buildSort(view.sort);
  const where = buildWhere(page, opts);
  const dir = sortDirection(view) === "asc" ? "ASC" : "DESC";
  // Users without a value (never active, no server) sort last in both directions.
  const order = key ? `${key} ${dir} NULLS LAST, u."name" ASC` : `u."name" ${dir}`;
  const limit = `LIMIT ${page.p(view.size)} OFFSET ${page.p((view.page - 1) * view.size)}`;
  const count = new Statement(dialect);
  const countWhere = buildWhere(count, opts);
  const tidy = (sql: string) => sql.replace(/\s+/g, " ").trim();
  return {
    page: { sql: tidy(`SELECT u."id" AS "id" FROM "User" u ${join} ${where} ORDER BY ${order} ${limit}`), params: page.params },
    count: { sql: tidy(`SELECT COUNT(*) AS "n" FROM "User" u ${countWhere}`), params: count.params },
  };
}

/**
 * Seconds of a usage record inside [since, until): the record runs from "startedAt" to "endedAt"
 * (or `until` while it runs). SQLite keeps timestamps as ISO text (julianday reads it); PostgreSQL
 * as timestamps. `p` makes placeholders, called in the order they appear in the text (SQLite's
 * "?" are positional).
 */
export function overlapSeconds(dialect: SqlDialect, p: (value: unknown) => string, since: Date, until: Date): string {
  if (dialect === "postgres") {
    return `GREATEST(0, EXTRACT(EPOCH FROM (LEAST(COALESCE("endedAt", ${p(until)}), ${p(until)}) - GREATEST("startedAt", ${p(since)}))))`;
  }
  return `MAX(0, (julianday(MIN(COALESCE("endedAt", ${p(until)}), ${p(until)})) - julianday(MAX("startedAt", ${p(since)}))) * 86400.0)`;
}
