// Express middleware: the REST API's most frequent requests answered at the Express entry, before
// Next.js routes them — GET /hub/api/users and /hub/api/users/<name> (admin dashboards and
// JupyterHub clients poll them; Next's routing was a fifth of their CPU), GET /hub/api/proxy/auth
// (every proxy asks every few seconds, also of an idle hub: bench/README.md, phase 3y), and the start and stop of
// a server, POST / DELETE /hub/api/users/<name>/server and …/servers/<server> (Next's routing was
// 13–19% of the hub's CPU in start and stop storms). The answer comes from the same functions the
// Next route files call (app/_lib/users/rest-reads.ts, app/_lib/servers/api.ts), errors become the
// same JSON as route.ts makes them, so both paths answer byte for byte alike. Answers are written
// straight to the Express response (no web Response and its body stream), and the request is read
// through a light ApiRequest (no web Request and Headers): undici's Headers, Request and Response
// were ~16% of a stop storm's hub CPU (bench/README.md, phase 3p).
import type { Request as ExpressRequest, Response as ExpressResponse, NextFunction } from "express";
import { getRuntime } from "@/app/_lib/runtime";
import { errorToJson } from "./errors";
import { bodyTooLarge, declaresMoreThan, parseJsonBody } from "./route";
import { discardThenClose } from "./express-guards";
import { MAX_BODY_BYTES } from "./json-limits";
import { answerText, type JsonAnswer } from "./list-query";
import { nodeApiRequest, type ApiRequest } from "./api-request";
import { listUsersAnswer, userAnswer } from "@/app/_lib/users/rest-reads";
import { startServer, stopServer, type BodyReader, type RouteAnswer } from "@/app/_lib/servers/api";
import { authSnapshotAnswer } from "@/app/_lib/proxy-state";

const ONE_USER = /^\/hub\/api\/users\/([^/]+)$/;
/** …/server (the default server; …/servers/ is rewritten to it by canonicalApiPaths) or …/servers/<server> */
const ONE_SERVER = /^\/hub\/api\/users\/([^/]+)\/(?:server|servers\/([^/]+))$/;

const utf8 = new TextDecoder();

/**
 * The body's JSON as readJson gives it on Next's path: a declared Content-Length over the limit
 * or more bytes than it is a 413, the bytes are decoded as its TextDecoder does (a UTF-8 BOM
 * dropped, bad sequences replaced), then parsed by the same parseJsonBody.
 */
function bodyReader(req: ApiRequest, body: Buffer): BodyReader {
  return async () => {
    if (declaresMoreThan(req.headers, MAX_BODY_BYTES) || body.length > MAX_BODY_BYTES) throw bodyTooLarge(MAX_BODY_BYTES);
    return parseJsonBody(body.length ? utf8.decode(body) : "");
  };
}

/**
 * The request's body, read to at most one byte past MAX_BODY_BYTES (readJson then refuses it with
 * its 413, as it does on Next's stream; the rest is discarded once the answer is sent). A declared
 * Content-Length over the limit is not read at all (readJson's 413 comes from the header).
 */
function readBody(req: ExpressRequest, res: ExpressResponse): Promise<Buffer> {
  if (Number(req.headers["content-length"] ?? "0") > MAX_BODY_BYTES || req.complete) {
    discardThenClose(req, res);
    return Promise.resolve(Buffer.alloc(0));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      req.off("data", onData).off("end", done).off("error", reject);
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.pause();
        discardThenClose(req, res);
        done();
      }
    };
    req.on("data", onData).once("end", done).once("error", reject);
  });
}

/** user data: no cache may keep it (Next's answers to these carried no cache-control at all) */
const NO_STORE = "private, no-cache, no-store, max-age=0, must-revalidate";

/** The read's answer, or the error as route.ts answers it, written as Response.json would. */
async function sendJson(res: ExpressResponse, answer: Promise<JsonAnswer>): Promise<void> {
  let status = 200;
  let json: JsonAnswer;
  try {
    json = await answer;
  } catch (err) {
    const e = errorToJson(err, getRuntime().log);
    status = e.status;
    json = { body: e.body };
  }
  const body = answerText(json);
  res.statusCode = status;
  res.setHeader("content-type", json.contentType ?? "application/json");
  res.setHeader("cache-control", NO_STORE);
  res.setHeader("content-length", Buffer.byteLength(body));
  res.end(body);
}

/**
 * A start's or stop's answer, or the error as route.ts answers it, written as Next writes the
 * route's Response (toResponse): a JSON body as Response.json makes it, or none.
 */
async function sendAnswer(res: ExpressResponse, answer: Promise<RouteAnswer>): Promise<void> {
  let a: RouteAnswer;
  try {
    a = await answer;
  } catch (err) {
    const e = errorToJson(err, getRuntime().log);
    a = { status: e.status, json: e.body };
  }
  res.statusCode = a.status;
  const body = a.json === undefined ? "" : JSON.stringify(a.json);
  if (a.json !== undefined) res.setHeader("content-type", "application/json");
  res.setHeader("cache-control", NO_STORE);
  // a 204 has no body and no length (RFC 9110 §8.6)
  if (a.status !== 204) res.setHeader("content-length", Buffer.byteLength(body));
  res.end(body);
}

/** Serves the reads, starts and stops, or passes every other request on (to Next). */
export function restFastPath(req: ExpressRequest, res: ExpressResponse, next: NextFunction): void {
  const method = req.method;
  const path = req.path;
  if (method === "GET") {
    let answer: Promise<JsonAnswer>;
    // the reads take a light request (api-request.ts): no undici Headers and Request per call
    if (path === "/hub/api/users") answer = listUsersAnswer(nodeApiRequest(req));
    else if (path === "/hub/api/proxy/auth") answer = authSnapshotAnswer(nodeApiRequest(req));
    else {
      const m = ONE_USER.exec(path);
      if (!m) return next();
      // refuseMalformedPaths has already refused %-escapes that do not decode
      answer = userAnswer(nodeApiRequest(req), decodeURIComponent(m[1]));
    }
    sendJson(res, answer).catch(next);
  } else if (method === "POST" || method === "DELETE") {
    const m = ONE_SERVER.exec(path);
    if (!m) return next();
    const name = decodeURIComponent(m[1]);
    const server = m[2] === undefined ? undefined : decodeURIComponent(m[2]);
    const handler = method === "POST" ? startServer : stopServer;
    const api = nodeApiRequest(req);
    readBody(req, res)
      .then((body) => sendAnswer(res, handler(api, bodyReader(api, body), name, server)))
      .catch(next);
  } else next();
}
