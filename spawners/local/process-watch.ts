// I/O: one shared read of /proc per cycle for every local server of the hub. Starts, stops and
// polls ask questions (is this process alive? which are its descendants? wait until these are gone)
// and each question is answered by the next cycle's read, so 100 servers stopping at once cost one
// read of /proc per cycle, not one per server per 50 ms. A cycle reads only the asked pids' stat
// files unless someone needs the whole table (usage samples), then it reads every process once.
// A stop finds its server's descendants through the tree's own children files (descendantsOf).
import { closeSync, existsSync, openSync, readFileSync, readSync, readdirSync } from "node:fs";
import {
  isGoneState,
  parseProcStat,
  parseProcStatusMemory,
  parseProcStatusUids,
  runsOnlyAs,
  sumTreeUsage,
  type ProcMemory,
  type ProcStat,
  type TreeUsage,
} from "./proc-stat";
import { pidsOfProcListing, pidsWithEnv, ProcessTable, type ProcessRef } from "./process-table";

/** How the watch reads /proc; a seam for tests. */
export interface ProcReader {
  /** the pids of every process (the numeric names in /proc) */
  listPids(): number[];
  /** the text of /proc/<pid>/stat, or null when the process does not exist */
  readStat(pid: number): string | null;
  /** the text of /proc/<pid>/status, or null when the process does not exist */
  readStatus(pid: number): string | null;
  /** the text of /proc/<pid>/environ, or null when the process does not exist or may not be read */
  readEnviron?(pid: number): string | null;
  /**
   * The children of every thread of `pid` (/proc/<pid>/task/<tid>/children), [] when the process
   * does not exist; absent when the kernel has no such files (built without CONFIG_PROC_CHILDREN).
   */
  readChildren?(pid: number): number[];
}

export interface ProcessWatchOptions {
  /** least time between the starts of two reads */
  cycleMs: number;
  reader?: ProcReader;
}

/** Counters, for tests and benchmarks. */
export interface ProcessWatchStats {
  /** cycles that read only the asked pids */
  partialReads: number;
  /** cycles that read every process */
  fullReads: number;
  /** stat files read in all */
  statFilesRead: number;
  /** status files read in all (memory of sampled trees) */
  statusFilesRead: number;
  /** children files read in all, one per thread (descendantsOf) */
  childrenFilesRead: number;
}

interface Pending {
  pids: Set<number>;
  complete: boolean;
  resolvers: Array<{ resolve: (t: ProcessTable) => void; reject: (e: unknown) => void }>;
}

/** Stat files read between two yields to the event loop during a full read. */
const FULL_READ_CHUNK = 256;

/** One buffer for every small /proc file the watch reads (stat is ~300 bytes, status ~1.5 kB). */
const procBuffer = Buffer.allocUnsafe(16 * 1024);

/**
 * The text of a small /proc file, or null when it cannot be read. /proc files report size 0, so
 * readFileSync reads them through a fresh 64 KiB buffer each (and a concat): for every process of
 * the machine in every full read, that garbage was most of a stop storm's /proc cost and much of
 * its GC (bench/README.md, phase 3e). Read synchronously into one reused buffer instead: /proc
 * files are generated in memory, a few µs each, far less than the thread-pool round trips of an
 * async read. A file larger than the buffer falls back to readFileSync.
 */
export function readSmallProcFile(path: string): string | null {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return null;
  }
  try {
    let length = 0;
    for (;;) {
      const n = readSync(fd, procBuffer, length, procBuffer.length - length, null);
      if (n === 0) return procBuffer.toString("latin1", 0, length);
      length += n;
      if (length === procBuffer.length) return readFileSync(path, "latin1");
    }
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/** Whether this kernel has /proc/<pid>/task/<tid>/children (CONFIG_PROC_CHILDREN; Debian's, Ubuntu's and RHEL's kernels do). */
const HAS_CHILDREN_FILES = existsSync(`/proc/${process.pid}/task/${process.pid}/children`);

/** The pids in a children file's text ("4150 4151 \n"). */
export function parseChildrenList(text: string): number[] {
  const out: number[] = [];
  for (const word of text.split(" ")) {
    const n = Number(word);
    if (word.trim() && Number.isSafeInteger(n) && n > 0) out.push(n);
  }
  return out;
}

export const procfsReader: ProcReader = {
  listPids: () => {
    try {
      return pidsOfProcListing(readdirSync("/proc"));
    } catch {
      return [];
    }
  },
  readStat: (pid) => readSmallProcFile(`/proc/${pid}/stat`),
  readStatus: (pid) => readSmallProcFile(`/proc/${pid}/status`),
  readEnviron: (pid) => {
    try {
      return readFileSync(`/proc/${pid}/environ`, "latin1");
    } catch {
      return null;
    }
  },
  ...(HAS_CHILDREN_FILES
    ? {
        readChildren: (pid: number) => {
          let tids: string[];
          try {
            tids = readdirSync(`/proc/${pid}/task`);
          } catch {
            return [];
          }
          return tids.flatMap((tid) => parseChildrenList(readSmallProcFile(`/proc/${pid}/task/${tid}/children`) ?? ""));
        },
      }
    : {}),
};

/** See the file comment. One instance is shared by all local servers of a hub (`processWatch`). */
export class ProcessWatch {
  readonly stats: ProcessWatchStats = { partialReads: 0, fullReads: 0, statFilesRead: 0, statusFilesRead: 0, childrenFilesRead: 0 };
  private readonly reader: ProcReader;
  private pending: Pending | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private lastStart = -Infinity;

  constructor(private readonly options: ProcessWatchOptions) {
    this.reader = options.reader ?? procfsReader;
  }

  /**
   * A table read after this call that holds at least `pids` (every process when `complete`).
   * Callers in the same cycle share one read.
   */
  read(request: { pids?: readonly number[]; complete?: boolean }): Promise<ProcessTable> {
    const p = (this.pending ??= { pids: new Set(), complete: false, resolvers: [] });
    for (const pid of request.pids ?? []) p.pids.add(pid);
    if (request.complete) p.complete = true;
    const table = new Promise<ProcessTable>((resolve, reject) => p.resolvers.push({ resolve, reject }));
    this.schedule();
    return table;
  }

  /** Every process on the machine, read after this call. */
  /**
   * The live processes of the account `uid` whose environment holds `<name>=<value>` (one read of
   * every environ, then of the matches' status and stat files). Rare: only a take-over of a spawn
   * whose pid was never saved asks it. Any process can carry any environment, so the account is
   * what makes a match the spawn's: a process of another account (or one running a set-user-ID
   * program) is never returned, whatever its environment says.
   */
  async findByEnv(name: string, value: string, uid: number): Promise<ProcessRef[]> {
    const reader = this.reader;
    if (!reader.readEnviron) return [];
    const pids = this.runningOnlyAs(
      pidsWithEnv(
        reader.listPids().map((pid): [number, string | null] => [pid, reader.readEnviron!(pid)]),
        name,
        value,
      ),
      uid,
    );
    if (!pids.length) return [];
    const table = await this.read({ pids });
    return pids.flatMap((pid) => {
      const s = table.get(pid);
      return s && !isGoneState(s.state) ? [{ pid, startTime: s.startTime }] : [];
    });
  }

  /** Those of `pids` whose every uid (real, effective, saved, filesystem) is `uid` now. */
  runningOnlyAs(pids: readonly number[], uid: number): number[] {
    return pids.filter((pid) => {
      const text = this.reader.readStatus(pid);
      const uids = text === null ? null : parseProcStatusUids(text);
      return uids !== null && runsOnlyAs(uids, uid);
    });
  }

  snapshot(): Promise<ProcessTable> {
    return this.read({ complete: true });
  }

  /**
   * The descendants of `pid` (children, grandchildren…) as they are now, read from the tree's own
   * children files and its members' stat files: a few files for a server's tree instead of every
   * process on the machine, read at once rather than at the next cycle. The kernel vouches for
   * these files only while the processes they list from are frozen: a stop stops the server's group
   * first (index.ts). Without the files (a kernel built without them), the next full read.
   */
  async descendantsOf(pid: number): Promise<ProcStat[]> {
    const reader = this.reader;
    if (!reader.readChildren) return (await this.snapshot()).descendants(pid);
    const out: ProcStat[] = [];
    const seen = new Set([pid]);
    const queue = [pid];
    while (queue.length) {
      const children = reader.readChildren(queue.shift()!);
      this.stats.childrenFilesRead++;
      for (const child of children) {
        if (seen.has(child)) continue;
        seen.add(child);
        this.stats.statFilesRead++;
        const text = reader.readStat(child);
        const s = text === null ? null : parseProcStat(text);
        if (!s || s.pid !== child || isGoneState(s.state)) continue;
        out.push(s);
        queue.push(child);
      }
    }
    return out;
  }

  /** True when `p` is alive (same pid and start time, not a zombie) in the next read. */
  async isAlive(p: ProcessRef): Promise<boolean> {
    return (await this.read({ pids: [p.pid] })).isAlive(p);
  }

  /** Resolves true once none of `procs` is alive, false when they still are after `timeoutMs` (at least one read). */
  async waitUntilGone(procs: readonly ProcessRef[], timeoutMs: number): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    const pids = procs.map((p) => p.pid);
    for (;;) {
      const table = await this.read({ pids });
      if (!procs.some((p) => table.isAlive(p))) return true;
      if (Date.now() >= end) return false;
    }
  }

  /**
   * CPU time and memory of the process tree under `root` (root included), or null when `root` is
   * not alive. With children files the tree is read on its own (descendantsOf: its members' stat
   * and status files, none of the machine's other processes), so a stop storm's last samples and
   * the periodic samples of every server cost their trees, not a read of every process each cycle
   * (one was 18% of a stop storm's CPU, bench/README.md phase 3i). The tree is not frozen here: a
   * process forked during the read may be missed by this sample, and is in the next. Without
   * children files, from the next full read, which the samples of one cycle share.
   */
  async treeUsage(root: ProcessRef): Promise<TreeUsage | null> {
    let tree: ProcStat[];
    if (this.reader.readChildren) {
      this.stats.statFilesRead++;
      const text = this.reader.readStat(root.pid);
      const stat = text === null ? null : parseProcStat(text);
      if (!stat || stat.pid !== root.pid || stat.startTime !== root.startTime || isGoneState(stat.state)) return null;
      tree = [stat, ...(await this.descendantsOf(root.pid))];
    } else {
      const table = await this.snapshot();
      if (!table.isAlive(root)) return null;
      tree = [table.get(root.pid)!, ...table.descendants(root.pid)];
    }
    return this.usageOf(tree);
  }

  /**
   * CPU time and memory of a process tree already read (its root first, then its descendants):
   * only its members' status files are read now. A stop reads the tree anyway (while it is frozen)
   * and samples it with this, instead of a walk of its own just before (treeUsage).
   */
  usageOf(tree: ProcStat[]): TreeUsage | null {
    if (!tree.length) return null;
    const memory = new Map<number, ProcMemory>();
    for (const p of tree) {
      this.stats.statusFilesRead++;
      const text = this.reader.readStatus(p.pid);
      const m = text === null ? null : parseProcStatusMemory(text);
      if (m) memory.set(p.pid, m);
    }
    return sumTreeUsage(tree[0].pid, tree, memory);
  }

  private schedule(): void {
    if (this.timer || this.running || !this.pending) return;
    // a cycle gathers everything asked in the same turn of the event loop, and cycles start at
    // least cycleMs apart
    const wait = Math.max(0, this.lastStart + this.options.cycleMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.cycle();
    }, wait);
  }

  private async cycle(): Promise<void> {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    this.running = true;
    this.lastStart = Date.now();
    try {
      const table = p.complete ? await this.readAll() : this.readSome(p.pids);
      for (const r of p.resolvers) r.resolve(table);
    } catch (e) {
      for (const r of p.resolvers) r.reject(e);
    } finally {
      this.running = false;
      this.schedule();
    }
  }

  private readSome(pids: Set<number>): ProcessTable {
    this.stats.partialReads++;
    this.stats.statFilesRead += pids.size;
    return ProcessTable.fromStatTexts(
      [...pids].map((pid) => [pid, this.reader.readStat(pid)]),
      false,
    );
  }

  private async readAll(): Promise<ProcessTable> {
    this.stats.fullReads++;
    const pids = this.reader.listPids();
    const entries: Array<[number, string | null]> = [];
    for (let i = 0; i < pids.length; i++) {
      if (i > 0 && i % FULL_READ_CHUNK === 0) await new Promise((r) => setImmediate(r));
      entries.push([pids[i], this.reader.readStat(pids[i])]);
    }
    this.stats.statFilesRead += pids.length;
    return ProcessTable.fromStatTexts(entries, true);
  }
}

/** The hub's one watch: every local server's liveness checks and stop waits go through it. */
export const processWatch = new ProcessWatch({ cycleMs: 50 });
