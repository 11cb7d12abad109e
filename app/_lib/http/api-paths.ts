// JupyterHub clients write REST paths with trailing slashes (GET /hub/api/, and the default
// server as the named server "" — POST /hub/api/users/<name>/servers/). Next.js would answer those
// with a 308 to the path without the slash, which API clients do not follow with their method and
// body; the Express entry rewrites them to the route's own path instead.
import type { Request, Response, NextFunction } from "express";
import { DEFAULT_SERVER_SEGMENT } from "../shares/share-rules";

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
 * Express middleware: Next.js answers a method a route file does not export with an empty 405;
 * REST clients get JSON like every other API error instead (the catch-all route does the same for
 * unknown paths).
 */
export function jsonMethodNotAllowed(req: Request, res: Response, next: NextFunction): void {
  if (!req.path.startsWith("/hub/api")) return next();
  const body = JSON.stringify({ status: 405, message: `${req.method} is not allowed on ${req.path} of the hub's REST API.` });
  let replace = false;
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => Response;
  res.writeHead = ((status: number, ...rest: unknown[]) => {
    if (status === 405) {
      // Next's 405 has no body: give it ours, with headers that say so
      replace = true;
      res.setHeader("content-type", "application/json");
      res.setHeader("content-length", Buffer.byteLength(body));
      const headers = rest.find((r) => r && typeof r === "object") as Record<string, unknown> | undefined;
      if (headers) for (const k of Object.keys(headers)) if (/^content-(type|length)$/i.test(k)) delete headers[k];
    }
    return writeHead(status, ...rest);
  }) as Response["writeHead"];
  const end = res.end.bind(res) as (...args: unknown[]) => Response;
  res.end = ((...args: unknown[]) => {
    if (res.statusCode === 405 && !res.headersSent) {
      replace = true;
      res.setHeader("content-type", "application/json");
      res.setHeader("content-length", Buffer.byteLength(body));
    }
    if (!replace) return end(...args);
    return end(body, ...args.filter((a) => typeof a === "function"));
  }) as Response["end"];
  next();
}
