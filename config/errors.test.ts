import assert from "node:assert/strict";
import { test } from "node:test";
import { parseConfig } from "./load";

/** The option lines of the ConfigError for `data` (the header and footer left out). */
function problems(data: unknown, env: Record<string, string> = {}): string[] {
  try {
    parseConfig(data, env, "/etc/gyre.yaml");
  } catch (e) {
    return (e as Error).message
      .split("\n")
      .filter((l) => l.startsWith("  - "))
      .map((l) => l.slice(4));
  }
  return [];
}

test("config errors speak the admin's terms: what the option must be, what it got", () => {
  assert.deepEqual(problems({ hub: { port: "80a" }, spawner: { batch: { scheduler: "condor", pollIntervalSeconds: -1 } } }), [
    'hub.port: must be a number (got "80a")',
    'spawner.batch.scheduler: must be one of "sge", "slurm", "pbs", "lsf" (got "condor")',
    "spawner.batch.pollIntervalSeconds: must be at least 0 (got -1)",
  ]);
  assert.deepEqual(problems({ spawner: { batch: { profiles: [] } } }), ["spawner.batch.profiles: needs at least 1 entry (got a list)"]);
  assert.deepEqual(problems({ hub: { callbackUrl: "login1 port 8081" } }), [
    'hub.callbackUrl: must be a URL such as http://host:8081 (got "login1 port 8081")',
  ]);
});

test("a list item is named by its index and its name; unknown keys get the likely meant option", () => {
  const profiles = [
    { name: "small", display: "S" },
    { name: "gpu", display: "G", memory: "4G", walltime: 3600, bounds: { queues: ["gpu"] } },
  ];
  assert.deepEqual(problems({ spawner: { batch: { profiles } } }), [
    'spawner.batch.profiles[1] (gpu).bounds.queues: "queues" is not an option of a profile\'s bounds; it is spawner.batch.bounds.queues',
    'spawner.batch.profiles[1] (gpu).memory: "memory" is not an option of a profile; did you mean memoryBytes?',
    'spawner.batch.profiles[1] (gpu).walltime: "walltime" is not an option of a profile; did you mean walltimeSeconds?',
  ]);
  assert.deepEqual(problems({ spawner: { batch: { profiles: [{ name: "a", display: "A", parallelEnv: "smp" }] } } }), [
    'spawner.batch.profiles[0] (a).parallelEnv: "parallelEnv" is not an option of a profile; did you mean parallelEnvironment?',
  ]);
  assert.deepEqual(problems({ spawner: { batch: { minCores: 2 } } }).length, 1);
  assert.match(
    problems({ spawner: { batch: { clusters: { gpu: { scheduler: "sge", queue: "gpu" } } } } })[0],
    /^spawner\.batch\.clusters\.gpu\.queue: "queue" is not an option of spawner\.batch\.clusters\.gpu; it is /,
  );
});

test("batch checks across options name the option: an unknown cluster, a duplicate profile name", () => {
  assert.deepEqual(problems({ spawner: { batch: { profiles: [{ name: "a", display: "A", cluster: "gpu" }] } } }), [
    'spawner.batch.profiles[0] (a).cluster: no cluster "gpu" in spawner.batch.clusters (known: default)',
  ]);
  assert.deepEqual(
    problems({
      spawner: {
        batch: {
          profiles: [
            { name: "a", display: "A" },
            { name: "a", display: "B" },
          ],
        },
      },
    }),
    ['spawner.batch.profiles[1] (a).name: profile name "a" is used twice'],
  );
});

test("values of secret options are never echoed", () => {
  const [line] = problems({ hub: { secretKey: "hunter2-short" } });
  assert.equal(line, "hub.secretKey: must be at least 32 characters long");
  assert.doesNotMatch(problems({}, { GYRE_PROXY__AUTH_TOKEN: "short" }).join("\n"), /short"/);
});
