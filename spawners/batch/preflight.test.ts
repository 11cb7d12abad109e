import assert from "node:assert/strict";
import { test } from "node:test";
import { batchSpawnerConfigSchema, listClusters } from "./config";
import { findUnreachableCallbacks, isLoopbackUrl } from "./preflight";

const clusters = listClusters(
  batchSpawnerConfigSchema.parse({
    scheduler: "slurm",
    clusters: {
      gpu: { scheduler: "sge", submitPrefix: ["ssh", "{osUser}@gpu-login", "--"] },
      lab: { scheduler: "sge", callbackUrl: "http://hub.cluster:8081" },
    },
  }),
);

test("loopback URLs", () => {
  for (const u of ["http://127.0.0.1:8081/x", "http://localhost:8081", "http://[::1]:8081", "http://127.0.1.1:80"]) assert.equal(isLoopbackUrl(u), true, u);
  for (const u of ["http://10.0.0.1:8081", "http://hub.cluster:8081", "not a url"]) assert.equal(isLoopbackUrl(u), false, u);
});

test("warn for clusters whose execution hosts are other hosts, or behind ssh with unknown hosts; not for a single-host cluster", () => {
  const w = findUnreachableCallbacks({
    clusters,
    hubCallbackUrl: "http://127.0.0.1:8081/hub/api/batch/callback",
    execHosts: new Map([
      ["default", ["vm", "node1.cluster", "node2"]],
      ["gpu", null],
      ["lab", ["node9"]],
    ]),
    thisHost: ["vm.example.org", "vm", "localhost"],
  });
  assert.deepEqual(
    w.map((x) => [x.cluster, x.hosts]),
    [
      ["default", ["node1.cluster", "node2"]],
      ["gpu", []],
    ],
  );
  assert.equal(
    w[0].message,
    'Jobs of cluster "default" run on node1.cluster, node2, but would call the hub back at http://127.0.0.1:8081/hub/api/batch/callback, a loopback address those hosts cannot reach: set hub.callbackUrl to a URL the compute nodes reach (docs/hpc.md, "Network").',
  );
  assert.match(w[1].message, /behind an ssh prefix.*spawner\.batch\.clusters\.gpu\.callbackUrl/);
  const single = findUnreachableCallbacks({
    clusters: clusters.slice(0, 1),
    hubCallbackUrl: "http://127.0.0.1:8081/hub/api/batch/callback",
    execHosts: new Map([["default", ["vm"]]]),
    thisHost: ["vm"],
  });
  assert.deepEqual(single, []);
});
