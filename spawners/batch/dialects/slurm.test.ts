import assert from "node:assert/strict";
import { test } from "node:test";
import { parseSqueue, parseSqueueStart, SlurmDialect } from "./slurm";

const ok = (stdout: string) => ({ stdout, stderr: "", exitCode: 0 });

test("Slurm: squeue pending and running together (real Slurm 22.05 output)", () => {
  // captured from `squeue -h -o '%i|%T|%r|%N|%B|%u|%j'`, trimmed to Gyre's fields + %S
  const out = "12|PENDING|Resources||n/a|N/A\n10|RUNNING|None|vm|vm|2026-11-21T10:28:15\n11|RUNNING|None|vm|vm|2026-11-21T10:28:15\n";
  const s = parseSqueue(ok(out), ["10", "11", "12", "13"]);
  assert.deepEqual(s.get("12"), { kind: "pending", code: "PENDING", reason: "waiting for free resources" });
  assert.deepEqual(s.get("10"), { kind: "running", code: "RUNNING", host: "vm" });
  assert.deepEqual(s.get("13"), { kind: "unknown" });
});

test("Slurm: estimated start from %S of a pending job", () => {
  const s = parseSqueue(ok("12|PENDING|Priority||n/a|2026-11-21T12:00:00\n"), ["12"]).get("12");
  assert.equal(s?.kind, "pending");
  assert.equal(s?.kind === "pending" && s.estimatedStart?.getTime(), new Date("2026-11-21T12:00:00").getTime());
  assert.equal(parseSqueueStart("12|2026-11-21T12:00:00\n13|N/A\n").size, 1);
});

test("Slurm: CANCELLED within MinJobAge (real `squeue -t all` output) and TIMEOUT", () => {
  const s = parseSqueue(ok("11|CANCELLED|None|vm|vm|2026-11-21T10:28:15\n4|TIMEOUT|TimeLimit|vm|vm|2026-11-21T10:28:15\n"), ["11", "4"]);
  assert.deepEqual(s.get("11"), { kind: "done", code: "CANCELLED", reason: "the job was cancelled (scancel)" });
  assert.deepEqual(s.get("4"), { kind: "done", code: "TIMEOUT", reason: "your job reached its walltime" });
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

test("Slurm: ONE squeue for all jobs", () => {
  assert.deepEqual(SlurmDialect.queryCommand(["1", "2", "3"]), ["squeue", "-h", "-t", "all", "-j", "1,2,3", "-o", "%i|%T|%r|%N|%B|%S"]);
});
