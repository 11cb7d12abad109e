import assert from "node:assert/strict";
import { test } from "node:test";
import {
  batchSpawnerConfigSchema,
  buildOptionsSchema,
  fillTemplate,
  listClusters,
  listProfilesFor,
  resolveCluster,
  resolveJob,
  resolvePythonCommand,
  resolveServerCommand,
} from "./config";
import { parseMemoryBytes } from "./memory";

const config = batchSpawnerConfigSchema.parse({
  scheduler: "slurm",
  profiles: [
    { name: "small", display: "1 core, 2 h, debug queue", queue: "debug", walltimeSeconds: 7200, prologue: ["module load python"] },
    { name: "gpu", display: "1 GPU, 8 h", queue: "gpu", gpus: 1, cores: 8, walltimeSeconds: 28800, groups: ["gpu-users"] },
  ],
  bounds: { walltimeSeconds: { min: 600, max: 43200 }, cores: { min: 1, max: 16 }, queues: ["debug", "normal"] },
});

test("defaults: plain sudo prefix (no secrets in env), one default profile", () => {
  const d = batchSpawnerConfigSchema.parse({});
  assert.deepEqual(d.submitPrefix, ["sudo", "-n", "-H", "-u", "{osUser}", "--"]);
  assert.equal(d.profiles.length, 1);
  assert.ok(d.queuedTimeoutSeconds > d.startingTimeoutSeconds);
});

test("profiles are filtered by group", () => {
  assert.deepEqual(
    listProfilesFor(config, []).map((p) => p.name),
    ["small"],
  );
  assert.deepEqual(
    listProfilesFor(config, ["gpu-users"]).map((p) => p.name),
    ["small", "gpu"],
  );
});

test("options schema: profile choice and overrides only within the admin's bounds", () => {
  const s = buildOptionsSchema(config, { groups: [], admin: false });
  assert.deepEqual(s.parse({}), { profile: "small" });
  assert.equal(s.safeParse({ profile: "gpu" }).success, false, "gpu profile not allowed for this user");
  assert.equal(s.safeParse({ walltimeSeconds: 3600, cores: 4, queue: "normal" }).success, true);
  assert.equal(s.safeParse({ walltimeSeconds: 100000 }).success, false);
  assert.equal(s.safeParse({ cores: 64 }).success, false);
  assert.equal(s.safeParse({ gpus: 1 }).success, false, "no GPU bounds: fixed");
  assert.equal(s.safeParse({ queue: "debug; rm -rf /" }).success, false);
  assert.equal(s.safeParse({ account: "x" }).success, false, "no account choices");
  assert.equal(s.safeParse({ prologue: "id" }).success, false, "unknown keys rejected");
});

test("resolveJob: profile + overrides", () => {
  const r = resolveJob(config, { profile: "small", cores: 4 });
  assert.deepEqual(r.resources, {
    queue: "debug",
    account: undefined,
    walltimeSeconds: 7200,
    cores: 4,
    memoryBytes: undefined,
    gpus: 0,
    parallelEnvironment: undefined,
    extraDirectives: [],
  });
  assert.deepEqual(r.prologue, ["module load python"]);
});

test("config rejects hostile admin values and multi-line prologue", () => {
  assert.equal(batchSpawnerConfigSchema.safeParse({ profiles: [{ name: "x", display: "x", queue: "a b" }] }).success, false);
  assert.equal(batchSpawnerConfigSchema.safeParse({ profiles: [{ name: "x", display: "x", prologue: ["a\nb"] }] }).success, false);
  assert.equal(batchSpawnerConfigSchema.safeParse({ scheduler: "condor" }).success, false);
});

test("fillTemplate: unknown placeholders are errors", () => {
  assert.equal(fillTemplate("{home}/x", { home: "/h" }), "/h/x");
  assert.throws(() => fillTemplate("{hom}/x", { home: "/h" }), /unknown placeholder/);
});

test("pythonCommand defaults from pythonEnvironment, else Debian's python3; an explicit command wins", () => {
  assert.equal(resolvePythonCommand(batchSpawnerConfigSchema.parse({})), "/usr/bin/python3");
  assert.equal(resolvePythonCommand(batchSpawnerConfigSchema.parse({ pythonEnvironment: "/sw/envs/pangeo" })), "/sw/envs/pangeo/bin/python");
  assert.equal(resolvePythonCommand(batchSpawnerConfigSchema.parse({ pythonEnvironment: "/sw/envs/pangeo", pythonCommand: "python3" })), "python3");
  assert.throws(() => batchSpawnerConfigSchema.parse({ pythonEnvironment: "/sw/envs/pangeo/" }), /must not end with a slash/);
  assert.throws(() => batchSpawnerConfigSchema.parse({ pythonEnvironment: "sw/envs" }), /absolute path/);
});

test("memory sizes: bytes, or K/M/G/T in binary units (as Slurm and Grid Engine read them)", () => {
  const cases: [number | string, number][] = [
    [4294967296, 2 ** 32],
    ["4G", 4 * 2 ** 30],
    ["4g", 4 * 2 ** 30],
    ["4GiB", 4 * 2 ** 30],
    ["4GB", 4 * 2 ** 30],
    ["512M", 512 * 2 ** 20],
    ["1.5T", 1.5 * 2 ** 40],
    ["2048K", 2 * 2 ** 20],
    ["1073741824", 2 ** 30],
  ];
  for (const [input, want] of cases) assert.equal(parseMemoryBytes(input), want, String(input));
  for (const bad of ["4 gigs", "-1", "1P", "", "1e9", "G"]) assert.throws(() => parseMemoryBytes(bad), /not a memory size/, bad);
  const c = batchSpawnerConfigSchema.parse({
    profiles: [{ name: "m", display: "m", memoryBytes: "8G" }],
    bounds: { memoryBytes: { min: "1G", max: "64G" } },
  });
  assert.equal(c.profiles[0].memoryBytes, 8 * 2 ** 30);
  assert.deepEqual(c.bounds.memoryBytes, { min: 2 ** 30, max: 64 * 2 ** 30 });
  assert.throws(() => batchSpawnerConfigSchema.parse({ profiles: [{ name: "m", display: "m", memoryBytes: "512K" }] }), /between 1 MiB and 64 TiB/);
});

test("per-profile bounds replace the section's for that profile; a profile without them uses the section's", () => {
  const c = batchSpawnerConfigSchema.parse({
    profiles: [
      { name: "small", display: "s", walltimeSeconds: 3600 },
      {
        name: "big",
        display: "b",
        walltimeSeconds: 3600,
        memoryBytes: "16G",
        bounds: { walltimeSeconds: { min: 3600, max: 86400 }, memoryBytes: { min: "8G", max: "256G" } },
      },
    ],
    bounds: { walltimeSeconds: { min: 600, max: 7200 } },
  });
  const s = buildOptionsSchema(c, { groups: [], admin: false });
  assert.equal(s.safeParse({ profile: "small", walltimeSeconds: 7200 }).success, true);
  assert.match(JSON.stringify(s.safeParse({ profile: "small", walltimeSeconds: 86400 }).error?.issues), /between 600 and 7200 for profile \\"small\\"/);
  assert.equal(s.safeParse({ profile: "big", walltimeSeconds: 86400 }).success, true);
  assert.equal(s.safeParse({ profile: "big", memoryBytes: "128G" }).data?.memoryBytes, 128 * 2 ** 30);
  assert.match(JSON.stringify(s.safeParse({ profile: "small", memoryBytes: "8G" }).error?.issues), /profile \\"small\\" does not let you choose memory/);
  assert.match(JSON.stringify(s.safeParse({ profile: "big", memoryBytes: "4G" }).error?.issues), /between 8 GiB and 256 GiB/);
});

test("clusters: the section-level keys are cluster 'default'; a named cluster overrides only what it sets; profiles name theirs", () => {
  const c = batchSpawnerConfigSchema.parse({
    scheduler: "slurm",
    pythonEnvironment: "/sw/envs/pangeo",
    modules: ["python/3.11"],
    clusters: { gpu: { scheduler: "sge", submitPrefix: ["ssh", "{osUser}@gpu-login", "--"], modules: ["cuda/12"] } },
    profiles: [
      { name: "cpu", display: "cpu" },
      { name: "gpu", display: "gpu", cluster: "gpu", pythonEnvironment: "/sw/envs/gpu", modules: ["cuda/12", "python/3.11"] },
    ],
  });
  assert.deepEqual(
    listClusters(c).map((x) => [x.name, x.scheduler, x.submitPrefix[0], x.pythonEnvironment, x.modules.join(",")]),
    [
      ["default", "slurm", "sudo", "/sw/envs/pangeo", "python/3.11"],
      ["gpu", "sge", "ssh", "/sw/envs/pangeo", "cuda/12"],
    ],
  );
  const cpu = resolveJob(c, { profile: "cpu" });
  assert.equal(cpu.cluster.name, "default");
  assert.equal(cpu.pythonCommand, "/sw/envs/pangeo/bin/python");
  const gpu = resolveJob(c, { profile: "gpu" });
  assert.equal(gpu.cluster.scheduler, "sge");
  assert.equal(gpu.pythonCommand, "/sw/envs/gpu/bin/python", "the profile's environment, its own python");
  assert.deepEqual(gpu.modules, ["cuda/12", "python/3.11"]);
  assert.equal(resolveCluster(c, "nope"), null);
  assert.throws(() => batchSpawnerConfigSchema.parse({ profiles: [{ name: "a", display: "a", cluster: "gpu" }] }), /no cluster \\"gpu\\"/);
  assert.throws(() => batchSpawnerConfigSchema.parse({ clusters: { default: { scheduler: "sge" } } }), /section-level keys/);
});

test("prologue and epilogue: the section's wrap the profile's", () => {
  const c = batchSpawnerConfigSchema.parse({
    prologue: ["echo site-pre"],
    epilogue: ["echo site-post"],
    profiles: [{ name: "p", display: "p", prologue: ["echo p-pre"], epilogue: ["echo p-post"] }],
  });
  const j = resolveJob(c, { profile: "p" });
  assert.deepEqual(j.prologue, ["echo site-pre", "echo p-pre"]);
  assert.deepEqual(j.epilogue, ["echo p-post", "echo site-post"]);
});

test("logFile must keep {spawnId} in its file name (retention finds the logs by it)", () => {
  assert.throws(() => batchSpawnerConfigSchema.parse({ logFile: "{workDir}/{spawnId}/job.log" }), /\{spawnId\} in its file name/);
  assert.equal(batchSpawnerConfigSchema.parse({ logFile: "{home}/logs/gyre-{spawnId}.out" }).logFile, "{home}/logs/gyre-{spawnId}.out");
});

test("command: the launcher's application, interpreter and arguments; profile over cluster over section", () => {
  assert.deepEqual(resolveServerCommand(undefined), { serverApp: "server", args: [] });
  assert.deepEqual(resolveServerCommand(["/usr/bin/jupyter", "server", "--debug"]), { serverApp: "server", args: ["--debug"] });
  assert.deepEqual(resolveServerCommand(["/usr/bin/jupyterhub-singleuser", "--debug"]), { serverApp: "singleuser", args: ["--debug"] });
  assert.deepEqual(resolveServerCommand(["/sw/py/bin/python3", "-m", "jupyterhub.singleuser", "--x=1"]), {
    serverApp: "singleuser",
    python: "/sw/py/bin/python3",
    args: ["--x=1"],
  });
  const c = batchSpawnerConfigSchema.parse({
    command: ["jupyterhub-singleuser"],
    pythonEnvironment: "/sw/env",
    clusters: { gpu: { scheduler: "sge", command: ["/opt/py/bin/python", "-m", "jupyterhub.singleuser"] } },
    profiles: [
      { name: "a", display: "A" },
      { name: "b", display: "B", cluster: "gpu" },
      { name: "c", display: "C", command: ["jupyter", "server"] },
    ],
  });
  const a = resolveJob(c, { profile: "a" });
  assert.deepEqual([a.serverApp, a.pythonCommand, a.commandArgs], ["singleuser", "/sw/env/bin/python", []]);
  const b = resolveJob(c, { profile: "b" });
  assert.deepEqual([b.serverApp, b.pythonCommand], ["singleuser", "/opt/py/bin/python"]);
  const d = resolveJob(c, { profile: "c" });
  assert.deepEqual([d.serverApp, d.pythonCommand], ["server", "/sw/env/bin/python"]);
  assert.equal(resolveJob(config, { profile: "small" }).serverApp, "server");
  for (const bad of [
    ["jupyter", "lab"],
    ["/bin/sh", "-c", "jupyterhub-singleuser"],
    ["python3", "-m", "jupyter_server"],
  ])
    assert.equal(batchSpawnerConfigSchema.safeParse({ command: bad }).success, false, JSON.stringify(bad));
});
