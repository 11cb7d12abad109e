import assert from "node:assert/strict";
import { test } from "node:test";
import { adviceAfterStop } from "./stop-advice";

test("advice for the reasons the batch dialects and the culler record", () => {
  const cases: [string, RegExp][] = [
    ["The server stopped: your job reached its 1 min walltime", /longer walltime/],
    ["The server stopped: the job ran out of memory", /more memory/],
    ["The server stopped: the job was cancelled (scancel)", /cancelled the job/],
    ["The server stopped: the job was deleted (qdel)", /cancelled the job/],
    ["The server stopped: the node running your job failed", /lost the node/],
    ["The server stopped: the job was preempted by a higher-priority job", /higher-priority/],
    ["Stopped after 60 min idle", /your files are where you left them/],
    ["The server stopped: the job is no longer known to the scheduler (it ended, was deleted or its node failed)", /log on your home page/],
    ["The server stopped: the server exited with exit status 1", /log on your home page/],
  ];
  for (const [reason, advice] of cases) assert.match(adviceAfterStop(reason), advice, reason);
});
