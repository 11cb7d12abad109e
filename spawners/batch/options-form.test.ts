import { test } from "node:test";
import assert from "node:assert/strict";
import { SpawnOptionsError } from "../types";
import { batchSpawnerConfigSchema } from "./config";
import { describeBatchOptions, validateBatchOptions } from "./options-form";

const config = batchSpawnerConfigSchema.parse({
  scheduler: "slurm",
  profiles: [
    { name: "small", display: "1 core, 1 h", queue: "debug", walltimeSeconds: 3600 },
    { name: "gpu", display: "GPU node", queue: "gpu", cores: 8, gpus: 1, memoryBytes: 2 ** 34, groups: ["gpu-users"] },
  ],
  bounds: { queues: ["debug", "long"], walltimeSeconds: { min: 600, max: 8 * 3600 }, memoryBytes: { min: 2 ** 30, max: 2 ** 35 } },
});
const alice = { name: "alice", admin: false, groups: [] };

test("describeBatchOptions: profiles the user may use, fields only where bounds are set", () => {
  assert.deepEqual(describeBatchOptions(config, alice), {
    profiles: [{ name: "small", display: "1 core, 1 h", description: "partition debug · 1 core · 1 h" }],
    defaultProfile: "small",
    fields: [
      { kind: "choice", name: "queue", label: "Partition", choices: ["debug", "long"], help: "Instead of the profile's partition." },
      {
        kind: "integer",
        name: "walltimeSeconds",
        label: "Walltime",
        min: 600,
        max: 28800,
        step: 60,
        unit: "min",
        help: "The scheduler ends the job, and the server, when it is reached.",
      },
      { kind: "integer", name: "memoryBytes", label: "Memory", min: 2 ** 30, max: 2 ** 35, step: 2 ** 30, unit: "GiB" },
    ],
  });
  const gpu = describeBatchOptions(config, { ...alice, groups: ["gpu-users"] })!;
  assert.deepEqual(
    gpu.profiles.map((p) => p.name),
    ["small", "gpu"],
  );
  assert.equal(gpu.profiles[1].description, "partition gpu · 8 cores · 1 h · 16 GiB · 1 GPU");
});

test("describeBatchOptions: nothing to choose → null (plain Start button)", () => {
  assert.equal(describeBatchOptions(batchSpawnerConfigSchema.parse({}), alice), null);
});

test("validateBatchOptions: defaults the profile, keeps bounded values, names the bad field", () => {
  assert.deepEqual(validateBatchOptions(config, alice, {}), { profile: "small" });
  assert.deepEqual(validateBatchOptions(config, alice, { profile: "small", queue: "long", walltimeSeconds: 7200 }), {
    profile: "small",
    queue: "long",
    walltimeSeconds: 7200,
  });
  const bad: [unknown, string][] = [
    [{ profile: "gpu" }, "profile"], // not in alice's groups
    [{ queue: "x'; id" }, "queue"],
    [{ walltimeSeconds: 9 * 3600 }, "walltimeSeconds"],
    [{ walltimeSeconds: "3600" }, "walltimeSeconds"],
    [{ cores: 4 }, "cores"], // no bounds for cores: fixed
    [{ prologue: "rm -rf ~" }, "prologue"],
  ];
  for (const [raw, field] of bad) {
    assert.throws(
      () => validateBatchOptions(config, alice, raw),
      (e: unknown) => e instanceof SpawnOptionsError && e.field === field && e.message.includes(`"${field}"`),
      JSON.stringify(raw),
    );
  }
});
