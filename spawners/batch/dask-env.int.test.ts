// Dask reads the rendered DASK_JOBQUEUE__* variables back as dask-jobqueue will: Debian's real
// python3-dask (dask.config) with defaults shaped like dask_jobqueue/jobqueue.yaml's (hyphenated
// keys, which Dask matches to the variables' underscores). dask-jobqueue itself is not packaged in
// Debian 12 and nothing may be pip-installed here, so SLURMCluster() itself does not run.
import assert from "node:assert/strict";
import { test } from "node:test";
import { execa } from "execa";
import { renderDaskJobqueueEnv } from "./dask-env";

const READ_BACK = String.raw`
import json, dask.config
keys = ["queue", "account", "project", "walltime", "cores", "memory", "python", "interface", "shebang",
        "resource-spec", "job-script-prologue", "job-extra-directives", "scheduler-options"]
defaults = {k: None for k in keys}
defaults.update({"walltime": "00:30:00", "shebang": "#!/usr/bin/env bash", "job-script-prologue": [],
                 "job-extra-directives": [], "scheduler-options": {}})
dask.config.update_defaults({"jobqueue": {"slurm": dict(defaults), "sge": dict(defaults)}})
import sys
section = sys.argv[1]
print(json.dumps({k: dask.config.get("jobqueue.%s.%s" % (section, k)) for k in keys}))
`;

async function readBack(section: string, env: Record<string, string>): Promise<Record<string, unknown>> {
  const r = await execa("/usr/bin/python3", ["-c", READ_BACK, section], { env: { PATH: "/usr/bin:/bin", ...env }, extendEnv: false });
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

test("Dask (python3-dask) reads the Slurm settings back with the types dask-jobqueue expects", async () => {
  const env = renderDaskJobqueueEnv({
    scheduler: "slurm",
    resources: { queue: "1", account: "proj1", walltimeSeconds: 5400, cores: 8, memoryBytes: 16 * 2 ** 30, extraDirectives: ["--constraint=haswell"] },
    pythonCommand: "/sw/envs/pangeo/bin/python",
    pythonEnvironment: "/sw/envs/pangeo",
    modules: ["netcdf/4.9"],
    prologue: [],
    loginShell: false,
    bindAddress: "10.0.0.5",
  });
  assert.deepEqual(await readBack("slurm", env), {
    queue: "1",
    account: "proj1",
    project: null,
    walltime: "01:30:00",
    cores: 8,
    memory: "16384MiB",
    python: "/sw/envs/pangeo/bin/python",
    interface: null,
    shebang: "#!/usr/bin/env bash",
    "resource-spec": null,
    "job-script-prologue": ["module load netcdf/4.9", 'export PATH=/sw/envs/pangeo/bin:"$PATH"', "unset DASK_DISTRIBUTED__DASHBOARD__LINK"],
    "job-extra-directives": ["--constraint=haswell"],
    "scheduler-options": { dashboard_address: ":8787", host: "10.0.0.5" },
  });
});

test("Dask reads the Grid Engine settings back (project, resource-spec, the PE directive, interface)", async () => {
  const env = renderDaskJobqueueEnv({
    scheduler: "sge",
    resources: { queue: "all.q", account: "climate", walltimeSeconds: 3600, cores: 2, memoryBytes: 4 * 2 ** 30 },
    pythonCommand: "/usr/bin/python3",
    modules: [],
    prologue: [],
    loginShell: true,
    networkInterface: "ib0",
    bindAddress: "",
  });
  const got = await readBack("sge", env);
  assert.equal(got.project, "climate");
  assert.equal(got["resource-spec"], "h_vmem=2048M");
  assert.deepEqual(got["job-extra-directives"], ["-pe smp 2"]);
  assert.equal(got.interface, "ib0");
  assert.equal(got.shebang, "#!/bin/bash -l");
  assert.equal(got.cores, 2);
});
