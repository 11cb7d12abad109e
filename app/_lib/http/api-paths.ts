// JupyterHub clients write REST paths with trailing slashes (GET /hub/api/, and the default
// server as the named server "" — POST /hub/api/users/<name>/servers/). Next.js would answer those
// with a 308 to the path without the slash, which API clients do not follow with their method and
// body; the Express entry rewrites them to the route's own path instead.
import type { Request, Response, NextFunction } from "express";
import { DEFAULT_SERVER_SEGMENT } from "../shares/share-rules";
import { requestHandlerLabel } from "../hub/request-handler-label";
import { API_ROUTE_METHODS } from "./api-route-methods";

/**
 * A share path naming the default server by an empty last segment (/shares/alice/,
 * /users/bob/shared/alice/): that segment becomes DEFAULT_SERVER_SEGMENT, since without it the
 * path would be another endpoint (/shares/alice lists all of alice's shares).
 */
const DEFAULT_SERVER_SHARE_PATH = /^\/hub\/api\/(?:(?:shares|share-codes)\/[^/]+|(?:users|groups)\/[^/]+\/shared\/[^/]+)\/$/;

/** The path a /hub/api request is served at: trailing slashes dropped, ".../servers/" (empty name) → ".../server". Pure. */
export function canonicalApiPath(path: string): string {
  if (!path.startsWith("/hub/api/") || !path.endsWith("/")) return path;
  if (DEFAULT_SERVER_SHARE_PATH.test(path)) return path + DEFAULT_SERVER_SEGMENT;
  const trimmed = path.replace(/\/+$/, "");
  const defaultServer = /^(\/hub\/api\/users\/[^/]+)\/servers$/.exec(trimmed);
  return defaultServer ? `${defaultServer[1]}/server` : trimmed;
}

/** Express middleware: serves /hub/api paths at their canonical path (no redirect). */
export function canonicalApiPaths(req: Request, _res: Response, next: NextFunction): void {
  const q = req.url.indexOf("?");
  const path = q < 0 ? req.url : req.url.slice(0, q);
  const canonical = canonicalApiPath(path);
  if (canonical !== path) req.url = canonical + (q < 0 ? "" : req.url.slice(q));
  next();
}

/**
 * The Allow header of a 405 at `path` (canonical, with /hub): the methods its route file exports,
 * with what Next.js adds to every route (OPTIONS, and HEAD where there is GET), sorted as Next's own
 * OPTIONS answer lists them. Null for a path no route file serves. Pure.
 */
export function allowedMethods(path: string): string | null {
  const methods = API_ROUTE_METHODS[requestHandlerLabel(path)];
  if (!methods) return null;
  const allow = new Set([...methods, "OPTIONS", ...(methods.includes("GET") ? ["HEAD"] : [])]);
  return [...allow].sort().join(", ");
}

/**
 * Express middleware: Next.js answers a method a route file does not export with an empty 405;
 * REST clients get JSON like every other API error instead (the catch-all route does the same for
 * unknown paths), with the Allow header RFC 9110 §15.5.6 asks of a 405 (allowedMethods).
 */
export function jsonMethodNotAllowed(req: Request, res: Response, next: NextFunction): void {
  if (!req.path.startsWith("/hub/api")) return next();
  const body = JSON.stringify({ status: 405, message: `${req.method} is not allowed on ${req.path} of the hub's REST API.` });
  const allow = allowedMethods(req.path);
  let replace = false;
  const replaceHeaders = () => {
    replace = true;
    res.setHeader("content-type", "application/json");
    res.setHeader("content-length", Buffer.byteLength(body));
    if (allow) res.setHeader("allow", allow);
  };
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => Response;
  res.writeHead = ((status: number, ...rest: unknown[]) => {
    if (status === 405) {
      // Next's 405 has no body: give it ours, with headers that say so
      replaceHeaders();
      const headers = rest.find((r) => r && typeof r === "object") as Record<string, unknown> | undefined;
      const ours = allow ? /^(content-(type|length)|allow)$/i : /^content-(type|length)$/i;
      if (headers) for (const k of Object.keys(headers)) if (ours.test(k)) delete headers[k];
    }
    return writeHead(status, ...rest);
  }) as Response["writeHead"];
  const end = res.end.bind(res) as (...args: unknown[]) => Response;
  res.end = ((...args: unknown[]) => {
    if (res.statusCode === 405 && !res.headersSent) replaceHeaders();
    if (!replace) return end(...args);
    return end(body, ...args.filter((a) => typeof a === "function"));
  }) as Response["end"];
  next();
}
