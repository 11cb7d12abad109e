// I/O: the hub's side of its process launcher (main.ts): starts it as a child with an IPC channel,
// sends requests, matches replies, hands each started process's exit to whoever started it, and
// starts a new launcher when one dies. Servers the dead launcher started keep running (they are
// detached): their exits are no longer reported, and the local spawner follows them through /proc
// as it does after a hub restart.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { LauncherReply, RemoveRequest, SpawnRequest } from "./protocol";

/** The launcher's folder in the source tree; the repository root is three levels up. */
const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "../../..");
/** Where scripts/build-hub.ts writes the launcher's bundle. */
export const LAUNCHER_BUNDLE = resolve(ROOT, "dist/hub/launcher.mjs");
/** The sources the bundle holds (main.ts, protocol.ts and the /proc parser). */
const LAUNCHER_SOURCES = [HERE, resolve(HERE, "../proc-stat.ts")];

/**
 * Node flags of the launcher: a small heap (it holds a few requests at a time) so that its own
 * forks copy little; one V8 worker thread instead of four: each identity switch of a removal
 * (remove.ts) signals every other thread of the process, and the launcher has no use for parallel
 * compilation or GC on its small heap.
 */
export const LAUNCHER_NODE_FLAGS = ["--max-old-space-size=32", "--max-semi-space-size=1", "--v8-pool-size=1"];

/**
 * Environment of the launcher (added to the hub's; the servers it starts get the environment the
 * hub builds for each, not this). Two malloc arenas, as the hub and the proxy. One libuv
 * thread-pool thread instead of four: loading the launcher as an ES module (the bundle, or tsx)
 * reads its files through the pool, which then keeps its threads for the process's life although
 * the launcher does only synchronous file work after that; with four, a launcher ran 8 threads
 * (5 with one), and every identity switch was signalled to 7 of them (bench/README.md, phase 3v).
 */
export const LAUNCHER_ENV: Record<string, string> = { MALLOC_ARENA_MAX: "2", UV_THREADPOOL_SIZE: "1" };

/** A launcher that lived at least this long is started again at once when it dies; else on the next request. */
const RESTART_AT_ONCE_AFTER_MS = 1000;

export interface LauncherLog {
  warn(obj: object, msg: string): void;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The launcher ended before it answered: whether the request was carried out is unknown. */
export class LauncherLostError extends Error {
  constructor(detail: string) {
    super(`the process launcher ended before it answered (${detail})`);
  }
}

/** The launcher refused the request (protocol.ts says why), or could not carry it out. */
export class LauncherRequestError extends Error {}

/** Called once with a started process's exit, or with null when its launcher ended first (the exit will not be reported). */
export type ExitListener = (exit: ProcessExit | null) => void;

interface Waiting {
  resolve(reply: LauncherReply): void;
  reject(e: Error): void;
  /** a spawn's exit listener, registered when the "spawned" reply comes (its exit may follow in the same read) */
  onExit?: ExitListener;
}

export interface LauncherClientOptions {
  /** the setpriv the server commands use; a root launcher runs only that */
  setprivPath: string;
  log?: LauncherLog;
  /** how to run the launcher (tests); default: the bundle when it is newer than its sources, else tsx */
  command?: () => { file: string; args: string[] };
}

/** See the file comment. One per hub (`processLauncher`); tests make their own. */
export class LauncherClient {
  private child: ChildProcess | null = null;
  private startedAt = 0;
  private nextId = 1;
  private readonly waiting = new Map<number, Waiting>();
  private readonly exits = new Map<number, ExitListener>();
  /** launchers started so far (a new one after each death) */
  starts = 0;

  constructor(private readonly options: LauncherClientOptions) {}

  /** pid of the running launcher, if one runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /**
   * Starts a detached process through the launcher. Resolves with its pid and /proc start time
   * once it runs; `onExit` is called once: with the exit when the process ends, or with null when
   * the launcher ended first (the process runs on; nobody reports its exit). Rejects with
   * LauncherRequestError (refused, or the program could not be run) or LauncherLostError.
   */
  async spawn(request: Omit<SpawnRequest, "type" | "id">, onExit: ExitListener): Promise<{ pid: number; startTime: number }> {
    const reply = await this.ask({ ...request, type: "spawn" }, onExit);
    if (reply.type !== "spawned") throw new LauncherRequestError(describeFailure(reply));
    return { pid: reply.pid, startTime: reply.startTime };
  }

  /** `rm -rf -- dir` as uid/gid; resolves with rm's status (null when it was killed or not run). */
  async remove(request: Omit<RemoveRequest, "type" | "id">): Promise<number | null> {
    const reply = await this.ask({ ...request, type: "remove" });
    if (reply.type !== "removed") throw new LauncherRequestError(describeFailure(reply));
    return reply.code;
  }

  /**
   * Starts the launcher now rather than at the first request: the hub is forked for it while it
   * is idle (the local kind's start, before the hub listens), not during the first start storm,
   * where that fork of the whole hub was 8% of the storm's CPU (bench/README.md, phase 3g). A
   * launcher that cannot start is reported by the first request, as before.
   */
  warm(): void {
    void this.ensure().catch(() => {});
  }

  /** Ends the launcher (the hub's shutdown, tests); its servers run on. */
  close(): void {
    this.child?.disconnect();
  }

  private async ask(request: Omit<SpawnRequest, "id"> | Omit<RemoveRequest, "id">, onExit?: ExitListener): Promise<LauncherReply> {
    const child = await this.ensure();
    const id = this.nextId++;
    return this.await(id, child, { ...request, id }, onExit);
  }

  private await(id: number, child: ChildProcess, message: unknown, onExit?: ExitListener): Promise<LauncherReply> {
    return new Promise<LauncherReply>((resolvePromise, reject) => {
      this.waiting.set(id, { resolve: resolvePromise, reject, onExit });
      // while a request waits, the channel keeps the hub's event loop alive
      child.channel?.ref();
      child.send(message as object, (e) => {
        if (e) this.settle(id, undefined, new LauncherLostError(e.message));
      });
    });
  }

  private settle(id: number, reply: LauncherReply | undefined, error?: Error): void {
    const w = this.waiting.get(id);
    if (!w) return;
    this.waiting.delete(id);
    if (!this.waiting.size) this.child?.channel?.unref();
    if (error) w.reject(error);
    else w.resolve(reply!);
  }

  private ensure(): Promise<ChildProcess> {
    if (this.child) return Promise.resolve(this.child);
    const { file, args } = (this.options.command ?? launcherCommand)();
    const child = spawn(file, [...args, `--setpriv=${this.options.setprivPath}`], {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      env: { ...process.env, ...LAUNCHER_ENV },
    });
    this.child = child;
    this.starts++;
    this.startedAt = Date.now();
    child.unref();
    child.channel?.unref();
    child.on("message", (m: LauncherReply) => this.onReply(m));
    child.once("exit", (code, signal) => this.onLauncherExit(child, code, signal));
    return new Promise((resolvePromise, reject) => {
      child.once("spawn", () => resolvePromise(child));
      child.once("error", (e) => {
        this.onLauncherExit(child, null, null);
        reject(new LauncherRequestError(`the process launcher could not be started (${e.message})`));
      });
    });
  }

  private onReply(m: LauncherReply): void {
    if (m.type === "exit") {
      const onExit = this.exits.get(m.pid);
      this.exits.delete(m.pid);
      onExit?.({ code: m.code, signal: m.signal as NodeJS.Signals | null });
    } else if (m.id !== null) {
      const onExit = this.waiting.get(m.id)?.onExit;
      if (m.type === "spawned" && onExit) this.exits.set(m.pid, onExit);
      this.settle(m.id, m);
    }
  }

  private onLauncherExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = null;
    const detail = signal ? `killed by ${signal}` : `status ${code}`;
    // the servers it started run on; only their exit reports are lost, which their listeners learn
    const lost = [...this.exits.values()];
    this.exits.clear();
    for (const onExit of lost) onExit(null);
    for (const id of [...this.waiting.keys()]) this.settle(id, undefined, new LauncherLostError(detail));
    const lived = Date.now() - this.startedAt;
    this.options.log?.warn({ pid: child.pid, code, signal, livedMs: lived }, "the process launcher ended; starting a new one");
    if (lived >= RESTART_AT_ONCE_AFTER_MS) void this.ensure().catch(() => {});
  }
}

function describeFailure(reply: LauncherReply): string {
  if (reply.type === "refused") return `the process launcher refused the request: ${reply.reason}`;
  if (reply.type === "spawn-failed") return reply.message;
  return `unexpected reply ${reply.type}`;
}

/**
 * How the launcher runs: `node launcher.mjs` from beside this module when it was bundled with
 * one (a hub bundled elsewhere, as the local spawner's tests do for a hub of another account);
 * else `node dist/hub/launcher.mjs` when that is newer than its sources (npm run build); else the
 * source through tsx.
 */
export function launcherCommand(): { file: string; args: string[] } {
  const beside = resolve(HERE, "launcher.mjs");
  if (existsSync(beside)) return { file: process.execPath, args: [...LAUNCHER_NODE_FLAGS, beside] };
  const sources = Math.max(...LAUNCHER_SOURCES.map(newestMtime));
  if (existsSync(LAUNCHER_BUNDLE) && statSync(LAUNCHER_BUNDLE).mtimeMs > sources)
    return { file: process.execPath, args: [...LAUNCHER_NODE_FLAGS, LAUNCHER_BUNDLE] };
  return { file: process.execPath, args: [...LAUNCHER_NODE_FLAGS, "--import", import.meta.resolve("tsx"), resolve(HERE, "main.ts")] };
}

/** Newest mtime (ms) of a .ts file or of the non-test .ts files under a folder; 0 when there is none. */
function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const e of readdirSync(path, { withFileTypes: true })) {
    if (e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".test.ts")) newest = Math.max(newest, statSync(resolve(path, e.name)).mtimeMs);
  }
  return newest;
}

let shared: LauncherClient | null = null;

/** The hub's one launcher, started on first use. */
export function processLauncher(log?: LauncherLog): LauncherClient {
  return (shared ??= new LauncherClient({ setprivPath: "/usr/bin/setpriv", log }));
}
