import assert from "node:assert/strict";
import { test } from "node:test";
import { daskValue, renderDaskJobqueueEnv, type DaskJobqueueInput } from "./dask-env";

const slurm: DaskJobqueueInput = {
  scheduler: "slurm",
  resources: {
    queue: "debug",
    account: "proj1",
    walltimeSeconds: 7200,
    cores: 4,
    memoryBytes: 8 * 2 ** 30,
    gpus: 0,
    extraDirectives: ["--constraint=haswell"],
  },
  pythonCommand: "/sw/envs/pangeo/bin/python",
  pythonEnvironment: "/sw/envs/pangeo",
  modules: ["netcdf/4.9"],
  prologue: ["source /etc/profile.d/site.sh"],
  loginShell: false,
  bindAddress: "",
};

test("Slurm: dask-jobqueue's keys for the profile (literal)", () => {
  assert.deepEqual(renderDaskJobqueueEnv(slurm), {
    DASK_JOBQUEUE__SLURM__QUEUE: "debug",
    DASK_JOBQUEUE__SLURM__ACCOUNT: "proj1",
    DASK_JOBQUEUE__SLURM__WALLTIME: "02:00:00",
    DASK_JOBQUEUE__SLURM__CORES: "4",
    DASK_JOBQUEUE__SLURM__MEMORY: "8192MiB",
    DASK_JOBQUEUE__SLURM__PYTHON: "/sw/envs/pangeo/bin/python",
    DASK_JOBQUEUE__SLURM__JOB_SCRIPT_PROLOGUE:
      '["module load netcdf/4.9","export PATH=/sw/envs/pangeo/bin:\\"$PATH\\"","source /etc/profile.d/site.sh","unset DASK_DISTRIBUTED__DASHBOARD__LINK"]',
    DASK_JOBQUEUE__SLURM__JOB_EXTRA_DIRECTIVES: '["--constraint=haswell"]',
    DASK_JOBQUEUE__SLURM__SCHEDULER_OPTIONS: '{"dashboard_address":":8787"}',
  });
});

test("Grid Engine: project, per-slot h_vmem as resource-spec, the parallel environment for several cores, interface and login shell (literal)", () => {
  const env = renderDaskJobqueueEnv({
    ...slurm,
    scheduler: "sge",
    resources: { queue: "all.q", account: "climate", walltimeSeconds: 3600, cores: 2, memoryBytes: 4 * 2 ** 30, parallelEnvironment: "mpi" },
    modules: [],
    prologue: [],
    pythonEnvironment: undefined,
    pythonCommand: "/usr/bin/python3",
    networkInterface: "ib0",
    loginShell: true,
  });
  assert.deepEqual(env, {
    DASK_JOBQUEUE__SGE__QUEUE: "all.q",
    DASK_JOBQUEUE__SGE__PROJECT: "climate",
    DASK_JOBQUEUE__SGE__WALLTIME: "01:00:00",
    DASK_JOBQUEUE__SGE__CORES: "2",
    DASK_JOBQUEUE__SGE__MEMORY: "4096MiB",
    DASK_JOBQUEUE__SGE__RESOURCE_SPEC: "h_vmem=2048M",
    DASK_JOBQUEUE__SGE__PYTHON: "/usr/bin/python3",
    DASK_JOBQUEUE__SGE__INTERFACE: "ib0",
    DASK_JOBQUEUE__SGE__SHEBANG: "#!/bin/bash -l",
    DASK_JOBQUEUE__SGE__JOB_SCRIPT_PROLOGUE: '["unset DASK_DISTRIBUTED__DASHBOARD__LINK"]',
    DASK_JOBQUEUE__SGE__JOB_EXTRA_DIRECTIVES: '["-pe mpi 2"]',
    DASK_JOBQUEUE__SGE__SCHEDULER_OPTIONS: '{"dashboard_address":":8787"}',
  });
});

test("the scheduler listens on the server's bind address when one is set (and no interface is)", () => {
  const env = renderDaskJobqueueEnv({ ...slurm, bindAddress: "10.1.2.3" });
  assert.equal(env.DASK_JOBQUEUE__SLURM__SCHEDULER_OPTIONS, '{"dashboard_address":":8787","host":"10.1.2.3"}');
  assert.equal(
    renderDaskJobqueueEnv({ ...slurm, resources: { ...slurm.resources, queue: undefined, account: undefined } }).DASK_JOBQUEUE__SLURM__QUEUE,
    undefined,
  );
});

test("values that Python would read as something else are written as Python strings", () => {
  for (const [v, want] of [
    ["debug", "debug"],
    ["02:00:00", "02:00:00"],
    ["8192MiB", "8192MiB"],
    ["1", '"1"'],
    ["1.5", '"1.5"'],
    ["0x10", '"0x10"'],
    ["None", '"None"'],
    ["true", '"true"'],
    ["[x]", '"[x]"'],
  ] as const)
    assert.equal(daskValue(v), want, v);
  assert.equal(daskValue(4), "4");
});
