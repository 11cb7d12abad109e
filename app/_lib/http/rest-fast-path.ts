// Express middleware: GET /hub/api/users and GET /hub/api/users/<name> answered at the Express
// entry, before Next.js routes the request. These are the REST API's most frequent reads (admin
// dashboards and JupyterHub clients poll them); Next's routing was a fifth of their CPU. The answer
// comes from the same functions the Next route files call (app/_lib/users/rest-reads.ts), errors
// become the same JSON as route.ts makes them, and the JSON is written straight to the Express
// response (no web Response and its body stream), so both paths answer byte for byte alike.
import type { Request as ExpressRequest, Response as ExpressResponse, NextFunction } from "express";
import { getRuntime } from "@/app/_lib/runtime";
import { errorToJson } from "./errors";
import type { JsonAnswer } from "./list-query";
import { listUsersAnswer, userAnswer } from "@/app/_lib/users/rest-reads";

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

/** The answer, or the error as route.ts answers it, written as Response.json would. */
async function send(res: ExpressResponse, answer: Promise<JsonAnswer>): Promise<void> {
  let status = 200;
  let json: JsonAnswer;
  try {
    json = await answer;
  } catch (err) {
    const e = errorToJson(err, getRuntime().log);
    status = e.status;
    json = { body: e.body };
  }
  const body = JSON.stringify(json.body);
  res.statusCode = status;
  res.setHeader("content-type", json.contentType ?? "application/json");
  // user data: no cache may keep it (Next's answers to these carried no cache-control at all)
  res.setHeader("cache-control", "private, no-cache, no-store, max-age=0, must-revalidate");
  res.setHeader("content-length", Buffer.byteLength(body));
  res.end(body);
}

/** Serves the two reads, or passes every other request on (to Next). */
export function restFastPath(req: ExpressRequest, res: ExpressResponse, next: NextFunction): void {
  if (req.method !== "GET") return next();
  const path = req.path;
  let answer: Promise<JsonAnswer>;
  if (path === "/hub/api/users") answer = listUsersAnswer(toWebRequest(req));
  else {
    const m = ONE_USER.exec(path);
    if (!m) return next();
    // refuseMalformedPaths has already refused %-escapes that do not decode
    answer = userAnswer(toWebRequest(req), decodeURIComponent(m[1]));
  }
  send(res, answer).catch(next);
}
