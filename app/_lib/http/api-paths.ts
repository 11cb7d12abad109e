// JupyterHub clients write REST paths with trailing slashes (GET /hub/api/, and the default
// server as the named server "" — POST /hub/api/users/<name>/servers/). Next.js would answer those
// with a 308 to the path without the slash, which API clients do not follow with their method and
// body; the Express entry rewrites them to the route's own path instead.
import type { Request, Response, NextFunction } from "express";

/** The path a /hub/api request is served at: trailing slashes dropped, ".../servers/" (empty name) → ".../server". Pure. */
export function canonicalApiPath(path: string): string {
  if (!path.startsWith("/hub/api/") || !path.endsWith("/")) return path;
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
