// The hub's reading of the agent's progress lines, and that both sides agree on the format
// (the prefix and the phase names are read out of phases.py itself).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { AGENT_PHASE_PREFIX, AGENT_PHASES, LineSplitter, parseAgentLine } from "./agent-phases";
import { launchEventFromAgent } from "./launch-progress";
import { AGENT_SOURCE_DIR } from "./agent-bundle";

test("phases.py and this parser agree on the prefix and the phase names", () => {
  const py = readFileSync(join(AGENT_SOURCE_DIR, "gyre_agent", "phases.py"), "utf8");
  assert.equal(/^PREFIX = "(.*)"$/m.exec(py)?.[1], AGENT_PHASE_PREFIX);
  const tuple = /^PHASES = \(([^)]*)\)$/m.exec(py)?.[1] ?? "";
  assert.deepEqual(
    [...tuple.matchAll(/"([a-z]+)"/g)].map((m) => m[1]),
    [...AGENT_PHASES],
  );
});

test("phase lines parse into typed events; other lines are free text (null)", () => {
  const prepared = {
    phase: "prepared",
    message: "Ready",
    result: {
      dir: "/home/a/launches/x-1",
      commit: "c".repeat(40),
      environment: {
        key: "k",
        hash: "h",
        prefix: "/e",
        python: "/e/bin/python",
        kind: "venv",
        kernelName: "python3",
        jupyterPath: "/e/share/jupyter",
        files: ["requirements.txt"],
        builtAt: 1,
        buildSeconds: 2,
      },
      serverEnv: { JUPYTER_PATH: "/e/share/jupyter" },
    },
  };
  const lines: [string, unknown][] = [
    ['[gyre-phase] {"phase":"fetching","message":"Fetching x"}', { phase: "fetching", message: "Fetching x" }],
    [
      '[gyre-phase] {"phase":"built","message":"cached","cached":true,"key":"k","seconds":0.01}\r',
      { phase: "built", message: "cached", cached: true, key: "k", seconds: 0.01 },
    ],
    [
      '[gyre-phase] {"phase":"failed","message":"No","reason":"git-timeout","logTail":"a\\nb"}',
      { phase: "failed", message: "No", reason: "git-timeout", logTail: "a\nb" },
    ],
    [`[gyre-phase] ${JSON.stringify(prepared)}`, prepared],
    ["Cloning into 'x'...", null],
    ["  [gyre-phase] {}", null],
    ['[gyre-phase] {"phase":"fetching"', { phase: "warning", message: "The launch agent wrote a progress line that is not JSON." }],
    [
      '[gyre-phase] {"phase":"teleporting","message":"x"}',
      { phase: "warning", message: 'The launch agent wrote a progress line this hub does not understand (phase "teleporting").' },
    ],
    [
      '[gyre-phase] {"phase":"fetched","message":"x"}',
      { phase: "warning", message: 'The launch agent wrote a progress line this hub does not understand (phase "fetched").' },
    ],
  ];
  for (const [line, want] of lines) assert.deepEqual(parseAgentLine(line), want, line);
});

test("LineSplitter: lines split across chunks come out whole", () => {
  const s = new LineSplitter();
  assert.deepEqual(s.push('[gyre-phase] {"pha'), []);
  assert.deepEqual(s.push('se":"fetching","message":"m"}\r\nplain\npart'), ['[gyre-phase] {"phase":"fetching","message":"m"}', "plain"]);
  assert.deepEqual(s.end(), ["part"]);
  assert.deepEqual(s.end(), []);
});

test("agent events → launch progress (warnings keep the current phase)", () => {
  assert.deepEqual(launchEventFromAgent({ phase: "fetching", message: "a" }, "resolving"), { phase: "fetching", message: "a" });
  assert.deepEqual(launchEventFromAgent({ phase: "built", message: "b", cached: true, key: "k" }, "building"), {
    phase: "building",
    message: "b",
    cached: true,
  });
  assert.deepEqual(launchEventFromAgent({ phase: "warning", message: "w" }, "building"), { phase: "building", message: "Warning: w" });
  assert.deepEqual(launchEventFromAgent({ phase: "failed", message: "f", reason: "env-build-failed", logTail: "t" }, "building"), {
    phase: "failed",
    message: "f",
    reason: "env-build-failed",
    logTail: "t",
  });
  assert.equal(
    launchEventFromAgent({ phase: "prepared", message: "p", result: { dir: "d", commit: "c", environment: null, serverEnv: {} } }, "building").phase,
    "starting",
  );
});
