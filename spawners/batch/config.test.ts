import assert from "node:assert/strict";
import { test } from "node:test";
import { batchSpawnerConfigSchema, buildOptionsSchema, fillTemplate, listProfilesFor, resolveJobResources, resolvePythonCommand } from "./config";

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

test("resolveJobResources: profile + overrides", () => {
  const r = resolveJobResources(config, { profile: "small", cores: 4 });
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
