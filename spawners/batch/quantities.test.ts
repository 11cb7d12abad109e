import { test } from "node:test";
import assert from "node:assert/strict";
import { parseDurationSeconds, parseSchedulerTime, parseSizeBytes } from "./quantities";
import { parseSacctUsage } from "./dialects/slurm";
import { parseQacctUsage } from "./dialects/sge";

test("durations as Slurm and Grid Engine print them", () => {
  assert.equal(parseDurationSeconds("00:10.500"), 10.5);
  assert.equal(parseDurationSeconds("05:12.345"), 312.345);
  assert.equal(parseDurationSeconds("02:03:04"), 7384);
  assert.equal(parseDurationSeconds("1-02:03:04"), 93784);
  assert.equal(parseDurationSeconds("0.840s"), 0.84);
  assert.equal(parseDurationSeconds("soon"), null);
});

test("sizes in binary units; timestamps only as differences", () => {
  assert.equal(parseSizeBytes("1234K"), 1234 * 1024);
  assert.equal(parseSizeBytes("82.074MB"), Math.round(82.074 * 2 ** 20));
  assert.equal(parseSizeBytes("0"), 0);
  assert.equal(parseSizeBytes(""), null);
  assert.equal(parseSchedulerTime("2026-12-03T15:00:05")! - parseSchedulerTime("2026-12-03T15:00:00")!, 5000);
  assert.equal(parseSchedulerTime("Thu Dec  3 15:11:14 2026")! - parseSchedulerTime("Thu Dec  3 15:11:10 2026")!, 4000);
  assert.equal(parseSchedulerTime("Unknown"), null);
});

test("sacct: CPU of the allocation, the largest step MaxRSS, queue wait; unfinished while it runs", () => {
  const done = [
    "123|COMPLETED|2026-12-03T15:00:00|2026-12-03T15:00:07|2026-12-03T15:02:00|01:10.250|",
    "123.batch|COMPLETED|2026-12-03T15:00:07|2026-12-03T15:00:07|2026-12-03T15:02:00|01:10.200|215040K",
    "123.extern|COMPLETED|2026-12-03T15:00:07|2026-12-03T15:00:07|2026-12-03T15:02:00|00:00.050|1024K",
    "",
  ].join("\n");
  assert.deepEqual(parseSacctUsage(done), { cpuSeconds: 70.25, peakMemoryBytes: 215040 * 1024, queueWaitSeconds: 7, ended: true });
  const running =
    "124|RUNNING|2026-12-03T15:00:00|2026-12-03T15:00:01|Unknown|00:00:00|\n124.batch|RUNNING|2026-12-03T15:00:01|2026-12-03T15:00:01|Unknown|00:00:00|\n";
  assert.equal(parseSacctUsage(running)!.ended, false);
  const cancelled = "125|CANCELLED by 1001|2026-12-03T15:00:00|2026-12-03T15:00:01|2026-12-03T15:05:00|00:30.000|\n";
  assert.equal(parseSacctUsage(cancelled)!.ended, true);
  assert.equal(parseSacctUsage(""), null);
});

// `sacct -j 247` on this project's Slurm 22.05 with slurmdbd, polled every 0.3 s after a scancel:
// first the steps' records have not arrived (no CPU, no MaxRSS), then they have.
test("sacct right after a scancel: not ended until the batch step's own record has arrived", () => {
  const first = [
    "247|CANCELLED by 0|2026-12-03T22:22:23|2026-12-03T22:22:24|2026-12-03T22:22:28|00:00:00|",
    "247.batch|CANCELLED|2026-12-03T22:22:24|2026-12-03T22:22:24|2026-12-03T22:22:28|00:00:00|",
  ].join("\n");
  assert.deepEqual(parseSacctUsage(first), { cpuSeconds: 0, peakMemoryBytes: null, queueWaitSeconds: 1, ended: false });
  const then = [
    "247|CANCELLED by 0|2026-12-03T22:22:23|2026-12-03T22:22:24|2026-12-03T22:22:28|00:01.002|",
    "247.batch|CANCELLED|2026-12-03T22:22:24|2026-12-03T22:22:24|2026-12-03T22:22:29|00:01.002|11908K",
    "",
  ].join("\n");
  assert.deepEqual(parseSacctUsage(then), { cpuSeconds: 1.002, peakMemoryBytes: 11908 * 1024, queueWaitSeconds: 1, ended: true });
  // an extern step that ran nothing does not hold the record open
  assert.equal(parseSacctUsage(`${then}247.extern|COMPLETED|2026-12-03T22:22:24|2026-12-03T22:22:24|2026-12-03T22:22:29|00:00:00|\n`)!.ended, true);
});

// `qacct -j 41` on this project's Son of Grid Engine 8.1.9 (a job that ran 4 s).
const QACCT = `==============================================================
qname        all.q               
hostname     vm                  
group        hpctest             
owner        hpctest             
project      NONE                
department   defaultdepartment   
jobname      gyre-hpctest        
jobnumber    41                  
taskid       undefined
account      sge                 
priority     0                   
qsub_time    Thu Dec  3 15:11:10 2026
start_time   Thu Dec  3 15:11:10 2026
end_time     Thu Dec  3 15:11:14 2026
granted_pe   NONE                
slots        1                   
failed       100 : assumedly after job
exit_status  137                  (Killed)
ru_wallclock 4s
ru_utime     0.005s
ru_stime     0.003s
ru_maxrss    4.566KB
ru_ixrss     0.000B
ru_ismrss    0.000B
ru_idrss     0.000B
ru_isrss     0.000B
ru_minflt    530                 
ru_majflt    0                   
ru_nswap     0                   
ru_inblock   0                   
ru_oublock   16                  
ru_msgsnd    0                   
ru_msgrcv    0                   
ru_nsignals  0                   
ru_nvcsw     5                   
ru_nivcsw    5                   
cpu          0.840s
mem          40.506MBs
io           21.859MB
iow          0.000s
maxvmem      82.074MB
arid         undefined
ar_sub_time  undefined
category     -l h_rt=600
`;

test("qacct: cpu, maxvmem (not ru_maxrss, printed in the wrong unit) and the wait from qsub to start", () => {
  assert.deepEqual(parseQacctUsage(QACCT), { cpuSeconds: 0.84, peakMemoryBytes: Math.round(82.074 * 2 ** 20), queueWaitSeconds: 0, ended: true });
  assert.equal(parseQacctUsage("error: job id 99 not found\n"), null);
});

// `qacct -j 206` on the same Grid Engine: a spawned server whose prologue burnt 3 s of CPU holding
// 160 MiB, deleted by the hub (qdel). Its cpu is ru_utime + ru_stime of the job; ru_maxrss is
// kilobytes printed as if bytes ("168.820KB" is 168820 KB).
const QACCT_BURN = `==============================================================
qname        all.q               
hostname     vm                  
group        hpctest             
owner        hpctest             
project      NONE                
department   defaultdepartment   
jobname      gyre-hpctest        
jobnumber    206                 
taskid       undefined
account      sge                 
priority     0                   
qsub_time    Thu Dec  3 22:51:14 2026
start_time   Thu Dec  3 22:51:14 2026
end_time     Thu Dec  3 22:51:30 2026
granted_pe   NONE                
slots        1                   
failed       100 : assumedly after job
exit_status  137                  (Killed)
ru_wallclock 16s
ru_utime     1.616s
ru_stime     2.016s
ru_maxrss    168.820KB
ru_ixrss     0.000B
ru_ismrss    0.000B
ru_idrss     0.000B
ru_isrss     0.000B
ru_minflt    61742               
ru_majflt    2                   
ru_nswap     0                   
ru_inblock   384                 
ru_oublock   232                 
ru_msgsnd    0                   
ru_msgrcv    0                   
ru_nsignals  0                   
ru_nvcsw     32                  
ru_nivcsw    2663                
cpu          3.632s
mem          490.535MBs
io           22.619MB
iow          0.000s
maxvmem      172.152MB
arid         undefined
ar_sub_time  undefined
category     -l h_rt=600
`;

test("qacct of a job that burnt CPU: cpu counts user and system time, the peak is maxvmem", () => {
  const u = parseQacctUsage(QACCT_BURN)!;
  assert.equal(u.cpuSeconds, 3.632);
  assert.equal(u.peakMemoryBytes, Math.round(172.152 * 2 ** 20));
  assert.equal(u.queueWaitSeconds, 0);
  assert.equal(u.ended, true);
});
