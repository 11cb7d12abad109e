// Query parameters of JupyterHub's list endpoints (offset/limit pagination, the user list's state
// filter and sort order) and the next page's URL. Pure: bad values are a 400 naming the parameter.
import { HttpError } from "./errors";
import type { ApiRequest, HeaderReader } from "./api-request";

/** The media type a client sends in Accept to get JupyterHub's paginated answer ({items, _pagination}). */
export const PAGINATION_MEDIA_TYPE = "application/jupyterhub-pagination+json";
/** JupyterHub's api_page_default_limit and api_page_max_limit. */
export const PAGE_DEFAULT_LIMIT = 50;
export const PAGE_MAX_LIMIT = 200;

export type UserState = "ready" | "active" | "inactive";
export type UserSort = { field: "id" | "name" | "last_activity"; descending: boolean };

export interface UserListQuery {
  state?: UserState;
  offset: number;
  limit: number;
  sort: UserSort;
  includeStoppedServers: boolean;
}

function nonNegativeInt(q: URLSearchParams, name: string): number | undefined {
  const raw = q.get(name);
  if (raw === null || raw === "") return undefined;
  if (!/^\d{1,9}$/.test(raw)) throw new HttpError(400, `${name} must be a whole number ≥ 0, not "${raw.slice(0, 20)}".`);
  return Number(raw);
}

/**
 * A present flag parameter is true unless it says false (JupyterHub's allowEmptyValue booleans:
 * "?include_stopped_servers" and "?include_stopped_servers=1" both ask for it).
 */
export function flagParam(q: URLSearchParams, name: string): boolean {
  const raw = q.get(name);
  return raw !== null && !["0", "false", "no"].includes(raw.toLowerCase());
}

/** Parses GET /hub/api/users' query; `paginated`: the client asked for the paginated answer. */
/** offset and limit of a JupyterHub list (its defaults: 50 with the pagination header, else 200; at most 200). */
export function parsePageQuery(q: URLSearchParams, paginated: boolean): { offset: number; limit: number } {
  const limit = nonNegativeInt(q, "limit") ?? (paginated ? PAGE_DEFAULT_LIMIT : PAGE_MAX_LIMIT);
  return { offset: nonNegativeInt(q, "offset") ?? 0, limit: Math.min(PAGE_MAX_LIMIT, Math.max(1, limit)) };
}

export function parseUserListQuery(q: URLSearchParams, paginated: boolean): UserListQuery {
  const state = q.get("state") || undefined;
  if (state !== undefined && !["ready", "active", "inactive"].includes(state))
    throw new HttpError(400, `Invalid state "${state.slice(0, 20)}": use ready, active or inactive.`);
  const rawSort = q.get("sort") || "id";
  const field = rawSort.replace(/^-/, "");
  if (!["id", "name", "last_activity"].includes(field))
    throw new HttpError(400, `Invalid sort "${rawSort.slice(0, 30)}": use id, name or last_activity, with "-" first for descending order.`);
  const limit = nonNegativeInt(q, "limit") ?? (paginated ? PAGE_DEFAULT_LIMIT : PAGE_MAX_LIMIT);
  return {
    state: state as UserState | undefined,
    offset: nonNegativeInt(q, "offset") ?? 0,
    limit: Math.min(PAGE_MAX_LIMIT, Math.max(1, limit)),
    sort: { field: field as UserSort["field"], descending: rawSort.startsWith("-") },
    includeStoppedServers: flagParam(q, "include_stopped_servers"),
  };
}

/**
 * The public origin the client used: X-Forwarded-Proto/-Host as Gyre's proxy passes them, else the
 * Host header. Next pages must point there (not at hub.publicUrl): a client that reached the hub
 * directly, or through another name, follows them on the same way.
 */
export function requestOrigin(headers: HeaderReader): string {
  const host = headers.get("x-forwarded-host")?.split(",")[0]?.trim() || headers.get("host") || "localhost";
  const proto = headers.get("x-forwarded-proto")?.split(",")[0]?.trim() === "https" ? "https" : "http";
  return `${proto}://${host}`;
}

/** The URL of the page after [offset, offset+limit) — the request's own origin, path and other parameters — or null when none follows. */
export function nextPage(opts: { origin: string; path: string; query: URLSearchParams; offset: number; limit: number; total: number }) {
  const offset = opts.offset + opts.limit;
  if (offset >= opts.total) return null;
  const q = new URLSearchParams(opts.query);
  q.set("offset", String(offset));
  q.set("limit", String(opts.limit));
  return { offset, limit: opts.limit, url: `${opts.origin}${opts.path}?${q}` };
}

/** Whether the client asked for JupyterHub's paginated list shape (its Accept header). */
export function wantsPagination(headers: HeaderReader): boolean {
  return (headers.get("accept") ?? "").includes(PAGINATION_MEDIA_TYPE);
}

/**
 * A list answer as JupyterHub gives it: the bare array, or — when the client asked for
 * pagination — the items with a _pagination block whose next URL is on the request's own origin
 * and path.
 */
/** `items`: a list, or (GET /proxy, as JupyterHub's) an object of the page's entries. */
export function listResponse(req: Request, page: { items: unknown[] | Record<string, unknown>; offset: number; limit: number; total: number }): Response {
  return answerResponse(listAnswer(req, page));
}

/**
 * JSON already written as text (the users list's page, app/_lib/users/queries.ts listUsersJson).
 * An answer's body as this is sent as it is: the same bytes JSON.stringify gives for the value.
 */
export class JsonText {
  constructor(readonly text: string) {}
}

/** A JSON answer before it becomes a web Response: the body and, when not application/json, its content type. */
export interface JsonAnswer {
  body: unknown;
  contentType?: string;
}

/** The answer's body as JSON text. */
export function answerText({ body }: JsonAnswer): string {
  return body instanceof JsonText ? body.text : JSON.stringify(body);
}

/** The web Response of a JsonAnswer, as Response.json makes it. */
export function answerResponse(answer: JsonAnswer): Response {
  const { body, contentType } = answer;
  if (body instanceof JsonText) return new Response(body.text, { headers: { "content-type": contentType ?? "application/json" } });
  return contentType ? Response.json(body, { headers: { "content-type": contentType } }) : Response.json(body);
}

/** listResponse's answer as a JsonAnswer (the Express fast path writes it without a web Response). `items` as JsonText: a JSON array's text. */
export function listAnswer(
  req: ApiRequest,
  page: { items: unknown[] | Record<string, unknown> | JsonText; offset: number; limit: number; total: number },
): JsonAnswer {
  if (!wantsPagination(req.headers)) return { body: page.items };
  const url = new URL(req.url);
  // Next hands route handlers the path without its basePath (/hub)
  const path = url.pathname.startsWith("/hub/") ? url.pathname : `/hub${url.pathname}`;
  const { offset, limit, total } = page;
  const next = nextPage({ origin: requestOrigin(req.headers), path, query: url.searchParams, offset, limit, total });
  const _pagination = { offset, limit, total, next };
  // the text JSON.stringify gives for { items, _pagination }
  const body =
    page.items instanceof JsonText
      ? new JsonText(`{"items":${page.items.text},"_pagination":${JSON.stringify(_pagination)}}`)
      : { items: page.items, _pagination };
  return { body, contentType: PAGINATION_MEDIA_TYPE };
}
