// Shared bodies of the server routes (default server and named servers behave the same).
import { getRuntime } from "../runtime";
import { requireSelfOrAdmin } from "../auth/request-auth";
import { readJson } from "../http/route";
import { HttpError } from "../http/errors";
import type { ApiRequest } from "../http/api-request";
import { normalizeUsername, validateServerName } from "@/app/_lib/users/names";
import { getUserOrThrow } from "@/app/_lib/users/queries";
import { findServer, getUserIdOrThrow, requestStart, requestStop, waitForStop } from "./commands";
import { progressUrl, serverPath } from "./models";
import { followSpawnEvents } from "./spawn-events";
import { serverDescriber } from "./details";
import { readUserModel } from "@/app/_lib/users/queries";

/**
 * What a start or stop answers before it is written: a status and a JSON body, or none (a 204,
 * or a stop's 202). The Next route files make a web Response of it (toResponse); the Express fast
 * path (http/rest-fast-path.ts) writes it to Node's response without one.
 */
export interface RouteAnswer {
  status: number;
  /** the JSON body; absent: no body */
  json?: unknown;
}

/**
 * The request's JSON body, read when the route gets to it: after the authentication and name
 * checks, so a refused request is refused for that whatever its body (readJson on Next's path,
 * parseJsonBody of the bytes the fast path read).
 */
export type BodyReader = () => Promise<unknown>;

/** A RouteAnswer as the web Response Next's route handlers return (Response.json, or no body). */
export function toResponse(answer: RouteAnswer): Response {
  return answer.json === undefined ? new Response(null, { status: answer.status }) : Response.json(answer.json, { status: answer.status });
}

/** POST of a server (JupyterHub's): 202 with the progress URL once the start is requested. */
export async function startServer(req: ApiRequest, readBody: BodyReader, rawUser: string, rawServer: string | undefined): Promise<RouteAnswer> {
  const name = normalizeUsername(rawUser);
  await requireSelfOrAdmin(req, name);
  const server = validateServerName(rawServer);
  const body = await readBody();
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new HttpError(400, "The body must be a JSON object of server options.");
  const { db } = getRuntime();
  const userId = await getUserIdOrThrow(db, name);
  const outcome = await requestStart(db, userId, server, body as Record<string, unknown>);
  if (outcome === "already-running") throw new HttpError(400, `${name} already has a server running at ${serverPath(name, server)}`);
  return { status: 202, json: { status: "pending", url: serverPath(name, server), progress_url: progressUrl(name, server) } };
}

/** startServer for a Next route file. */
export async function startServerRoute(req: Request, rawUser: string, rawServer: string | undefined): Promise<Response> {
  return toResponse(await startServer(req, () => readJson(req), rawUser, rawServer));
}

/**
 * GET of one server (JupyterHub 6's GET /users/{name}/servers/{server_name}): its server model, as
 * in the user model with include_stopped_servers; "" is the default server. A server that has no
 * record (never started, or removed) is a 404, JSON.
 */
export async function serverModelRoute(req: Request, rawUser: string, rawServer: string | undefined): Promise<Response> {
  const name = normalizeUsername(rawUser);
  await requireSelfOrAdmin(req, name);
  const server = validateServerName(rawServer);
  const { db, dbProvider, config, catalog, origins } = getRuntime();
  const model = await readUserModel(db, dbProvider, name, { allServers: true, publicUrl: config.hub.publicUrl, origins, describe: serverDescriber(catalog) });
  const found = Object.hasOwn(model.servers, server) ? model.servers[server] : undefined;
  if (!found) throw new HttpError(404, `${name} has no ${server ? `server named "${server}"` : "default server"}.`);
  return Response.json(found);
}

/**
 * DELETE of a server (JupyterHub's semantics): 204 when it is stopped by the end of the request —
 * it was not running, or its stop completed within hub.slowStopTimeoutSeconds — else 202 while the
 * stop goes on. Body {"remove": true}: a named server's record is deleted too (once stopped); the
 * default server cannot be removed (400). An unknown named server is a 404.
 */
export async function stopServer(req: ApiRequest, readBody: BodyReader, rawUser: string, rawServer: string | undefined): Promise<RouteAnswer> {
  const name = normalizeUsername(rawUser);
  await requireSelfOrAdmin(req, name);
  const server = validateServerName(rawServer);
  const body = await readBody();
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new HttpError(400, 'The body must be a JSON object, e.g. {"remove": true}.');
  const remove = (body as { remove?: unknown }).remove ?? false;
  if (typeof remove !== "boolean") throw new HttpError(400, '"remove" must be true or false.');
  if (remove && !server) throw new HttpError(400, "Cannot delete the default server (remove is for named servers).");
  const { db, config } = getRuntime();
  const userId = await getUserIdOrThrow(db, name);
  const row = await findServer(db, userId, server);
  if (server && !row) throw new HttpError(404, `${name} has no server named "${server}".`);
  const outcome = await requestStop(db, userId, server, { remove, found: row });
  if (outcome === "not-running" || !row) return { status: 204 };
  const stopped = await waitForStop(db, row.id, config.hub.slowStopTimeoutSeconds * 1000);
  return { status: stopped ? 204 : 202 };
}

/** stopServer for a Next route file. */
export async function stopServerRoute(req: Request, rawUser: string, rawServer: string | undefined): Promise<Response> {
  return toResponse(await stopServer(req, () => readJson(req), rawUser, rawServer));
}

/**
 * Server-Sent Events with the current spawn's progress, JupyterHub's format:
 * data: {"progress": 50, "message": "…"}; the last event has "ready": true and "url", or "failed": true.
 */
export async function progressRoute(req: Request, rawUser: string, rawServer: string | undefined): Promise<Response> {
  const name = normalizeUsername(rawUser);
  await requireSelfOrAdmin(req, name);
  const serverName = validateServerName(rawServer);
  const { db, bus } = getRuntime();
  const user = await getUserOrThrow(db, name);
  const server = await db.server.findUnique({ where: { userId_name: { userId: user.id, name: serverName } } });
  if (!server?.spawnId) throw new HttpError(404, `${name} has no server ${serverName ? `"${serverName}" ` : ""}to report on.`);
  const spawnId = server.spawnId;
  const url = serverPath(name, serverName);
  const enc = new TextEncoder();
  const abort = new AbortController();
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      const send = (obj: object) => controller.enqueue(enc.encode(`data: ${JSON.stringify(obj)}\n\n`));
      const heartbeat = setInterval(() => !abort.signal.aborted && controller.enqueue(enc.encode(": keep-alive\n\n")), 15000);
      try {
        for await (const ev of followSpawnEvents({ db, bus, serverId: server.id, spawnId, signal: abort.signal })) {
          if (ev.kind === "ready") send({ progress: 100, ready: true, message: ev.message, url });
          else if (ev.kind === "failed") send({ progress: 100, failed: true, message: ev.message });
          else if (ev.kind === "stopped") send({ progress: 100, failed: true, stopped: true, message: ev.message });
          // launches: the step the event belongs to (Gyre's addition to JupyterHub's format)
          else
            send({
              progress: ev.progress,
              message: ev.message,
              ...(ev.phase ? { phase: ev.phase } : {}),
              ...(ev.cached !== null ? { cached: ev.cached } : {}),
            });
        }
      } catch (err) {
        send({ progress: 100, failed: true, message: `Progress stream error: ${(err as Error).message}` });
      } finally {
        clearInterval(heartbeat);
        try {
          controller.close();
        } catch {
          /* client already gone */
        }
      }
    },
    cancel() {
      abort.abort();
    },
  });
  return new Response(stream, { headers: { "content-type": "text/event-stream", "cache-control": "no-cache, no-transform", "x-accel-buffering": "no" } });
}
