// Pure: a snapshot of processes (parsed /proc/<pid>/stat texts) and the questions the local
// spawner asks of it. The reads themselves are in process-watch.ts.
import { findDescendants, isGoneState, parseProcStat, type ProcStat } from "./proc-stat";

/** A process as the spawner remembers it: pid plus start time, so a reused pid is not mistaken for it. */
export interface ProcessRef {
  pid: number;
  startTime: number;
}

/** One read of some or all of /proc: the stats found, by pid. */
export class ProcessTable {
  private readonly byPid = new Map<number, ProcStat>();

  /**
   * @param stats the processes read
   * @param complete true when every process on the machine was read (needed for descendants)
   */
  constructor(
    stats: Iterable<ProcStat>,
    readonly complete: boolean,
  ) {
    for (const s of stats) this.byPid.set(s.pid, s);
  }

  /** Builds a table from `[pid, text of /proc/<pid>/stat]` pairs; unreadable or malformed entries are left out. */
  static fromStatTexts(entries: Iterable<[number, string | null]>, complete: boolean): ProcessTable {
    const stats: ProcStat[] = [];
    for (const [pid, text] of entries) {
      const s = text === null ? null : parseProcStat(text);
      if (s && s.pid === pid) stats.push(s);
    }
    return new ProcessTable(stats, complete);
  }

  get(pid: number): ProcStat | undefined {
    return this.byPid.get(pid);
  }

  /** True when the process is in the table, has the same start time (no pid reuse) and is not a zombie. */
  isAlive(p: ProcessRef): boolean {
    const s = this.byPid.get(p.pid);
    return !!s && s.startTime === p.startTime && !isGoneState(s.state);
  }

  /** All descendants of `pid`; only meaningful on a complete table. */
  descendants(pid: number): ProcStat[] {
    if (!this.complete) throw new Error("descendants need a complete process table");
    return findDescendants(pid, [...this.byPid.values()]);
  }

  all(): ProcStat[] {
    return [...this.byPid.values()];
  }
}

/** The numeric names of a /proc listing (the pids). */
export function pidsOfProcListing(names: readonly string[]): number[] {
  const out: number[] = [];
  for (const n of names) if (/^\d+$/.test(n)) out.push(Number(n));
  return out;
}

/**
 * The pids whose environment (the NUL-separated text of /proc/<pid>/environ) holds exactly
 * `<name>=<value>`: the processes of one spawn, by the marker its server was started with
 * (GYRE_SPAWN_ID), so a hub that takes a spawn over finds a process whose pid was never saved.
 */
export function pidsWithEnv(environs: Iterable<[number, string | null]>, name: string, value: string): number[] {
  const entry = `${name}=${value}`;
  const out: number[] = [];
  for (const [pid, text] of environs) if (text !== null && text.split("\0").includes(entry)) out.push(pid);
  return out;
}

/**
 * What a take-over kills of a leftover server process `pid`: the process, its descendants (kernels
 * run in their own sessions) and every member of the process groups they lead (a child that
 * double-forked is no longer a descendant but stays in its group). Each process once, `pid` first;
 * empty when `pid` is not in the table. Needs a complete table.
 */
export function leftoverTree(table: ProcessTable, pid: number): ProcStat[] {
  const root = table.get(pid);
  if (!root) return [];
  const out = new Map<number, ProcStat>([[pid, root]]);
  for (const d of table.descendants(pid)) out.set(d.pid, d);
  const leaders = new Set([...out.values()].filter((p) => p.pgrp === p.pid).map((p) => p.pid));
  for (const p of table.all()) if (leaders.has(p.pgrp)) out.set(p.pid, p);
  return [...out.values()];
}
