// Express middleware: GET /hub/api/users and GET /hub/api/users/<name> answered at the Express
// entry, before Next.js routes the request. These are the REST API's most frequent reads (admin
// dashboards and JupyterHub clients poll them); Next's routing was a fifth of their CPU. The answer
// comes from the same functions the Next route files call (app/_lib/users/rest-reads.ts), wrapped
// the same way (route.ts: errors become the same JSON), so both paths answer byte for byte alike.
import type { Request as ExpressRequest, Response as ExpressResponse, NextFunction } from "express";
import { route } from "./route";
import { listUsersResponse, userResponse } from "@/app/_lib/users/rest-reads";

const listUsers = route(listUsersResponse);
const oneUser = route<{ name: string }>(async (req, { params }) => userResponse(req, (await params).name));

const ONE_USER = /^\/hub\/api\/users\/([^/]+)$/;

/**
 * The web Request Next would hand the route handler: method, headers, and the path without the
 * basePath (/hub) with its query (messages name the path as Next shows it).
 */
function toWebRequest(req: ExpressRequest): Request {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i], raw[i + 1]);
  return new Request(`http://localhost${req.url.slice("/hub".length)}`, { method: req.method, headers });
}

async function send(res: ExpressResponse, answer: Response): Promise<void> {
  const body = Buffer.from(await answer.arrayBuffer());
  res.statusCode = answer.status;
  answer.headers.forEach((value, key) => res.setHeader(key, value));
  // user data: no cache may keep it (Next's answers to these carried no cache-control at all)
  res.setHeader("cache-control", "private, no-cache, no-store, max-age=0, must-revalidate");
  res.setHeader("content-length", body.length);
  res.end(body);
}

/** Serves the two reads, or passes every other request on (to Next). */
export function restFastPath(req: ExpressRequest, res: ExpressResponse, next: NextFunction): void {
  if (req.method !== "GET") return next();
  const path = req.path;
  let answer: Promise<Response>;
  if (path === "/hub/api/users") answer = listUsers(toWebRequest(req), { params: Promise.resolve({}) });
  else {
    const m = ONE_USER.exec(path);
    if (!m) return next();
    // refuseMalformedPaths has already refused %-escapes that do not decode
    answer = oneUser(toWebRequest(req), { params: Promise.resolve({ name: decodeURIComponent(m[1]) }) });
  }
  answer.then((r) => send(res, r)).catch(next);
}
