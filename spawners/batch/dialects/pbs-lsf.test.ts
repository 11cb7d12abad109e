import assert from "node:assert/strict";
import { test } from "node:test";
import { LsfDialect, parseBjobsJson } from "./lsf";
import { PbsDialect, parseQstatJson } from "./pbs";

// PBS Pro / OpenPBS `qstat -f -F json -x` in the documented format (PBS Professional Reference
// Guide, qstat). No PBS here: Debian 12 does not package it.
const PBS_JSON = JSON.stringify({
  timestamp: 1763720000,
  pbs_version: "19.1.3",
  pbs_server: "pbs01",
  Jobs: {
    "101.pbs01": {
      Job_Name: "gyre-alice",
      job_state: "Q",
      comment: "Not Running: Insufficient amount of resource: ncpus",
      estimated: { start_time: "Sat Nov 21 12:00:00 2026" },
      Resource_List: { walltime: "02:00:00" },
    },
    "102.pbs01": { Job_Name: "gyre-bob", job_state: "R", exec_host: "node7/0*4", Resource_List: { walltime: "02:00:00" } },
    "103.pbs01": {
      Job_Name: "gyre-carol",
      job_state: "F",
      Exit_status: -29,
      comment: "Job run at Sat Nov 21 at 09:00 on (node3:ncpus=1) and finished",
      Resource_List: { walltime: "02:00:00" },
    },
    "104.pbs01": { Job_Name: "gyre-dan", job_state: "F", Exit_status: 0, Resource_List: { walltime: "01:00:00" } },
  },
});

test("PBS (documented format, no PBS/LSF here): qstat -f -F json states", () => {
  const s = parseQstatJson({ stdout: PBS_JSON, stderr: "qstat: Unknown Job Id 105.pbs01\n", exitCode: 153 }, [
    "101.pbs01",
    "102.pbs01",
    "103.pbs01",
    "104.pbs01",
    "105.pbs01",
  ]);
  const q = s.get("101.pbs01");
  assert.equal(q?.kind, "pending");
  assert.equal(q?.kind === "pending" && q.reason, "Not Running: Insufficient amount of resource: ncpus");
  assert.equal(q?.kind === "pending" && q.estimatedStart?.getTime(), new Date("Sat Nov 21 12:00:00 2026").getTime());
  assert.deepEqual(s.get("102.pbs01"), { kind: "running", code: "R", host: "node7" });
  assert.deepEqual(s.get("103.pbs01"), { kind: "done", code: "F", exitCode: -29, reason: "your job reached its 2 h walltime" });
  assert.deepEqual(s.get("104.pbs01"), { kind: "done", code: "F", exitCode: 0, reason: "the job ended (the server exited)" });
  assert.deepEqual(s.get("105.pbs01"), { kind: "unknown" });
});

test("PBS (documented format, no PBS/LSF here): submit output and commands", () => {
  assert.equal(PbsDialect.parseSubmitOutput("101.pbs01\n"), "101.pbs01");
  assert.equal(PbsDialect.parseSubmitOutput("13\n"), "13"); // slurm-wlm-torque's qsub wrapper, real output
  assert.deepEqual(PbsDialect.queryCommand(["1.s", "2.s"]), ["qstat", "-f", "-F", "json", "-x", "1.s", "2.s"]);
  assert.deepEqual(PbsDialect.submitCommand(["JUPYTER_TOKEN"]), ["qsub", "-v", "JUPYTER_TOKEN"]);
});

// LSF 10.1 `bjobs -a -o "…" -json` in the documented format (IBM Spectrum LSF command reference).
const LSF_JSON = `{
  "COMMAND":"bjobs",
  "JOBS":4,
  "RECORDS":[
    {"JOBID":"201","STAT":"PEND","EXEC_HOST":"","PEND_REASON":"New job is waiting for scheduling;","EXIT_CODE":"","EXIT_REASON":"","ESTIMATED_START_TIME":""},
    {"JOBID":"202","STAT":"RUN","EXEC_HOST":"4*hostA","PEND_REASON":"","EXIT_CODE":"","EXIT_REASON":"","ESTIMATED_START_TIME":""},
    {"JOBID":"203","STAT":"EXIT","EXEC_HOST":"hostB","PEND_REASON":"","EXIT_CODE":"140","EXIT_REASON":"TERM_RUNLIMIT: job killed after reaching LSF run time limit","ESTIMATED_START_TIME":""},
    {"JOBID":"204","ERROR":"Job <204> is not found"}
  ]
}`;

test("LSF (documented format, no PBS/LSF here): bjobs -json states", () => {
  const s = parseBjobsJson({ stdout: LSF_JSON, stderr: "", exitCode: 255 }, ["201", "202", "203", "204"]);
  assert.deepEqual(s.get("201"), { kind: "pending", code: "PEND", reason: "New job is waiting for scheduling" });
  assert.deepEqual(s.get("202"), { kind: "running", code: "RUN", host: "hostA" });
  assert.deepEqual(s.get("203"), { kind: "done", code: "EXIT", exitCode: 140, reason: "your job reached its walltime" });
  assert.deepEqual(s.get("204"), { kind: "unknown" });
});

test("LSF (documented format, no PBS/LSF here): bsub output and one bjobs for all", () => {
  assert.equal(LsfDialect.parseSubmitOutput("Job <201> is submitted to queue <normal>.\n"), "201");
  assert.equal(LsfDialect.queryCommand(["1", "2"]).filter((a) => a === "1" || a === "2").length, 2);
  assert.equal(LsfDialect.queryCommand(["1", "2"])[0], "bjobs");
});
