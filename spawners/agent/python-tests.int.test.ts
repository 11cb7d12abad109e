// The agent's own Python tests (spawners/agent/tests, stdlib unittest) run by Debian's Python, and
// a check that every module is Python 3.9 syntax (the oldest Python the agent promises to run on).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { AGENT_SOURCE_DIR } from "./agent-bundle";

const PYTHON = "/usr/bin/python3";

test("the agent's unittest suite passes", async () => {
  const r = await execa(PYTHON, ["-m", "unittest", "discover", "-s", "tests", "-t", "."], {
    cwd: AGENT_SOURCE_DIR,
    env: { PATH: "/usr/bin:/bin", PYTHONDONTWRITEBYTECODE: "1", LANG: "C.UTF-8" },
    extendEnv: false,
    reject: false,
    timeout: 120_000,
  });
  const ran = Number(/Ran (\d+) tests?/.exec(r.stderr)?.[1] ?? 0);
  console.log(`# python unittest: ran ${ran}, exit ${r.exitCode}`);
  assert.equal(r.exitCode, 0, r.stderr.slice(-4000));
  assert.ok(ran >= 20, `ran ${ran} tests`);
});

test("every agent module is Python 3.9 syntax", async () => {
  const files = readdirSync(join(AGENT_SOURCE_DIR, "gyre_agent"))
    .filter((n) => n.endsWith(".py"))
    .map((n) => join(AGENT_SOURCE_DIR, "gyre_agent", n));
  const check = "import ast, sys\nfor f in sys.argv[1:]:\n    ast.parse(open(f).read(), f, feature_version=(3, 9))\nprint(len(sys.argv) - 1)";
  const r = await execa(PYTHON, ["-c", check, ...files], { reject: false });
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal(Number(r.stdout.trim()), files.length);
  // and the check does catch newer syntax
  const bad = await execa(PYTHON, ["-c", "import ast; ast.parse('match x:\\n    case 1: pass', feature_version=(3, 9))"], { reject: false });
  assert.notEqual(bad.exitCode, 0);
});
