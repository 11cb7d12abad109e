// The hub's side of the batch spawner's callback (spawners/batch/callback.ts): a job POSTs its
// host and port to /hub/api/batch/callback with a per-spawn secret. The secret is stored hashed in
// the BatchCallback table, so the endpoint works on any hub replica and after a hub restart; the
// spawn worker that waits learns of the call through the runtime bus (same process) or by reading
// the table (another replica took the call).
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { defaultCallbackUrl } from "@/config/derived";
import type { EventEmitter } from "node:events";
import { hashSecret, parseCallbackBody, type BatchCallbackChannel, type CallbackAddress } from "@/spawners/batch/callback";
import { HttpError } from "../http/errors";
import type { Db } from "../db/types";

/** Bus topic announcing that the job of `spawnId` called back. */
export const callbackTopic = (spawnId: string): string => `batch-callback:${spawnId}`;

/** Path of the endpoint (under the hub's base URL). */
export const BATCH_CALLBACK_PATH = "/hub/api/batch/callback";

/** The URL jobs call: `hub.callbackUrl`, else the hub's own address (config/derived.ts: this host's name for 0.0.0.0). */
export function batchCallbackUrl(hub: { callbackUrl?: string; bindHost: string; port: number }, hostName = hostname()): string {
  const base = hub.callbackUrl ?? defaultCallbackUrl(hub, hostName);
  return `${base.replace(/\/+$/, "")}${BATCH_CALLBACK_PATH}`;
}

/** BatchCallbackChannel over the database; one per hub process (app/server.ts sets it). */
export class DbBatchCallbackChannel implements BatchCallbackChannel {
  constructor(
    private readonly db: Db,
    private readonly bus: EventEmitter,
    readonly url: string,
    /** how often wait() re-reads the table when no bus event arrives (other replicas) */
    private readonly pollMs = 1000,
  ) {}

  async register(spawnId: string): Promise<string> {
    const secret = randomBytes(32).toString("base64url");
    const secretHash = hashSecret(secret).toString("hex");
    // upsert: a spawn resumed after a hub restart keeps its spawn id and gets a new secret
    await this.db.batchCallback.upsert({
      where: { spawnId },
      create: { spawnId, secretHash },
      update: { secretHash, host: null, port: null, receivedAt: null, createdAt: new Date() },
    });
    return secret;
  }

  async wait(spawnId: string, signal: AbortSignal): Promise<CallbackAddress> {
    const topic = callbackTopic(spawnId);
    for (;;) {
      if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error("aborted");
      const row = await this.db.batchCallback.findUnique({ where: { spawnId } });
      if (!row) throw new Error(`spawn ${spawnId} is not registered`);
      // the table has no job id column; the spawner checks the address against its own job id
      if (row.receivedAt && row.host && row.port) return { host: row.host, port: row.port, jobId: "" };
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.bus.off(topic, done);
          signal.removeEventListener("abort", done);
          resolve();
        };
        const timer = setTimeout(done, this.pollMs);
        this.bus.on(topic, done);
        signal.addEventListener("abort", done, { once: true });
      });
    }
  }

  release(spawnId: string): void {
    // fire and forget (the contract is synchronous); a row left behind only costs a 410 later
    void this.db.batchCallback.deleteMany({ where: { spawnId } }).catch(() => undefined);
  }
}

/**
 * Deletes callback rows left by spawns that are no longer alive (a hub that crashed mid-spawn
 * never called release()). `keepSpawnIds`: spawn ids of servers in a live state. Rows younger than
 * `olderThan` stay whatever they belong to: another replica may have just registered a spawn whose
 * id the caller's list predates. Returns how many rows went.
 */
export async function sweepBatchCallbacks(db: Db, keepSpawnIds: readonly string[], olderThan: Date): Promise<number> {
  const r = await db.batchCallback.deleteMany({ where: { spawnId: { notIn: [...keepSpawnIds] }, createdAt: { lt: olderThan } } });
  return r.count;
}

export interface CallbackOutcome {
  status: 200 | 400 | 403 | 410;
  message: string;
}

/**
 * Handle one callback. The secret is checked before the body is read (`readBody` is called only
 * for a secret the hub handed out), so nobody without one can make the hub read anything: 403 no
 * token, 410 a token of no live spawn (released or unknown: the job should exit; a wrong token
 * looks the same), 400 malformed body, 403 a body naming another spawn than the token's, 200
 * recorded (repeats while the spawn waits are accepted: the job retries when a response is lost).
 */
export async function acceptBatchCallback(
  db: Db,
  bus: EventEmitter,
  authorization: string | undefined,
  readBody: () => Promise<unknown>,
): Promise<CallbackOutcome> {
  const token = /^token (\S+)$/.exec(authorization ?? "")?.[1];
  if (!token) return { status: 403, message: "missing token" };
  // The secrets are 256-bit random and stored as sha256: looking the hash up leaks nothing useful.
  const row = await db.batchCallback.findFirst({ where: { secretHash: hashSecret(token).toString("hex") } });
  if (!row) return { status: 410, message: "unknown or finished spawn" };
  let cb;
  try {
    cb = parseCallbackBody(await readBody());
  } catch (err) {
    if (err instanceof HttpError) throw err;
    return { status: 400, message: (err as Error).message };
  }
  if (cb.spawnId !== row.spawnId) return { status: 403, message: "bad token" };
  const r = await db.batchCallback.updateMany({
    where: { spawnId: cb.spawnId, secretHash: row.secretHash },
    data: { host: cb.host, port: cb.port, receivedAt: new Date() },
  });
  if (r.count === 0) return { status: 410, message: "unknown or finished spawn" };
  bus.emit(callbackTopic(cb.spawnId));
  return { status: 200, message: "ok" };
}
