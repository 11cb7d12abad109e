import { test } from "node:test";
import assert from "node:assert/strict";
import { kubernetesSpawnerConfigSchema, parseByteQuantity, profilesForUser, resolveProfile, ProfileError, type Profile } from "./config";

test("parseByteQuantity reads numbers and Kubernetes/z2jh suffixes", () => {
  const cases: Array<[number | string, number]> = [
    [0, 0],
    [1073741824, 1073741824],
    ["512Mi", 536870912],
    ["2G", 2000000000],
    ["1.5Gi", 1610612736],
    ["10Gi", 10737418240],
    ["100k", 100000],
    ["3Ki", 3072],
    ["42", 42],
  ];
  for (const [input, want] of cases) assert.equal(parseByteQuantity(input), want, String(input));
  for (const bad of ["2 gigs", "-1", "1Gb", "", "1e9"]) assert.throws(() => parseByteQuantity(bad), /byte quantity/, bad);
  assert.throws(() => parseByteQuantity(-5), /byte count/);
});

test("defaults: non-root, no token mount, 10 GiB home claim, 1 GiB memory request", () => {
  const c = kubernetesSpawnerConfigSchema.parse({});
  assert.equal(c.namespace, "default");
  assert.deepEqual(c.command, ["jupyter", "server"]);
  assert.equal(c.memoryRequestBytes, 1073741824);
  assert.equal(c.memoryLimitBytes, undefined);
  assert.deepEqual(c.securityContext, { runAsUser: 1000, runAsGroup: 100, fsGroup: 100 });
  assert.equal(c.automountServiceAccountToken, false);
  assert.deepEqual(c.storage, {
    type: "dynamic",
    capacityBytes: 10737418240,
    accessModes: ["ReadWriteOnce"],
    mountPath: "/home/jovyan",
    claimPerServer: false,
  });
  assert.equal(c.startTimeoutSeconds, 300);
  assert.deepEqual(c.profiles, []);
});

test("the schema refuses root, unknown keys, bad quantities and ambiguous profiles", () => {
  const bad: Array<[unknown, RegExp]> = [
    [{ securityContext: { runAsUser: 0 } }, /securityContext\.runAsUser/],
    [{ memoryLimitBytes: "lots" }, /memoryLimitBytes/],
    [{ imagePullPolicy: "Sometimes" }, /imagePullPolicy/],
    [{ nodeSelecter: {} }, /nodeSelecter/],
    [{ namespace: "Users" }, /namespace/],
    [
      {
        profiles: [
          { name: "a", displayName: "A" },
          { name: "a", displayName: "B" },
        ],
      },
      /duplicate profile name "a"/,
    ],
    [
      {
        profiles: [
          { name: "a", displayName: "A", default: true },
          { name: "b", displayName: "B", default: true },
        ],
      },
      /at most one profile/,
    ],
    [{ profiles: [{ name: "GPU", displayName: "GPU" }] }, /profiles\.0\.name/],
    [{ profiles: [{ name: "g", displayName: "G", overrides: { namespace: "x" } }] }, /namespace/],
  ];
  for (const [input, pattern] of bad) {
    const r = kubernetesSpawnerConfigSchema.safeParse(input);
    assert.equal(r.success, false, JSON.stringify(input));
    const text = r.error.issues.map((i) => `${i.path.join(".")}: ${i.message} ${"keys" in i ? i.keys.join(",") : ""}`).join("\n");
    assert.match(text, pattern, JSON.stringify(input));
  }
});

const config = kubernetesSpawnerConfigSchema.parse({
  image: "quay.io/jupyter/base-notebook:2025-01-01",
  env: { A: "1", B: "2" },
  nodeSelector: { pool: "user" },
  cpuLimit: 2,
  profiles: [
    { name: "small", displayName: "Small", description: "2 CPUs" },
    {
      name: "gpu",
      displayName: "GPU",
      groups: ["pangeo:gpu-users"],
      overrides: {
        image: "quay.io/jupyter/pytorch-notebook:cuda12-2025-01-01",
        env: { B: "gpu", C: "3" },
        nodeSelector: { accelerator: "nvidia-t4" },
        extraResourceLimits: { "nvidia.com/gpu": 1 },
        tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }],
        memoryLimitBytes: "16Gi",
      },
    },
    { name: "big", displayName: "Big", default: true, overrides: { cpuLimit: 8, memoryLimitBytes: "64G" } },
  ],
});

test("profilesForUser: open profiles for all, restricted ones for their groups, all for admins", () => {
  const names = (ps: Profile[]) => ps.map((p) => p.name);
  assert.deepEqual(names(profilesForUser(config.profiles, [], false)), ["small", "big"]);
  assert.deepEqual(names(profilesForUser(config.profiles, ["other", "pangeo:gpu-users"], false)), ["small", "gpu", "big"]);
  assert.deepEqual(names(profilesForUser(config.profiles, [], true)), ["small", "gpu", "big"]);
  assert.deepEqual(profilesForUser([], ["x"], true), []);
});

test("resolveProfile merges maps, replaces the rest, and leaves the config untouched", () => {
  const { settings, profile } = resolveProfile(config, "gpu");
  assert.equal(profile?.name, "gpu");
  assert.equal(settings.image, "quay.io/jupyter/pytorch-notebook:cuda12-2025-01-01");
  assert.deepEqual(settings.env, { A: "1", B: "gpu", C: "3" });
  assert.deepEqual(settings.nodeSelector, { pool: "user", accelerator: "nvidia-t4" });
  assert.deepEqual(settings.extraResourceLimits, { "nvidia.com/gpu": 1 });
  assert.deepEqual(settings.tolerations, [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }]);
  assert.equal(settings.memoryLimitBytes, 17179869184);
  assert.equal(settings.cpuLimit, 2);
  assert.deepEqual(config.env, { A: "1", B: "2" });
  assert.equal(config.image, "quay.io/jupyter/base-notebook:2025-01-01");
});

test("resolveProfile picks the default profile when none is named", () => {
  for (const name of [undefined, ""]) {
    const { settings, profile } = resolveProfile(config, name);
    assert.equal(profile?.name, "big");
    assert.equal(settings.cpuLimit, 8);
    assert.equal(settings.memoryLimitBytes, 64000000000);
  }
  const noDefault = kubernetesSpawnerConfigSchema.parse({
    profiles: [
      { name: "x", displayName: "X" },
      { name: "y", displayName: "Y" },
    ],
  });
  assert.equal(resolveProfile(noDefault, undefined).profile?.name, "x");
});

test("resolveProfile enforces group restrictions when given the user's access", () => {
  assert.throws(
    () => resolveProfile(config, "gpu", { groups: ["students"], isAdmin: false }),
    (e: Error) => e instanceof ProfileError && /may not use the profile "gpu"/.test(e.message),
  );
  assert.equal(resolveProfile(config, "gpu", { groups: ["pangeo:gpu-users"], isAdmin: false }).profile?.name, "gpu");
  assert.equal(resolveProfile(config, "gpu", { groups: [], isAdmin: true }).profile?.name, "gpu");
  assert.throws(() => resolveProfile(config, "huge"), /There is no profile "huge"/);
  // the default is restricted: the user gets the first profile they may use
  const restrictedDefault = kubernetesSpawnerConfigSchema.parse({
    profiles: [
      { name: "open", displayName: "Open" },
      { name: "staff", displayName: "Staff", default: true, groups: ["staff"] },
    ],
  });
  assert.equal(resolveProfile(restrictedDefault, "", { groups: [], isAdmin: false }).profile?.name, "open");
  const allRestricted = kubernetesSpawnerConfigSchema.parse({ profiles: [{ name: "staff", displayName: "Staff", groups: ["staff"] }] });
  assert.throws(() => resolveProfile(allRestricted, undefined, { groups: [], isAdmin: false }), /No server profile is available/);
});

test("without profiles the config applies as is and a profile name is refused", () => {
  const plain = kubernetesSpawnerConfigSchema.parse({});
  assert.equal(resolveProfile(plain, undefined).settings, plain);
  assert.equal(resolveProfile(plain, undefined).profile, null);
  assert.throws(() => resolveProfile(plain, "gpu"), ProfileError);
});
