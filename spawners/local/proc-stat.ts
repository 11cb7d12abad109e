// Pure parsing of /proc/<pid>/stat and /proc/<pid>/status (proc(5)). Used to tell a live server
// from a dead one, to guard against PID reuse (a pid only counts as "our" server when its start
// time matches), and to add up what a server's process tree uses.

/** The fields of /proc/<pid>/stat that the local spawner needs. */
export interface ProcStat {
  pid: number;
  /** one of R S D Z T t X I …; "Z" (zombie) and "X" (dead) count as gone */
  state: string;
  ppid: number;
  pgrp: number;
  /** field 22: start time in clock ticks after boot; stable for the life of the process */
  startTime: number;
  /**
   * fields 14–17: CPU time in clock ticks of the process (user + system) and of its children it
   * has waited for (a kernel that exited and was reaped by the server counts here)
   */
  cpuTicks: number;
}

/** Clock ticks per second of /proc's CPU figures (USER_HZ: 100 on every Linux architecture Gyre runs on). */
export const CLOCK_TICKS_PER_SECOND = 100;

/**
 * Parses the text of /proc/<pid>/stat. The command name (field 2) is in parentheses and may itself
 * contain spaces and ")", so fields are counted from the LAST ")". Returns null when malformed.
 */
export function parseProcStat(text: string): ProcStat | null {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) return null;
  const pid = Number(text.slice(0, open).trim());
  // rest[0] is field 3 (state), so field N is rest[N - 3]
  const rest = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  if (rest.length < 20) return null;
  const cpuTicks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(rest[i]), 0);
  const stat: ProcStat = { pid, state: rest[0], ppid: Number(rest[1]), pgrp: Number(rest[2]), startTime: Number(rest[19]), cpuTicks };
  if (![stat.pid, stat.ppid, stat.pgrp, stat.startTime, stat.cpuTicks].every(Number.isInteger)) return null;
  return stat;
}

/** Memory of one process from /proc/<pid>/status, bytes: resident now (VmRSS) and its peak (VmHWM). */
export interface ProcMemory {
  rssBytes: number;
  peakRssBytes: number;
}

/** Parses VmRSS and VmHWM ("VmRSS:	  123456 kB") from /proc/<pid>/status; null for kernel threads and zombies. */
export function parseProcStatusMemory(text: string): ProcMemory | null {
  const kb = (key: string) => {
    const m = new RegExp(`^${key}:\\s+(\\d+)\\s+kB$`, "m").exec(text);
    return m ? Number(m[1]) * 1024 : null;
  };
  const rss = kb("VmRSS");
  if (rss === null) return null;
  return { rssBytes: rss, peakRssBytes: Math.max(rss, kb("VmHWM") ?? 0) };
}

/** The uids of a process (/proc/<pid>/status "Uid:" line): real, effective, saved set-user-ID, filesystem. */
export interface ProcUids {
  real: number;
  effective: number;
  saved: number;
  fs: number;
}

/** The "Uid:" line of /proc/<pid>/status; null when it is missing or malformed. */
export function parseProcStatusUids(text: string): ProcUids | null {
  const m = /^Uid:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$/m.exec(text);
  if (!m) return null;
  return { real: Number(m[1]), effective: Number(m[2]), saved: Number(m[3]), fs: Number(m[4]) };
}

/**
 * True when every uid of the process is `uid`: a process of that account, not one it started
 * through a set-user-ID program (which runs with another effective uid).
 */
export function runsOnlyAs(uids: ProcUids, uid: number): boolean {
  return uids.real === uid && uids.effective === uid && uids.saved === uid && uids.fs === uid;
}

/** What a process tree uses right now. */
export interface TreeUsage {
  /** CPU seconds of every live process in the tree, with the children each has reaped */
  cpuSeconds: number;
  /** resident memory of the whole tree now, bytes */
  rssBytes: number;
  /** the largest peak of one process in the tree (VmHWM), bytes: catches spikes between samples */
  largestProcessPeakBytes: number;
}

/**
 * Adds up the tree under `rootPid` (the root included) from a process table snapshot and the
 * memory of its processes. A process missing from `memory` (gone between the two reads) counts
 * for its CPU only.
 */
export function sumTreeUsage(rootPid: number, table: ProcStat[], memory: ReadonlyMap<number, ProcMemory>): TreeUsage | null {
  const root = table.find((p) => p.pid === rootPid);
  if (!root) return null;
  const tree = [root, ...findDescendants(rootPid, table)];
  let ticks = 0;
  let rss = 0;
  let largest = 0;
  for (const p of tree) {
    ticks += p.cpuTicks;
    const m = memory.get(p.pid);
    if (!m) continue;
    rss += m.rssBytes;
    largest = Math.max(largest, m.peakRssBytes);
  }
  return { cpuSeconds: ticks / CLOCK_TICKS_PER_SECOND, rssBytes: rss, largestProcessPeakBytes: largest };
}

/** True when a stat says the process is gone (or only a zombie waiting to be reaped). */
export function isGoneState(state: string): boolean {
  return state === "Z" || state === "X" || state === "x";
}

/**
 * All descendants of `rootPid` (children, grandchildren…) in a process table snapshot. Kernels are
 * started in their own session by jupyter_client, so the server's process group does not cover
 * them; the parent links do.
 */
export function findDescendants(rootPid: number, table: ProcStat[]): ProcStat[] {
  const byParent = new Map<number, ProcStat[]>();
  for (const p of table) {
    const list = byParent.get(p.ppid) ?? [];
    list.push(p);
    byParent.set(p.ppid, list);
  }
  const out: ProcStat[] = [];
  const queue = [rootPid];
  const seen = new Set<number>(queue);
  while (queue.length) {
    for (const child of byParent.get(queue.shift()!) ?? []) {
      if (seen.has(child.pid)) continue;
      seen.add(child.pid);
      out.push(child);
      queue.push(child.pid);
    }
  }
  return out;
}
