import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { CLOCK_TICKS_PER_SECOND, parseProcStat, parseProcStatusMemory, parseProcStatusUids, runsOnlyAs, sumTreeUsage, type ProcStat } from "./proc-stat";

test("CPU ticks are utime + stime + the reaped children's cutime + cstime (fields 14–17)", () => {
  // a command name with spaces and ")" is counted from the last ")"
  const line = "4242 (jupyter) lab)) S 1 4242 4242 0 -1 4194560 100 0 0 0 700 300 20 5 20 0 3 0 5555 1000 200 18446744073709551615";
  const s = parseProcStat(line)!;
  assert.equal(s.cpuTicks, 1025);
  assert.equal(s.startTime, 5555);
  // this process, read for real: its figure can only grow
  const self = parseProcStat(readFileSync("/proc/self/stat", "utf8"))!;
  assert.ok(Number.isInteger(self.cpuTicks) && self.cpuTicks >= 0);
});

test("VmRSS and VmHWM from /proc/<pid>/status; none for a kernel thread", () => {
  const m = parseProcStatusMemory("Name:\tpython3\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\n")!;
  assert.deepEqual(m, { rssBytes: 102400 * 1024, peakRssBytes: 204800 * 1024 });
  assert.equal(parseProcStatusMemory("Name:\tkthreadd\nState:\tS (sleeping)\n"), null);
  assert.ok(parseProcStatusMemory(readFileSync("/proc/self/status", "utf8"))!.rssBytes > 0);
});

test("a tree's usage: every descendant's CPU, the tree's resident memory, the largest single peak; others left out", () => {
  const p = (pid: number, ppid: number, cpuTicks: number): ProcStat => ({ pid, ppid, pgrp: 1, state: "S", startTime: 1, cpuTicks });
  const table = [p(10, 1, 100), p(11, 10, 250), p(12, 11, 50), p(20, 1, 9999), p(21, 20, 9999)];
  const memory = new Map([
    [10, { rssBytes: 100, peakRssBytes: 150 }],
    [11, { rssBytes: 300, peakRssBytes: 900 }],
    // 12 is gone between the two reads: its CPU counts, its memory cannot
    [20, { rssBytes: 1e9, peakRssBytes: 1e9 }],
  ]);
  assert.deepEqual(sumTreeUsage(10, table, memory), { cpuSeconds: 400 / CLOCK_TICKS_PER_SECOND, rssBytes: 400, largestProcessPeakBytes: 900 });
  assert.equal(sumTreeUsage(99, table, memory), null);
});

test("the uids of /proc/<pid>/status, and whether a process runs wholly as one account (table)", () => {
  const status = (uid: string) =>
    `Name:\tpython3\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t42\nPid:\t42\nPPid:\t1\nUid:\t${uid}\nGid:\t1001\t1001\t1001\t1001\n`;
  assert.deepEqual(parseProcStatusUids(status("1001\t1001\t1001\t1001")), { real: 1001, effective: 1001, saved: 1001, fs: 1001 });
  assert.equal(parseProcStatusUids("Name:\tx\n"), null);
  assert.equal(parseProcStatusUids(status("1001\t1001")), null);
  const cases: Array<[uids: string, uid: number, only: boolean]> = [
    ["1001\t1001\t1001\t1001", 1001, true],
    ["1001\t1001\t1001\t1001", 1002, false],
    ["1001\t0\t0\t0", 1001, false], // a set-user-ID root program the account started
    ["0\t1001\t1001\t1001", 1001, false],
    ["1001\t1001\t0\t1001", 1001, false],
    ["0\t0\t0\t0", 0, true],
  ];
  for (const [uids, uid, only] of cases) assert.equal(runsOnlyAs(parseProcStatusUids(status(uids))!, uid), only, `${uids} as ${uid}`);
});
