// How a batch job tells the hub where its server listens. The job POSTs
//   {hubUrl}/hub/api/batch/callback   Authorization: token <per-spawn secret>
//   {"spawn_id": "...", "job_id": "...", "host": "10.0.0.5", "port": 7051}
// The hub implements BatchCallbackChannel with a DB-backed endpoint (secret stored hashed, so a
// restarted hub still accepts the call); HttpCallbackReceiver is the in-process version used by
// the tests and by anyone running the spawner outside the hub.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface CallbackAddress {
  host: string;
  port: number;
  jobId: string;
}

export interface BatchCallbackChannel {
  /** URL the job POSTs to */
  readonly url: string;
  /** Create the per-spawn secret (the channel keeps only its hash). Called once per start(). */
  register(spawnId: string): Promise<string>;
  /** Resolve with the address once the job called back for `spawnId`; rejects when `signal` aborts. */
  wait(spawnId: string, signal: AbortSignal): Promise<CallbackAddress>;
  /** Forget the spawn (start settled or was cancelled): later calls for it are refused (410). */
  release(spawnId: string): void;
}

const HOST = /^[A-Za-z0-9][A-Za-z0-9.:-]{0,252}$/;
const SPAWN_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Validate a callback body (pure); throws with a short reason. The hub endpoint reuses it. */
export function parseCallbackBody(body: unknown): { spawnId: string } & CallbackAddress {
  if (!body || typeof body !== "object") throw new Error("body must be a JSON object");
  const b = body as Record<string, unknown>;
  const spawnId = b.spawn_id,
    host = b.host,
    port = b.port,
    jobId = b.job_id ?? "";
  if (typeof spawnId !== "string" || !SPAWN_ID.test(spawnId)) throw new Error("bad spawn_id");
  if (typeof host !== "string" || !HOST.test(host)) throw new Error("bad host");
  if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) throw new Error("bad port");
  if (typeof jobId !== "string" || jobId.length > 128) throw new Error("bad job_id");
  return { spawnId, host, port, jobId };
}

/** sha256 of a secret; what a channel stores instead of the secret. */
export function hashSecret(secret: string): Buffer {
  return createHash("sha256").update(secret).digest();
}

/** Constant-time check of "Authorization: token <secret>" against a stored hash. */
export function checkAuthorization(header: string | undefined, stored: Buffer): boolean {
  const m = /^token (\S+)$/.exec(header ?? "");
  if (!m) return false;
  return timingSafeEqual(hashSecret(m[1]), stored);
}

type Entry = { hash: Buffer; address?: CallbackAddress; waiters: Set<(a: CallbackAddress) => void> };

/** In-process channel: a tiny HTTP server. For tests and hub-less use. */
export class HttpCallbackReceiver implements BatchCallbackChannel {
  private readonly entries = new Map<string, Entry>();
  private server: http.Server | null = null;
  url = "";
  /** requests refused (bad token/body), for tests */
  refused = 0;

  /** Listen on host:port (port 0 = any) and set `url` to `http://<host>:<port>/hub/api/batch/callback`. */
  async listen(host = "127.0.0.1", port = 0): Promise<this> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(port, host, () => resolve());
    });
    const a = this.server.address() as AddressInfo;
    this.url = `http://${host}:${a.port}/hub/api/batch/callback`;
    return this;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  async register(spawnId: string): Promise<string> {
    const secret = randomBytes(32).toString("base64url");
    this.entries.set(spawnId, { hash: hashSecret(secret), waiters: new Set() });
    return secret;
  }

  wait(spawnId: string, signal: AbortSignal): Promise<CallbackAddress> {
    const e = this.entries.get(spawnId);
    if (!e) return Promise.reject(new Error(`spawn ${spawnId} is not registered`));
    if (e.address) return Promise.resolve(e.address);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        e.waiters.delete(done);
        reject(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
      };
      const done = (a: CallbackAddress) => {
        signal.removeEventListener("abort", onAbort);
        resolve(a);
      };
      if (signal.aborted) return onAbort();
      e.waiters.add(done);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  release(spawnId: string): void {
    this.entries.delete(spawnId);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const reply = (code: number, msg: string) => {
      if (code >= 400) this.refused++;
      res.writeHead(code, { "content-type": "application/json" }).end(JSON.stringify({ message: msg }));
    };
    if (req.method !== "POST" || !req.url?.startsWith("/hub/api/batch/callback")) return reply(404, "not found");
    let raw = "";
    for await (const chunk of req) {
      raw += chunk;
      if (raw.length > 4096) return reply(413, "too large");
    }
    let body;
    try {
      body = parseCallbackBody(JSON.parse(raw));
    } catch (err) {
      return reply(400, err instanceof Error ? err.message : "bad body");
    }
    const e = this.entries.get(body.spawnId);
    if (!e) return reply(410, "unknown or finished spawn");
    if (!checkAuthorization(req.headers.authorization, e.hash)) return reply(403, "bad token");
    e.address = { host: body.host, port: body.port, jobId: body.jobId };
    for (const w of [...e.waiters]) w(e.address);
    e.waiters.clear();
    reply(200, "ok");
  }
}
