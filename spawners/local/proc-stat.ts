// Pure parsing of /proc/<pid>/stat (proc(5)). Used to tell a live server from a dead one and to
// guard against PID reuse: a pid only counts as "our" server when its start time matches.

/** The fields of /proc/<pid>/stat that the local spawner needs. */
export interface ProcStat {
  pid: number;
  /** one of R S D Z T t X I …; "Z" (zombie) and "X" (dead) count as gone */
  state: string;
  ppid: number;
  pgrp: number;
  /** field 22: start time in clock ticks after boot; stable for the life of the process */
  startTime: number;
}

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
  const stat: ProcStat = { pid, state: rest[0], ppid: Number(rest[1]), pgrp: Number(rest[2]), startTime: Number(rest[19]) };
  if (![stat.pid, stat.ppid, stat.pgrp, stat.startTime].every(Number.isInteger)) return null;
  return stat;
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
