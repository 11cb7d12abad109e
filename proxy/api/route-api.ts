// The internal, token-protected API: configurable-http-proxy's route API (same paths, codes and
// JSON), bulk endpoints, revocations pushed by the hub, /health and /metrics.
import type http from "node:http";
import { timingSafeEqual } from "node:crypto";
import type { Logger } from "pino";
import { RouteDataError, routeToJSON, type RouteTable } from "../routing/route-table";
import { extraRouteRefusal } from "../routing/extra-route-policy";
import { HubRefusal, type HubConnection } from "../hub/connection";
import type { ProxyMetrics } from "../metrics";

/** What the API handler works on. */
export interface RouteApiContext {
  table: RouteTable;
  authToken: string;
  metrics: ProxyMetrics;
  log: Logger;
  /** where routes other clients add or delete are stored (the hub: it pushes them to every proxy) */
  hub: Pick<HubConnection, "saveExtraRoute" | "deleteExtraRoute">;
  /** applies revocations the hub pushes (sessions by id, API tokens by sha256 hex) */
  revoke?: (r: Revocations) => void;
  /** replaces the share map with the one the hub pushes; false when its shape is wrong */
  setShares?: (map: unknown) => boolean;
  /** replaces the role access map with the one the hub pushes; false when its shape is wrong */
  setRoleAccess?: (map: unknown, services?: unknown) => boolean;
  /** clock, ms (tests pass a fixed one) */
  now?: () => number;
}

/** POST /api/revocations: what the hub revoked just now. */
export interface Revocations {
  sessions: string[];
  /** sha256 (hex) of each revoked API token, as the hub stores them */
  tokenHashes: string[];
}

const ROUTES_RE = /^\/api\/routes(\/.*)?$/;

/**
 * The header the hub's own route pushes carry (app/_lib/servers/proxy-client.ts). A POST or
 * DELETE without it comes from someone else (a JupyterHub-style service using the CHP API): it
 * is stored at the hub, which pushes it to every proxy, and refused for paths the hub owns.
 */
export const HUB_ROUTE_HEADER = "x-gyre-route-owner";
const MAX_BODY_BYTES = 64 * 1024 * 1024;
const BULK_REFUSAL = `Bulk route changes are the hub's (${HUB_ROUTE_HEADER}: hub); other clients add and delete routes one at a time.`;

/** The hub could not be asked to store a route change (down, timed out, a 5xx). */
class HubUnavailable extends Error {}

/** Runs a call to the hub: its refusal passes through, any other failure becomes HubUnavailable. */
async function atHub<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof HubRefusal) throw err;
    throw new HubUnavailable((err as Error).message);
  }
}

/**
 * Handles one request on the internal port:
 * - GET /health (no token: probes have none; it says only how many routes there are)
 * - GET /metrics, with the token like everything else: the metrics name every route (every user
 *   with a server), and the port is reachable by every account on the host (Prometheus sends it
 *   as a bearer token: `authorization` in the scrape config)
 * - GET /api/routes[?inactive_since=ISO] · GET|POST|DELETE /api/routes/<path> (CHP semantics).
 *   Without HUB_ROUTE_HEADER: "hub" a POST or DELETE is another client's: refused (403) under
 *   /user/, /hub/ or at "/", otherwise stored at (or removed from) the hub first, which pushes
 *   the change to every proxy; 503 when the hub cannot be asked, and nothing changes
 * - PUT /api/routes {path: data, …} replaces the table · PATCH /api/routes {add: {…}, remove: […]}:
 *   the hub's only (a bulk change by another client could drop users' routes)
 * - POST /api/revocations {"sessions": [sid], "token_hashes": [sha256 hex]} → 204
 * - PUT /api/shares {"shares": {"<owner>/<server>": {"owner_id": n, "user_ids": [n]}}} → 204 (the whole map)
 * - PUT /api/role-access {"role_access": {"<user id>": {"all"?: true, "user_ids": [n], "servers": ["<owner id>/<server>"]}},
 *   "service_access"?: {"<service>": {…}}} → 204 (the whole maps; without service_access that map stays)
 */
export async function handleApiRequest(req: http.IncomingMessage, res: http.ServerResponse, ctx: RouteApiContext): Promise<void> {
  const now = ctx.now ?? Date.now;
  try {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname === "/health") return send(res, 200, { status: "OK", routes: ctx.table.size });
    if (!isAuthorized(req.headers.authorization, ctx.authToken)) {
      res.writeHead(403);
      res.end();
      return;
    }
    if (url.pathname === "/metrics" && req.method === "GET") {
      const body = await ctx.metrics.registry.metrics();
      res.writeHead(200, { "content-type": ctx.metrics.registry.contentType });
      res.end(body);
      return;
    }
    if (url.pathname === "/api/revocations") {
      if (req.method !== "POST") return fail(res, 405, "Method not supported");
      const body = await readJson(req);
      const list = (v: unknown): string[] => (Array.isArray(v) && v.every((x) => typeof x === "string") ? v : []);
      if (!isObject(body)) throw new RouteDataError('POST /api/revocations needs {"sessions": [id], "token_hashes": [sha256 hex]}');
      ctx.revoke?.({ sessions: list(body.sessions), tokenHashes: list(body.token_hashes) });
      res.writeHead(204);
      res.end();
      return;
    }
    if (url.pathname === "/api/shares") {
      if (req.method !== "PUT") return fail(res, 405, "Method not supported");
      const body = await readJson(req);
      if (!isObject(body) || !ctx.setShares?.(body.shares))
        throw new RouteDataError('PUT /api/shares needs {"shares": {"<owner>/<server>": {"owner_id": id, "user_ids": [id]}}}');
      res.writeHead(204);
      res.end();
      return;
    }
    if (url.pathname === "/api/role-access") {
      if (req.method !== "PUT") return fail(res, 405, "Method not supported");
      const body = await readJson(req);
      if (!isObject(body) || !ctx.setRoleAccess?.(body.role_access, body.service_access))
        throw new RouteDataError(
          'PUT /api/role-access needs {"role_access": {"<user id>": {"all": false, "user_ids": [id], "servers": ["<owner id>/<server>"]}}, "service_access"?: {"<service>": {…}}}',
        );
      res.writeHead(204);
      res.end();
      return;
    }
    const m = ROUTES_RE.exec(url.pathname);
    if (!m) return fail(res, 404, "Not Found");
    const path = m[1] === undefined ? "" : decodeURIComponent(m[1]);
    const whole = path === "" || path === "/";
    const fromHub = req.headers[HUB_ROUTE_HEADER] === "hub";
    switch (req.method) {
      case "GET": {
        if (!whole) {
          const e = ctx.table.get(path);
          return e ? send(res, 200, routeToJSON(e)) : fail(res, 404, "");
        }
        const param = url.searchParams.get("inactiveSince") || url.searchParams.get("inactive_since");
        let since: number | undefined;
        if (param) {
          since = Date.parse(param);
          if (!Number.isFinite(since)) return fail(res, 400, `Invalid datestamp '${param}' must be ISO8601.`);
        }
        return send(res, 200, ctx.table.toJSON(since));
      }
      case "POST": {
        const data = await readJson(req);
        if (!fromHub) {
          const refusal = extraRouteRefusal(path || "/", data);
          if (refusal) return fail(res, 403, refusal);
          ctx.table.validate(path || "/", data);
          await atHub(() => ctx.hub.saveExtraRoute(path || "/", data as Record<string, unknown>));
        }
        ctx.table.add(path || "/", data, now());
        ctx.log.debug({ path, fromHub }, "route added");
        res.writeHead(201);
        res.end();
        return;
      }
      case "DELETE": {
        if (!fromHub) {
          const refusal = extraRouteRefusal(path || "/", undefined);
          if (refusal) return fail(res, 403, refusal);
          const stored = await atHub(() => ctx.hub.deleteExtraRoute(path || "/"));
          if (!ctx.table.remove(path || "/") && !stored) return fail(res, 404, "");
        } else if (!ctx.table.remove(path || "/")) return fail(res, 404, "");
        ctx.log.debug({ path, fromHub }, "route removed");
        res.writeHead(204);
        res.end();
        return;
      }
      case "PUT": {
        if (!whole) return fail(res, 405, "Method not supported");
        if (!fromHub) return fail(res, 403, BULK_REFUSAL);
        const body = await readJson(req);
        if (!isObject(body)) throw new RouteDataError("PUT /api/routes needs an object of path → route data");
        validateAll(ctx.table, body);
        const r = ctx.table.replaceAll(body, now());
        ctx.log.info({ ...r, total: ctx.table.size }, "route table replaced through the API");
        return send(res, 200, { ...r, total: ctx.table.size });
      }
      case "PATCH": {
        if (!whole) return fail(res, 405, "Method not supported");
        if (!fromHub) return fail(res, 403, BULK_REFUSAL);
        const body = await readJson(req);
        if (!isObject(body)) throw new RouteDataError('PATCH /api/routes needs {"add": {path: data}, "remove": [path]}');
        const add = body.add ?? {};
        const remove = body.remove ?? [];
        if (!isObject(add) || !Array.isArray(remove) || !remove.every((p) => typeof p === "string")) {
          throw new RouteDataError('PATCH /api/routes needs {"add": {path: data}, "remove": [path]}');
        }
        const r = ctx.table.patch(add, remove, now());
        return send(res, 200, { ...r, total: ctx.table.size });
      }
      default:
        return fail(res, 405, "Method not supported");
    }
  } catch (err) {
    if (err instanceof HubRefusal) return fail(res, err.status, err.message);
    if (err instanceof RouteDataError || err instanceof SyntaxError) return fail(res, 400, err.message);
    if (err instanceof URIError) return fail(res, 400, "Malformed route path");
    if (err instanceof HubUnavailable) {
      ctx.log.warn({ err: err.message }, "cannot store a route change at the hub");
      return fail(res, 503, "The hub could not be reached to store this route change; nothing was changed. Try again.");
    }
    ctx.log.error({ err }, "route API failure");
    return fail(res, 500, "Internal error");
  }
}

/** Rejects a whole bulk request before changing anything if one route is bad. */
function validateAll(table: RouteTable, routes: Record<string, unknown>): void {
  for (const [p, data] of Object.entries(routes)) {
    const d = data as Record<string, unknown> | null;
    if (!d || typeof d !== "object" || typeof d.target !== "string") throw new RouteDataError(`Route ${p}: must specify 'target' as string`);
    try {
      new URL(d.target);
    } catch {
      throw new RouteDataError(`Route ${p}: invalid target '${d.target}'`);
    }
  }
  void table;
}

function isAuthorized(header: string | undefined, token: string): boolean {
  const m = /^(?:token|bearer)\s+(\S+)/i.exec(header ?? "");
  if (!m) return false;
  const a = Buffer.from(m[1]);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === "object" && !Array.isArray(v);
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY_BYTES) throw new RouteDataError("Request body too large");
    chunks.push(c);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (!text) return {};
  return JSON.parse(text);
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** CHP's fail(): status plus a plain-text message (or the status text). */
function fail(res: http.ServerResponse, status: number, message: string): void {
  if (res.writableEnded) return;
  res.writeHead(status, { "content-type": "text/plain" });
  res.end(message);
}
