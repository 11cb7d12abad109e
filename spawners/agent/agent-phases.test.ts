// The hub's reading of the agent's progress lines, and that both sides agree on the format
// (the prefix and the phase names are read out of phases.py itself).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { AGENT_PHASE_PREFIX, AGENT_PHASES, LineSplitter, parseAgentLine } from "./agent-phases";
import { AgentProgressReader, launchJupyterPath } from "./agent-progress";
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

test("agent lines → progress events with their launch step; the run's outcome is kept", () => {
  const r = new AgentProgressReader({ range: [10, 60] });
  const ev = (o: object) => `[gyre-phase] ${JSON.stringify(o)}`;
  assert.deepEqual(r.read(ev({ phase: "fetching", message: "Fetching x" })), { progress: 13, message: "Fetching x", phase: "fetching" });
  assert.equal(r.read("Cloning into 'x'..."), null);
  assert.deepEqual(r.read(ev({ phase: "fetched", message: "at c", commit: "c", dir: "d", reused: false, seconds: 0.3 })), {
    progress: 25,
    message: "at c",
    phase: "fetching",
  });
  const b1 = r.read(ev({ phase: "building", message: "pip install" }))!;
  const b2 = r.read(ev({ phase: "building", message: "Collecting x" }))!;
  assert.equal(b1.phase, "building");
  assert.ok(b2.progress >= b1.progress && b2.progress < 60, `${b1.progress} ${b2.progress}`);
  assert.deepEqual(r.read(ev({ phase: "warning", message: "w" })), { progress: 28, message: "Warning: w", phase: "building" });
  assert.deepEqual(r.read(ev({ phase: "built", message: "reused", cached: true, key: "k" })), {
    progress: 58,
    message: "reused",
    phase: "building",
    cached: true,
  });
  const result = { dir: "d", commit: "c", environment: null, serverEnv: {} };
  assert.deepEqual(r.read(ev({ phase: "prepared", message: "p", result })), { progress: 60, message: "Starting the server", phase: "starting" });
  assert.deepEqual(r.result, result);
  assert.equal(r.failure, null);

  const f = new AgentProgressReader({ range: [0, 100] });
  assert.equal(f.read(ev({ phase: "failed", message: "The build failed", reason: "env-build-failed", logTail: "t" })), null);
  assert.deepEqual(f.failure, { message: "The build failed", reason: "env-build-failed", logTail: "t" });
  assert.equal(f.result, null);
});

test("a prepared launch puts its environment first on the server's JUPYTER_PATH", () => {
  const result = { dir: "d", commit: "c", environment: null, serverEnv: { JUPYTER_PATH: "/e/share/jupyter" } };
  assert.equal(launchJupyterPath(result, undefined), "/e/share/jupyter");
  assert.equal(launchJupyterPath(result, "/site/share/jupyter"), "/e/share/jupyter:/site/share/jupyter");
  assert.equal(launchJupyterPath({ ...result, serverEnv: {} }, "/site"), "/site");
  assert.equal(launchJupyterPath({ ...result, serverEnv: {} }, ""), undefined);
});
