// Start and stop requests. They only write the database and wake the spawn worker, so they are
// fast, safe to call from any hub replica, and survive a hub restart (the worker picks them up).
import { randomBytes } from "node:crypto";
import { getRuntime } from "../runtime";
import { HttpError } from "../http/errors";
import type { Db } from "../db/types";
import { readRows } from "../db/sql-reads";
import { writesOf } from "../db/sql-writes";
import { findUserWithGroups } from "@/app/_lib/users/queries";
import { validateSpawnOptions } from "@/spawners/spawn-options";
import { SpawnOptionsError } from "@/spawners/types";
import { ACTIVE_STATES } from "./models";
import { revokeServerClientTokens } from "../oauth/provider";
import { serverFromRow } from "./worker-sql";
import {
  buildRemoveInState,
  buildRemoveWhenStopped,
  buildRequestedEvent,
  buildRequestStartInsert,
  buildRequestStartUpdate,
  buildRequestStop,
  buildServerByNameQuery,
  buildServerStateQuery,
  buildUserIdQuery,
} from "./request-sql";

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
  const existing = await findServer(db, userId, serverName);
  if (existing?.state === "running") return "already-running";
  if (existing && ["pending", "starting"].includes(existing.state)) return "already-pending";
  if (existing?.state === "stopping") throw new HttpError(400, "The server is still stopping; try again in a moment.");
  if (!existing && serverName) await checkNamedServerLimit(db, userId, config.hub.namedServerLimitPerUser);
  const spawnId = randomBytes(16).toString("hex");
  const writes = writesOf(db);
  const data = {
    spawnId,
    spawnerKind: config.spawner.kind,
    options: JSON.stringify(options),
    profile: typeof options.profile === "string" ? options.profile : null,
    now,
    writtenAt: new Date(),
    ...(launch ? { launchId: launch.launchId } : {}),
  };
  // The record and its first event in one transaction on the driver (request-sql.ts). The unique
  // (userId, name) refuses a second concurrent insert; an update of a record deleted meanwhile fails.
  const [written] = await writes.transaction([
    existing
      ? { q: buildRequestStartUpdate(writes.dialect, { id: existing.id, ...data }), orFail: "the server's record was deleted during the start request" }
      : { q: buildRequestStartInsert(writes.dialect, { userId, name: serverName, ...data }) },
    { q: buildRequestedEvent(writes.dialect, { userId, name: serverName, spawnId, at: now }) },
  ]);
  const server = { id: existing ? existing.id : Number(written!.rows[0].id) };
  bus.emit("wake");
  bus.emit(`server:${server.id}`);
  return "requested";
}

export type StopOutcome = "requested" | "not-running";

type ServerRow = NonNullable<Awaited<ReturnType<typeof findServer>>>;

/**
 * Asks for a server's stop. `remove`: the server's record goes too — now when it is not running,
 * else once the stop has completed (the worker deletes it; a failed stop keeps it, as the server
 * may still run). A missing record is "not-running". `reason` is kept on the server and shown to
 * its owner ("Stopped: the account was blocked by an admin.").
 */
export async function requestStop(
  db: Db,
  userId: number,
  serverName: string,
  opts: { remove?: boolean; reason?: string; found?: ServerRow | null } = {},
): Promise<StopOutcome> {
  const { bus } = getRuntime();
  // `found`: the record as the caller read it (findServer) just before, with nothing in between
  // (the REST DELETE reads it for its 404): not read twice. The writes are conditional on the state read.
  const s = opts.found !== undefined ? opts.found : await findServer(db, userId, serverName);
  const writes = writesOf(db);
  if (!s || !(ACTIVE_STATES as readonly string[]).includes(s.state)) {
    if (s && opts.remove) {
      const gone = await writes.run(buildRemoveInState(writes.dialect, { id: s.id, state: s.state }));
      const owner = gone.changes ? await db.user.findUnique({ where: { id: userId }, select: { name: true } }) : null;
      // its OAuth client goes with it (provider.ts)
      if (owner) await revokeServerClientTokens(db, getRuntime().proxy, { owner: owner.name, server: serverName, now: new Date() });
    }
    return "not-running";
  }
  if (s.state !== "stopping") {
    const r = await writes.run(
      buildRequestStop(writes.dialect, { id: s.id, from: s.state, reason: opts.reason ?? null, remove: opts.remove ?? false, now: new Date() }),
    );
    if (r.changes === 0) return requestStop(db, userId, serverName, { ...opts, found: undefined }); // raced with the worker: re-read
  } else if (opts.remove) {
    await writes.run(buildRemoveWhenStopped(writes.dialect, { id: s.id, now: new Date() }));
  }
  bus.emit("wake");
  bus.emit(`server:${s.id}`);
  return "requested";
}

/**
 * How often a waiting stop request reads the server's state without a word on the bus: a stop
 * carried out by another hub replica is announced on the bus too (on PostgreSQL), so this only
 * covers a lost notification. Each DELETE waits this way, so a storm of stops is that many reads
 * per interval.
 */
const STOP_WAIT_POLL_MS = 1000;

/**
 * Waits up to `ms` for a server's stop to complete (stopped, failed or removed), watching the bus
 * (the owning replica's worker announces each step of the server) and the database every
 * STOP_WAIT_POLL_MS. True when it has completed.
 */
export async function waitForStop(db: Db, serverId: number, ms: number): Promise<boolean> {
  const { bus } = getRuntime();
  const done = async () => {
    const [s] = await readRows<{ state: string }>(db, buildServerStateQuery(writesOf(db).dialect, serverId));
    return !s || !(ACTIVE_STATES as readonly string[]).includes(s.state);
  };
  const end = Date.now() + ms;
  for (;;) {
    if (await done()) return true;
    const left = end - Date.now();
    if (left <= 0) return false;
    await new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        bus.off(`server:${serverId}`, wake);
        resolve();
      };
      const timer = setTimeout(wake, Math.min(left, STOP_WAIT_POLL_MS));
      bus.on(`server:${serverId}`, wake);
    });
  }
}

/**
 * Refuses a new named server beyond the user's limit (User.namedServerLimit, else
 * hub.namedServerLimitPerUser). Every named server row counts, stopped ones too: a user frees a
 * place by deleting one.
 */
export async function checkNamedServerLimit(db: Db, userId: number, hubLimit: number): Promise<void> {
  const user = await db.user.findUnique({ where: { id: userId }, select: { namedServerLimit: true } });
  const limit = user?.namedServerLimit ?? hubLimit;
  const have = await db.server.count({ where: { userId, name: { not: "" } } });
  if (have >= limit) {
    throw new HttpError(
      400,
      limit === 0
        ? "Named servers are not enabled for this account."
        : `You already have ${have} named server${have === 1 ? "" : "s"}, the most this account may have (${limit}). Delete one first.`,
    );
  }
}

/** The spawner's view of the options (validated, defaults filled in), or a 400 naming the field. */
async function checkSpawnOptions(db: Db, userId: number, raw: Record<string, unknown>): Promise<Record<string, unknown>> {
  const { config, catalog } = getRuntime();
  const user = await findUserWithGroups(db, { id: userId });
  if (!user) throw new HttpError(404, "No such user.");
  if (user.blocked) throw new HttpError(403, `${user.name} is blocked: their servers cannot be started.`);
  try {
    return validateSpawnOptions({ catalog, kind: config.spawner.kind, config: config.spawner }, user, raw);
  } catch (err) {
    if (err instanceof SpawnOptionsError) throw new HttpError(400, err.message);
    throw err;
  }
}

/** A user's server by name, every column, on the driver (null: no record). */
export async function findServer(db: Db, userId: number, serverName: string) {
  const [row] = await readRows<Record<string, unknown>>(db, buildServerByNameQuery(writesOf(db).dialect, { userId, name: serverName }));
  return row ? serverFromRow(row) : null;
}

/** The id of the user of that name, on the driver; a 404 when there is none. */
export async function getUserIdOrThrow(db: Db, name: string): Promise<number> {
  const [row] = await readRows<{ id: number | bigint }>(db, buildUserIdQuery(writesOf(db).dialect, name));
  if (!row) throw new HttpError(404, `No such user: ${name}`);
  return Number(row.id);
}
