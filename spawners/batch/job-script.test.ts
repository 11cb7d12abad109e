import assert from "node:assert/strict";
import { test } from "node:test";
import { DIALECTS } from "./dialects/index";
import { SgeDialect } from "./dialects/sge";
import { SlurmDialect } from "./dialects/slurm";
import { BUILT_IN_TEMPLATE, checkJobScriptTemplate, EXIT_STATUS_MARKER, JobScriptTemplateError, renderJobScript } from "./job-script";
import { AGENT_EOF, LAUNCHER_EOF, LAUNCHER_PY } from "./launcher";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { prefixCommand, quoteForBash, UnsafeValueError } from "./shell-quote";
import type { JobScriptOptions } from "./types";

const base: JobScriptOptions = {
  jobName: "gyre-alice",
  resources: { queue: "debug", account: "proj1", walltimeSeconds: 7200, cores: 4, memoryBytes: 8 * 2 ** 30, gpus: 1 },
  workDir: "/home/alice",
  logPath: "/home/alice/.gyre-batch-s1.log",
  prologue: ["module load python/3.11"],
  env: { GYRE_SPAWN_ID: "s1", DASK_DISTRIBUTED__DASHBOARD__LINK: "/user/alice/proxy/{port}/status" },
  pythonCommand: "/usr/bin/python3",
  serverArgs: ["--ServerApp.base_url=/user/alice/"],
};

const head = (s: string) => s.split(`<<'${LAUNCHER_EOF}'`)[0];
/** The script with the launcher's Python body elided (it is tested in launcher-level tests). */
const outline = (s: string) => s.replace(new RegExp(`<<'${LAUNCHER_EOF}' &\\n[\\s\\S]*?\\n${LAUNCHER_EOF}\\n`), `<<'${LAUNCHER_EOF}' &\n…\n${LAUNCHER_EOF}\n`);

test("Slurm job script: directives, exports, prologue, launcher (literal)", () => {
  assert.equal(
    head(renderJobScript(SlurmDialect, base)),
    `#!/bin/bash
#SBATCH --job-name=gyre-alice
#SBATCH --output=/home/alice/.gyre-batch-s1.log
#SBATCH --chdir=/home/alice
#SBATCH --nodes=1
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=4
#SBATCH --time=02:00:00
#SBATCH --partition=debug
#SBATCH --account=proj1
#SBATCH --mem=8192M
#SBATCH --gres=gpu:1
# Jupyter server job rendered by Gyre (spawners/batch/job-script.ts).
cd '/home/alice' || exit 1
export GYRE_JOB_ID="$SLURM_JOB_ID"
export GYRE_SPAWN_ID='s1'
export DASK_DISTRIBUTED__DASHBOARD__LINK='/user/alice/proxy/{port}/status'
# prologue (admin-defined)
module load python/3.11
'/usr/bin/python3' - '--ServerApp.base_url=/user/alice/' `,
  );
});

test("the launcher runs in the background and the script waits: its exit status is logged, the epilogue runs, the job exits with it (literal)", () => {
  const tail = outline(renderJobScript(SlurmDialect, { ...base, epilogue: ['rm -rf "$TMPDIR/gyre"'] })).split("# prologue (admin-defined)\n")[1];
  assert.equal(
    tail,
    `module load python/3.11
'/usr/bin/python3' - '--ServerApp.base_url=/user/alice/' <<'GYRE_LAUNCHER_EOF' &
…
GYRE_LAUNCHER_EOF
GYRE_SERVER_PID=$!
trap 'kill -TERM "$GYRE_SERVER_PID" 2>/dev/null' TERM INT
wait "$GYRE_SERVER_PID"; GYRE_SERVER_STATUS=$?
if kill -0 "$GYRE_SERVER_PID" 2>/dev/null; then wait "$GYRE_SERVER_PID"; GYRE_SERVER_STATUS=$?; fi
echo "${EXIT_STATUS_MARKER} $GYRE_SERVER_STATUS" >&2
# epilogue (admin-defined)
rm -rf "$TMPDIR/gyre"
exit "$GYRE_SERVER_STATUS"
`,
  );
});

test("modules become module load lines before the prologue; hostile module names are refused", () => {
  const s = outline(renderJobScript(SlurmDialect, { ...base, modules: ["python/3.11", "netcdf-c/4.9.2"], prologue: [] }));
  assert.match(s, /export DASK_DISTRIBUTED__DASHBOARD__LINK='[^']*'\nmodule load python\/3.11\nmodule load netcdf-c\/4.9.2\n'\/usr\/bin\/python3'/);
  for (const bad of ["python; id", "a b", "$(id)", "-x"])
    assert.throws(() => renderJobScript(SlurmDialect, { ...base, modules: [bad] }), UnsafeValueError, bad);
});

test("login shell: #!/bin/bash -l where the scheduler runs the #! line; Grid Engine re-executes with bash -l unless it already is one", () => {
  assert.match(renderJobScript(SlurmDialect, { ...base, loginShell: true }), /^#!\/bin\/bash -l\n#SBATCH /);
  assert.match(renderJobScript(SlurmDialect, base), /^#!\/bin\/bash\n/);
  const sge = renderJobScript(SgeDialect, { ...base, loginShell: true });
  assert.match(sge, /^#!\/bin\/bash\n#\$ /);
  assert.match(sge, /\nshopt -q login_shell \|\| exec \/bin\/bash -l "\$0" "\$@"\ncd '\/home\/alice' \|\| exit 1\n/);
  assert.doesNotMatch(renderJobScript(SgeDialect, base), /login_shell/);
});

test("a site template: values, sections for optional values, Gyre's blocks in place (literal)", () => {
  const template = `#!/bin/bash
#SBATCH --job-name={{jobName}}
#SBATCH --output={{logPath}}
#SBATCH --time={{walltime}}
#SBATCH --cpus-per-task={{cores}}
{{#queue}}
#SBATCH --partition={{queue}}
{{/queue}}
{{#memoryMegabytes}}
#SBATCH --mem={{memoryMegabytes}}M
{{/memoryMegabytes}}
#SBATCH --qos=interactive
# site header for {{user}} ({{osUser}}), profile {{profile}} on {{cluster}}
{{setup}}
source /etc/profile.d/site.sh
{{modules}}
{{launcher}}
{{epilogue}}
`;
  assert.deepEqual(checkJobScriptTemplate(template, ["modules", "epilogue"]), []);
  const labels = { user: "alice", osUser: "alice", profile: "small", cluster: "default" };
  const s = outline(
    renderJobScript(SlurmDialect, { ...base, modules: ["python/3.11"], prologue: [], resources: { ...base.resources, queue: undefined }, labels }, template),
  );
  assert.equal(
    s.split("\n'/usr/bin/python3'")[0],
    `#!/bin/bash
#SBATCH --job-name=gyre-alice
#SBATCH --output=/home/alice/.gyre-batch-s1.log
#SBATCH --time=02:00:00
#SBATCH --cpus-per-task=4
#SBATCH --mem=8192M
#SBATCH --qos=interactive
# site header for alice (alice), profile small on default
cd '/home/alice' || exit 1
export GYRE_JOB_ID="$SLURM_JOB_ID"
export GYRE_SPAWN_ID='s1'
export DASK_DISTRIBUTED__DASHBOARD__LINK='/user/alice/proxy/{port}/status'
source /etc/profile.d/site.sh
module load python/3.11`,
  );
  assert.ok(s.endsWith('exit "$GYRE_SERVER_STATUS"\n'));
});

test("template check: unknown variables, misplaced or missing blocks, each with its line", () => {
  const problems = (t: string, needs: string[] = []) => checkJobScriptTemplate(t, needs).map((p) => `${p.line}: ${p.message.split(" (")[0]}`);
  assert.deepEqual(problems(BUILT_IN_TEMPLATE, ["modules", "prologue", "epilogue"]), []);
  assert.deepEqual(problems("#!/bin/bash\n{{directives}}\n{{setup}}\n#SBATCH --x={{queu}}\n{{launcher}}\n"), ["4: unknown variable {{queu}}"]);
  assert.deepEqual(problems("#!/bin/bash\n{{directives}}\n{{setup}}\n"), [
    "1: {{launcher}} is missing: mandatory: for a launch link, prepares the repository first; then runs the Python launcher",
  ]);
  assert.deepEqual(problems("#!/bin/bash\n{{directives}}\n{{launcher}}\n{{setup}}\n"), ["3: {{launcher}} must come after {{setup}}"]);
  assert.deepEqual(problems("#!/bin/bash\n{{directives}}\n{{setup}}\nexec {{launcher}}\n"), ["4: {{launcher}} must stand alone on its line"]);
  assert.deepEqual(problems("#!/bin/bash\n{{setup}}\n{{launcher}}\n"), [
    "1: neither {{directives}} nor {{logPath}} appears: the job's output must go to the log the hub reads",
  ]);
  assert.deepEqual(problems("{{directives}}\n{{setup}}\n{{launcher}}\n"), ["1: the first line must be {{shebang}} or a #! line"]);
  assert.deepEqual(problems("#!/bin/bash\n{{directives}}\n{{setup}}\n{{launcher}}\n", ["epilogue"]), [
    "1: {{epilogue}} is missing, but the configuration sets epilogue for jobs that use this template",
  ]);
  assert.deepEqual(problems("#!/bin/bash\n{{directives}}\n{{setup}}\n{{> site}}\n{{launcher}}\n"), ["4: partials"]);
  assert.deepEqual(problems("#!/bin/bash\n{{directives}}\n{{#queue}}\n{{setup}}\n{{/queue}}\n{{launcher}}\n"), ["4: {{setup}} cannot be inside a section"]);
  assert.match(problems("#!/bin/bash\n{{#queue}}\n")[0], /^2: not a valid Mustache template/);
  assert.throws(() => renderJobScript(SlurmDialect, base, "#!/bin/bash\n{{setup}}\n"), JobScriptTemplateError);
});

test("Grid Engine job script: #$ directives, -pe smp, per-slot memory (literal)", () => {
  const lines = head(renderJobScript(SgeDialect, base))
    .split("\n")
    .filter((l) => l.startsWith("#$"));
  assert.deepEqual(lines, [
    "#$ -N gyre-alice",
    "#$ -o /home/alice/.gyre-batch-s1.log",
    "#$ -j y",
    "#$ -wd /home/alice",
    "#$ -S /bin/bash",
    "#$ -l h_rt=02:00:00",
    "#$ -q debug",
    "#$ -P proj1",
    "#$ -pe smp 4",
    "#$ -l h_vmem=2048M",
    "#$ -l gpu=1",
  ]);
});

test("every dialect renders a script with the launcher heredoc and that exits with the server's status", () => {
  for (const d of Object.values(DIALECTS)) {
    const s = renderJobScript(d, base);
    assert.ok(s.startsWith("#!/bin/bash\n" + d.directivePrefix + " "), d.kind);
    assert.ok(s.includes(`\n${LAUNCHER_EOF}\nGYRE_SERVER_PID=$!\n`), d.kind);
    assert.ok(s.endsWith('\nexit "$GYRE_SERVER_STATUS"\n'), d.kind);
    assert.ok(!s.includes("JUPYTER_TOKEN="), "no secret in the script");
  }
});

const hostile = ["a'b", "x; rm -rf /", "$(id)", "`id`", "a\nb", "a\rb", "q && reboot", "../../etc", "a b", "-x"];

test("hostile queue/account/job names/paths are rejected before any template", () => {
  for (const v of hostile) {
    for (const patch of [
      { resources: { ...base.resources, queue: v } },
      { resources: { ...base.resources, account: v } },
      { jobName: v },
      // "/home/-x" is a harmless absolute path; every other hostile value must fail as a path too
      ...(v === "-x" ? [] : [{ workDir: `/home/${v}` }, { logPath: `/tmp/${v}` }]),
      { pythonCommand: v },
    ]) {
      assert.throws(() => renderJobScript(SlurmDialect, { ...base, ...patch }), UnsafeValueError, `${JSON.stringify(patch)}`);
    }
  }
});

test("newlines never reach a directive, an export or a server argument", () => {
  assert.throws(() => renderJobScript(SlurmDialect, { ...base, env: { X: "a\n#SBATCH --uid=0" } }), UnsafeValueError);
  assert.throws(() => renderJobScript(SlurmDialect, { ...base, serverArgs: ["--x=1\nid"] }), UnsafeValueError);
  assert.throws(() => renderJobScript(SlurmDialect, { ...base, resources: { ...base.resources, extraDirectives: ["--x\nid"] } }), UnsafeValueError);
  assert.throws(() => renderJobScript(SlurmDialect, { ...base, env: { "BAD NAME": "x" } }), UnsafeValueError);
});

test("numbers out of bounds are rejected", () => {
  for (const r of [{ cores: 0 }, { cores: 1.5 }, { walltimeSeconds: 10 }, { gpus: -1 }, { memoryBytes: 5 }, { cores: Number.NaN }]) {
    assert.throws(() => renderJobScript(SlurmDialect, { ...base, resources: { ...base.resources, ...r } }), UnsafeValueError, JSON.stringify(r));
  }
});

test("quoteForBash: single quotes with embedded quotes (literal)", () => {
  assert.equal(quoteForBash("plain"), "'plain'");
  assert.equal(quoteForBash("it's"), `'it'\\''s'`);
  assert.equal(quoteForBash("$(id) `id` ; &&"), "'$(id) `id` ; &&'");
  assert.throws(() => quoteForBash("a\nb"), UnsafeValueError);
  assert.throws(() => quoteForBash("a\u0000b"), UnsafeValueError);
});

test("prefixCommand: sudo/env get argv as is; an ssh prefix gets each command word quoted for the remote shell", () => {
  const cmd = ["squeue", "-o", "%i|%T", "a b", "$(id)"];
  assert.deepEqual(prefixCommand(["sudo", "-n", "-u", "alice", "--"], cmd), ["sudo", "-n", "-u", "alice", "--", ...cmd]);
  assert.deepEqual(prefixCommand([], cmd), cmd);
  for (const ssh of [
    ["ssh", "-p", "7022", "alice@login1", "--"],
    ["/usr/bin/ssh", "login1"],
    ["sudo", "-u", "gyre", "ssh", "login1", "--"],
  ]) {
    assert.deepEqual(prefixCommand(ssh, cmd), [...ssh, "'squeue'", "'-o'", "'%i|%T'", "'a b'", "'$(id)'"]);
  }
  assert.deepEqual(prefixCommand(["ssh", "h"], ["echo", "it's"]), ["ssh", "h", "'echo'", "'it'\\''s'"]);
  assert.throws(() => prefixCommand(["ssh", "h"], ["echo", "a\nb"]), UnsafeValueError);
  // a word that merely contains "ssh" is not ssh
  assert.deepEqual(prefixCommand(["sshpass-wrapper"], ["a b"]), ["sshpass-wrapper", "a b"]);
});

test("a python environment prefix on the nodes: PATH line after the job id, quoted; unsafe prefixes refused", () => {
  const script = head(
    renderJobScript(SlurmDialect, { ...base, pythonEnvironment: "/sw/conda/envs/pangeo", pythonCommand: "/sw/conda/envs/pangeo/bin/python" }),
  );
  assert.match(script, /export GYRE_JOB_ID="\$SLURM_JOB_ID"\nexport PATH='\/sw\/conda\/envs\/pangeo\/bin':"\$PATH"\nexport GYRE_SPAWN_ID='s1'/);
  assert.match(script, /\n'\/sw\/conda\/envs\/pangeo\/bin\/python' - /);
  assert.doesNotMatch(head(renderJobScript(SlurmDialect, base)), /export PATH=/);
  for (const bad of ["relative/env", "/sw/$(id)/env", "/sw/env\nrm -rf ~", "/sw/../etc"]) {
    assert.throws(
      () => renderJobScript(SlurmDialect, { ...base, pythonEnvironment: bad }),
      (e: Error) => e instanceof UnsafeValueError && /pythonEnvironment/.test(e.message),
      bad,
    );
  }
});

test("a launch: the agent's prepare runs in the job, between the prologue and the launcher (literal)", () => {
  const withLaunch: JobScriptOptions = {
    ...base,
    prologue: [],
    env: { ...base.env, GYRE_LAUNCH_SPEC: "/home/alice/.gyre/s1.secret-launch.json", GYRE_LAUNCH_RESULT: "/home/alice/.gyre/s1.secret-result.json" },
    agentBootstrap: "import sys\nprint('agent')\n",
  };
  const script = renderJobScript(SlurmDialect, withLaunch);
  const tail = script.slice(script.indexOf("export GYRE_LAUNCH_SPEC"), script.indexOf(`<<'${LAUNCHER_EOF}'`));
  assert.equal(
    tail,
    `export GYRE_LAUNCH_SPEC='/home/alice/.gyre/s1.secret-launch.json'
export GYRE_LAUNCH_RESULT='/home/alice/.gyre/s1.secret-result.json'
# launch: fetch the repository and prepare its environment, as the user, on this node (spawners/agent)
'/usr/bin/python3' - prepare --spec-file "$GYRE_LAUNCH_SPEC" --result-file "$GYRE_LAUNCH_RESULT" <<'${AGENT_EOF}' || exit 1
import sys
print('agent')
${AGENT_EOF}
'/usr/bin/python3' - '--ServerApp.base_url=/user/alice/' `,
  );
  assert.throws(() => renderJobScript(SlurmDialect, { ...withLaunch, agentBootstrap: `x\n${AGENT_EOF}\nrm -rf ~` }), UnsafeValueError);
  assert.throws(() => renderJobScript(SlurmDialect, { ...withLaunch, env: base.env }), UnsafeValueError);
});

test("the launcher serves a prepared launch's folder (replacing the job's root_dir, and as its working directory) with its environment first on JUPYTER_PATH", (t) => {
  // run the launcher's launch_args() for real with Debian's Python, on a result file
  const dir = mkdtempSync(join(tmpdir(), "gyre-launcher-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const result = join(dir, "result.json");
  const launchDir = mkdtempSync(join(tmpdir(), "gyre-launch-dir-"));
  t.after(() => rmSync(launchDir, { recursive: true, force: true }));
  writeFileSync(result, JSON.stringify({ dir: launchDir, commit: "c", environment: null, serverEnv: { JUPYTER_PATH: "/envs/k/share/jupyter" } }));
  const fn = LAUNCHER_PY.slice(LAUNCHER_PY.indexOf("def launch_args"), LAUNCHER_PY.indexOf("LAUNCH_ARGS = "));
  const probe = `import json, os, sys\ndef log(*a): pass\n${fn}\nprint(json.dumps([launch_args(sys.argv[1]), os.environ.get("JUPYTER_PATH"), os.getcwd()]))`;
  const out = execFileSync("/usr/bin/python3", ["-c", probe, result], {
    encoding: "utf8",
    env: { PATH: "/usr/bin:/bin", JUPYTER_PATH: "/site/share/jupyter" } as unknown as NodeJS.ProcessEnv,
  });
  assert.deepEqual(JSON.parse(out), [[`--ServerApp.root_dir=${launchDir}`], "/envs/k/share/jupyter:/site/share/jupyter", launchDir]);
  assert.match(LAUNCHER_PY, /ARGS = \[a for a in sys\.argv\[1:\] if not \(LAUNCH_ARGS and a\.startswith\("--ServerApp\.root_dir="\)\)\]/);
});

test("the agent's zip rides in the launcher's heredoc, and the launcher loads Gyre's extension from it and deletes it", () => {
  const zip = Uint8Array.from({ length: 200 }, (_, i) => i);
  const s = renderJobScript(SlurmDialect, { ...base, agentZip: zip });
  const body = s.split(`<<'${LAUNCHER_EOF}' &\n`)[1];
  const b64 = Buffer.from(zip).toString("base64");
  assert.ok(body.startsWith(`_GYRE_AGENT_ZIP = """${b64.match(/.{1,76}/g)!.join("\n")}"""\nimport atexit,`), body.slice(0, 400));
  assert.equal(head(s), head(renderJobScript(SlurmDialect, base)), "nothing else of the script changes");
  // run the launcher's gyre_extension() for real with Debian's Python
  const fn = LAUNCHER_PY.slice(LAUNCHER_PY.indexOf("def gyre_extension"), LAUNCHER_PY.indexOf("LAUNCH_ARGS = "));
  const probe = [
    "import atexit, base64, json, os, sys, tempfile",
    `_GYRE_AGENT_ZIP = """${b64}"""`,
    fn,
    "path, args = gyre_extension()",
    "print(json.dumps([open(path, 'rb').read() == base64.b64decode(_GYRE_AGENT_ZIP), oct(os.stat(path).st_mode & 0o777), sys.path[0] == path, args, path]))",
  ].join("\n");
  const [same, mode, onPath, args, path] = JSON.parse(execFileSync("/usr/bin/python3", ["-c", probe], { encoding: "utf8" })) as [
    boolean,
    string,
    boolean,
    string[],
    string,
  ];
  assert.deepEqual([same, mode, onPath, args], [true, "0o600", true, ["--ServerApp.jpserver_extensions=gyre_agent.jupyter_ext=True"]]);
  assert.throws(() => execFileSync("test", ["-e", path]), "deleted at exit");
  assert.match(LAUNCHER_PY, /if AGENT_ZIP:\n\s+forget\(AGENT_ZIP\)/, "and as soon as the extensions are loaded");
});
