import assert from "node:assert/strict";
import { test } from "node:test";
import { DIALECTS } from "./dialects/index";
import { SgeDialect } from "./dialects/sge";
import { SlurmDialect } from "./dialects/slurm";
import { renderJobScript } from "./job-script";
import { LAUNCHER_EOF } from "./launcher";
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
exec '/usr/bin/python3' - '--ServerApp.base_url=/user/alice/' `,
  );
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

test("every dialect renders a script that ends with the launcher heredoc", () => {
  for (const d of Object.values(DIALECTS)) {
    const s = renderJobScript(d, base);
    assert.ok(s.startsWith("#!/bin/bash\n" + d.directivePrefix + " "), d.kind);
    assert.ok(s.endsWith(`\n${LAUNCHER_EOF}\n`), d.kind);
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
  assert.match(script, /exec '\/sw\/conda\/envs\/pangeo\/bin\/python' - /);
  assert.doesNotMatch(head(renderJobScript(SlurmDialect, base)), /export PATH=/);
  for (const bad of ["relative/env", "/sw/$(id)/env", "/sw/env\nrm -rf ~", "/sw/../etc"]) {
    assert.throws(
      () => renderJobScript(SlurmDialect, { ...base, pythonEnvironment: bad }),
      (e: Error) => e instanceof UnsafeValueError && /pythonEnvironment/.test(e.message),
      bad,
    );
  }
});
