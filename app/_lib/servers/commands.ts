// Start and stop requests. They only write the database and wake the spawn worker, so they are
// fast, safe to call from any hub replica, and survive a hub restart (the worker picks them up).
import { randomBytes } from "node:crypto";
import { getRuntime } from "../runtime";
import { HttpError } from "../http/errors";
import type { Db } from "../db/types";
import { findUserWithGroups } from "@/app/_lib/users/queries";
import { validateSpawnOptions } from "@/spawners/spawn-options";
import { SpawnOptionsError } from "@/spawners/types";

export type StartOutcome = "requested" | "already-pending" | "already-running";

/**
 * Records a start request (state=pending) and wakes the spawn worker. `options` (the spawn form /
 * JSON body) are validated by the configured spawner first: bad ones are a 400 naming the field,
 * and nothing is written. `launch`: the server serves that launch from now on (a start without it
 * keeps the server's launch, so a launch's server started again from the home page prepares it).
 */
export async function requestStart(
  db: Db,
  userId: number,
  serverName: string,
  options: Record<string, unknown>,
  now = new Date(),
  launch?: { launchId: number },
): Promise<StartOutcome> {
  const { config, bus } = getRuntime();
  options = await checkSpawnOptions(db, userId, options);
  const existing = await db.server.findUnique({ where: { userId_name: { userId, name: serverName } } });
  if (existing?.state === "running") return "already-running";
  if (existing && ["pending", "starting"].includes(existing.state)) return "already-pending";
  if (existing?.state === "stopping") throw new HttpError(400, "The server is still stopping; try again in a moment.");
  const spawnId = randomBytes(16).toString("hex");
  const data = {
    state: "pending",
    spawnId,
    spawnerKind: config.spawner.kind,
    spawnerState: "{}",
    options: JSON.stringify(options),
    message: null,
    logTail: null,
    url: null,
    requestedAt: now,
    startedAt: null,
    stoppedAt: null,
    ...(launch ? { launchId: launch.launchId } : {}),
  };
  // The unique (userId, name) plus the state condition make concurrent requests safe.
  const server = existing
    ? await db.server.update({ where: { id: existing.id }, data })
    : await db.server.create({ data: { userId, name: serverName, ...data } });
  await db.spawnEvent.create({ data: { serverId: server.id, spawnId, progress: 0, message: "Server requested", at: now } });
  bus.emit("wake");
  bus.emit(`server:${server.id}`);
  return "requested";
}

export type StopOutcome = "requested" | "not-running";

export async function requestStop(db: Db, userId: number, serverName: string): Promise<StopOutcome> {
  const { bus } = getRuntime();
  const s = await db.server.findUnique({ where: { userId_name: { userId, name: serverName } } });
  if (!s || !["pending", "starting", "running", "stopping"].includes(s.state)) return "not-running";
  if (s.state !== "stopping") {
    const r = await db.server.updateMany({ where: { id: s.id, state: s.state }, data: { state: "stopping", message: null } });
    if (r.count === 0) return requestStop(db, userId, serverName); // raced with the worker: re-read
  }
  bus.emit("wake");
  bus.emit(`server:${s.id}`);
  return "requested";
}

/** The spawner's view of the options (validated, defaults filled in), or a 400 naming the field. */
async function checkSpawnOptions(db: Db, userId: number, raw: Record<string, unknown>): Promise<Record<string, unknown>> {
  const { config, catalog } = getRuntime();
  const user = await findUserWithGroups(db, { id: userId });
  if (!user) throw new HttpError(404, "No such user.");
  try {
    return validateSpawnOptions({ catalog, kind: config.spawner.kind, config: config.spawner }, user, raw);
  } catch (err) {
    if (err instanceof SpawnOptionsError) throw new HttpError(400, err.message);
    throw err;
  }
}
