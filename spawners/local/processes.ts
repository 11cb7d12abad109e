// I/O: small helpers over /proc, signals and ports, for the local spawner.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { readFile, readdir, open } from "node:fs/promises";
import { connect, createServer } from "node:net";
import { buildProbeRequest, parseProbeStatus, parseProbeUrl, type ProbeTarget } from "./probe-request";
import { parseProcStat, isGoneState, type ProcStat } from "./proc-stat";

/** /proc/<pid>/stat parsed, or null when the process does not exist. */
export async function readProcStat(pid: number): Promise<ProcStat | null> {
  try {
    return parseProcStat(await readFile(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return null;
  }
}

/** True when `pid` is alive and is the same process as when `startTime` was recorded (no PID reuse). */
export async function isSameProcessAlive(pid: number, startTime: number): Promise<boolean> {
  const s = await readProcStat(pid);
  return !!s && s.startTime === startTime && !isGoneState(s.state);
}

/** A snapshot of every process (used to find a server's kernels). */
export async function readProcessTable(): Promise<ProcStat[]> {
  const names = await readdir("/proc").catch(() => [] as string[]);
  const stats = await Promise.all(names.filter((n) => /^\d+$/.test(n)).map((n) => readProcStat(Number(n))));
  return stats.filter((s): s is ProcStat => s !== null);
}

/** process.kill that ignores "no such process". */
export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
  }
}

/** Waits until `check()` is true or `ms` elapse; returns the last result. */
export async function waitFor(check: () => Promise<boolean>, ms: number, stepMs = 50): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= end) return false;
    await sleep(stepMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * A port that is free right now on 127.0.0.1 (bind port 0, read it, close). Someone may take it
 * before the server binds; the spawner retries with a new port when that happens.
 */
export function pickFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error("no port"))));
    });
  });
}

/**
 * Status code of GET url (a fresh connection, closed once the status line came; short timeout), or
 * null when nothing answers or the answer is not HTTP. A server on a unix socket is
 * `http+unix://<%-encoded socket path><path>`. Written on a plain socket (probe-request.ts).
 */
export function probeHttp(url: string, headers: Record<string, string> = {}, timeoutMs = 2000): Promise<number | null> {
  return new Promise((resolve, reject) => {
    let target: ProbeTarget;
    let head: string;
    try {
      target = parseProbeUrl(url);
      head = buildProbeRequest(target, headers);
    } catch (err) {
      reject(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    const socket = "socketPath" in target ? connect(target.socketPath) : connect(target.port, target.hostname);
    let answer = "";
    let settled = false;
    const finish = (status: number | null) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(status);
    };
    socket.setEncoding("latin1");
    socket.setTimeout(timeoutMs, () => finish(null));
    socket.on("connect", () => socket.write(head));
    socket.on("data", (chunk: string) => {
      answer += chunk;
      const status = parseProbeStatus(answer);
      if (status !== undefined) finish(status);
    });
    socket.on("error", () => finish(null));
    socket.on("close", () => finish(null));
  });
}

/** How much of a file's end readFileTail reads at first: 40 lines of a server's log, most times. */
const TAIL_FIRST_READ = 16 * 1024;
/** …and at most. */
const TAIL_MAX_READ = 256 * 1024;

/**
 * The last `lines` lines of a file (reads at most its last 256 kB); "" when it cannot be read.
 * Synchronous reads of the end (16 kB first, more only when that holds fewer lines): every ready
 * server's start log is read, and a FileHandle's open, stat, read and close, each a round trip
 * through the thread pool and a promise, were 8% of the hub's CPU in a storm of 20 starts. The
 * logs are the hub's own files (spawner.local.logDir), read in microseconds.
 */
export async function readFileTail(path: string, lines: number): Promise<string> {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const { size } = fstatSync(fd);
    for (let len = Math.min(size, TAIL_FIRST_READ); ; len = Math.min(size, len * 4, TAIL_MAX_READ)) {
      const buf = Buffer.allocUnsafe(len);
      const got = readSync(fd, buf, 0, len, size - len);
      const all = buf.toString("utf8", 0, got).replace(/\n$/, "").split("\n");
      // a read that starts mid-file has a partial first line: it counts only when more than `lines` came
      if (all.length > lines || len >= size || len >= TAIL_MAX_READ) return all.slice(-lines).join("\n");
    }
  } catch {
    return "";
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The text of a file from byte `offset` on (at most 256 kB); "" when it cannot be read. */
export async function readFileFrom(path: string, offset: number): Promise<string> {
  try {
    const fh = await open(path, "r");
    try {
      const { size } = await fh.stat();
      const len = Math.max(0, Math.min(size - offset, 256 * 1024));
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, offset);
      return buf.toString("utf8");
    } finally {
      await fh.close();
    }
  } catch {
    return "";
  }
}
