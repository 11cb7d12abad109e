import assert from "node:assert/strict";
import { test } from "node:test";
import { describeExitStatus, exitStatusFromLog } from "./exit-status";
import { EXIT_STATUS_MARKER } from "./job-script";

test("exit statuses in words: the shell's, the launcher's, signals", () => {
  assert.equal(describeExitStatus(127), "exit status 127 (a command was not found: check pythonCommand, pythonEnvironment and modules)");
  assert.equal(describeExitStatus(126), "exit status 126 (a command was found but could not be run (permissions?))");
  assert.equal(describeExitStatus(75), "exit status 75 (no free port in spawner.batch.portRange on the node)");
  assert.equal(
    describeExitStatus(3),
    "exit status 3 (the hub did not accept the server's address: check that hub.callbackUrl is reachable from the compute nodes)",
  );
  assert.equal(describeExitStatus(137), "exit status 137 (killed by SIGKILL: the scheduler's memory or time limit, or a qdel/scancel)");
  assert.equal(describeExitStatus(143), "exit status 143 (stopped by SIGTERM: a cancel or the walltime)");
  assert.equal(describeExitStatus(0), "exit status 0");
  assert.equal(describeExitStatus(42), "exit status 42");
});

test("the server's exit status from the job log's last marker line", () => {
  const log = `bash: line 9: /nope/bin/python: No such file or directory\n${EXIT_STATUS_MARKER} 127\n`;
  assert.equal(exitStatusFromLog(log, EXIT_STATUS_MARKER), 127);
  assert.equal(exitStatusFromLog(`${EXIT_STATUS_MARKER} 1\n...\n${EXIT_STATUS_MARKER} 0\n`, EXIT_STATUS_MARKER), 0);
  assert.equal(exitStatusFromLog("[I 10:00 ServerApp] Jupyter Server is running\n", EXIT_STATUS_MARKER), null);
});
