import { test } from "node:test";
import assert from "node:assert/strict";
import { kubernetesSpawnerConfigSchema } from "./config";
import { describeKubernetesOptions, validateKubernetesOptions } from "./options-form";

const config = kubernetesSpawnerConfigSchema.parse({
  image: "quay.io/jupyter/base-notebook:2024-12-09",
  profiles: [
    { name: "small", displayName: "Small", default: true, overrides: { cpuLimit: 1, memoryLimitBytes: "2Gi" } },
    { name: "gpu", displayName: "GPU", description: "One A100", groups: ["org:gpu"], overrides: { extraResourceLimits: { "nvidia.com/gpu": 1 } } },
    { name: "large", displayName: "Large", overrides: { cpuLimit: 4, memoryLimitBytes: "16Gi", image: "quay.io/jupyter/scipy-notebook:2024-12-09" } },
  ],
});
const alice = { name: "alice", admin: false, groups: [] };
const gpuUser = { name: "bob", admin: false, groups: ["org:gpu"] };

test("the form lists the profiles a user may pick, described, the default preselected", () => {
  assert.deepEqual(describeKubernetesOptions(config, alice), {
    profiles: [
      { name: "small", display: "Small", description: "up to 1 CPU · up to 2 GiB · quay.io/jupyter/base-notebook:2024-12-09" },
      { name: "large", display: "Large", description: "up to 4 CPUs · up to 16 GiB · quay.io/jupyter/scipy-notebook:2024-12-09" },
    ],
    defaultProfile: "small",
    fields: [],
  });
  assert.deepEqual(
    describeKubernetesOptions(config, gpuUser)?.profiles.map((p) => p.name),
    ["small", "gpu", "large"],
  );
  assert.equal(describeKubernetesOptions(config, { ...alice, admin: true })?.profiles.length, 3);
});

test("no form without a choice: no profiles, or one", () => {
  assert.equal(describeKubernetesOptions(kubernetesSpawnerConfigSchema.parse({}), alice), null);
  assert.equal(describeKubernetesOptions(kubernetesSpawnerConfigSchema.parse({ profiles: [{ name: "only", displayName: "Only" }] }), alice), null);
});

test("start options: the profile is checked against the user's groups and stored by name", () => {
  assert.deepEqual(validateKubernetesOptions(config, alice, {}), { profile: "small" });
  assert.deepEqual(validateKubernetesOptions(config, alice, { profile: "large" }), { profile: "large" });
  assert.deepEqual(validateKubernetesOptions(config, gpuUser, { profile: "gpu" }), { profile: "gpu" });
  assert.throws(
    () => validateKubernetesOptions(config, alice, { profile: "gpu" }),
    (e: Error & { field?: string }) => e.name === "SpawnOptionsError" && e.field === "profile" && /may not use/.test(e.message),
  );
  assert.throws(() => validateKubernetesOptions(config, alice, { profile: "nope" }), /There is no profile "nope"/);
  assert.throws(() => validateKubernetesOptions(config, alice, { profile: 3 }), /profile name/);
  assert.throws(
    () => validateKubernetesOptions(config, alice, { cores: 8 }),
    (e: Error & { field?: string }) => e.field === "cores",
  );
  assert.throws(() => validateKubernetesOptions(config, alice, []), /JSON object/);
  assert.deepEqual(validateKubernetesOptions(kubernetesSpawnerConfigSchema.parse({}), alice, {}), {});
});
