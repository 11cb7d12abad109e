import assert from "node:assert/strict";
import { test } from "node:test";
import { parseSqueue, parseSqueueStart, SlurmDialect } from "./slurm";

const ok = (stdout: string) => ({ stdout, stderr: "", exitCode: 0 });

// Captured from Slurm 22.05.8 here with Gyre's query:
// squeue -h -t all -j … -O JobID:|,State:|,Reason:|,NodeList:|,BatchHost:|,StartTime:|,EndTime:|,exit_code
const HELD = "40|PENDING|JobHeldUser||n/a|N/A|N/A|0                   \n";
const RUNNING = "41|RUNNING|None|vm|vm|2026-12-03T14:25:17|2026-12-03T14:30:17|0                   \n";
const FAILED_127 = "38|FAILED|NonZeroExitCode|vm|vm|2026-12-03T14:19:20|2026-12-03T14:19:20|32512               \n";

test("Slurm: held, running and failed jobs in one answer (real output)", () => {
  const s = parseSqueue(ok(HELD + RUNNING + FAILED_127), ["40", "41", "38", "13"]);
  assert.deepEqual(s.get("40"), { kind: "pending", code: "PENDING", reason: "held by you" });
  assert.deepEqual(s.get("41"), {
    kind: "running",
    code: "RUNNING",
    host: "vm",
    startedAt: new Date("2026-12-03T14:25:17"),
    endsAt: new Date("2026-12-03T14:30:17"),
  });
  assert.deepEqual(s.get("38"), {
    kind: "done",
    code: "FAILED",
    exitCode: 127,
    reason: "the job failed with exit status 127 (a command was not found: check pythonCommand, pythonEnvironment and modules)",
  });
  assert.deepEqual(s.get("13"), { kind: "unknown" });
});

test("Slurm: estimated start from StartTime of a pending job; the partition down", () => {
  const s = parseSqueue(ok("12|PENDING|Priority||n/a|2026-11-21T12:00:00|2026-11-21T13:00:00|0\n2|PENDING|PartitionDown||n/a|N/A|N/A|0\n"), ["12", "2"]);
  const p = s.get("12");
  assert.equal(p?.kind === "pending" && p.estimatedStart?.getTime(), new Date("2026-11-21T12:00:00").getTime());
  assert.deepEqual(s.get("2"), { kind: "pending", code: "PENDING", reason: "the partition is down" });
  assert.equal(parseSqueueStart("12|2026-11-21T12:00:00\n13|N/A\n").size, 1);
});

test("Slurm: CANCELLED within MinJobAge, TIMEOUT, and a job killed by a signal (wait status 9)", () => {
  const s = parseSqueue(
    ok(
      "11|CANCELLED|None|vm|vm|2026-11-21T10:28:15|2026-11-21T10:29:15|0\n4|TIMEOUT|TimeLimit|vm|vm|2026-11-21T10:28:15|2026-11-21T10:29:15|0\n5|FAILED|NonZeroExitCode|vm|vm|N/A|N/A|9\n",
    ),
    ["11", "4", "5"],
  );
  assert.deepEqual(s.get("11"), { kind: "done", code: "CANCELLED", reason: "the job was cancelled (scancel)", exitCode: 0 });
  assert.deepEqual(s.get("4"), { kind: "done", code: "TIMEOUT", reason: "your job reached its walltime", exitCode: 0 });
  const killed = s.get("5");
  assert.equal(killed?.kind === "done" && killed.exitCode, 137);
  assert.match(killed?.kind === "done" ? killed.reason : "", /exit status 137 \(killed by SIGKILL/);
});

test("Slurm: 'Invalid job id' (rc=1, past MinJobAge) and empty output mean gone", () => {
  const gone = parseSqueue({ stdout: "", stderr: "slurm_load_jobs error: Invalid job id specified\n", exitCode: 1 }, ["99999"]);
  assert.deepEqual(gone.get("99999"), { kind: "unknown" });
  assert.deepEqual(parseSqueue(ok(""), ["11"]).get("11"), { kind: "unknown" });
  assert.throws(() => parseSqueue({ stdout: "", stderr: "slurm_load_jobs error: Unable to contact slurm controller", exitCode: 1 }, ["1"]), /squeue failed/);
});

test("Slurm: submit output (--parsable and plain, real)", () => {
  assert.equal(SlurmDialect.parseSubmitOutput("11\n"), "11");
  assert.equal(SlurmDialect.parseSubmitOutput("11;lab\n"), "11");
  assert.equal(SlurmDialect.parseSubmitOutput("Submitted batch job 10\n"), "10");
});

test("Slurm: ONE squeue for all jobs (literal argv)", () => {
  assert.deepEqual(SlurmDialect.queryCommand(["1", "2", "3"]), [
    "squeue",
    "-h",
    "-t",
    "all",
    "-j",
    "1,2,3",
    "-O",
    "JobID:|,State:|,Reason:|,NodeList:|,BatchHost:|,StartTime:|,EndTime:|,exit_code",
  ]);
});

test("Slurm: execution hosts from sinfo -N (one line per node and partition)", () => {
  assert.deepEqual(SlurmDialect.execHostsCommand!(), ["sinfo", "-h", "-N", "-o", "%N"]);
  assert.deepEqual(SlurmDialect.parseExecHosts!("vm\nnode1\nvm\n"), ["vm", "node1"]);
});
