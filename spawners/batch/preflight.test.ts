import assert from "node:assert/strict";
import { test } from "node:test";
import { batchSpawnerConfigSchema, listClusters } from "./config";
import { findLoopbackBind, findUnreachableCallbacks, isLoopbackUrl } from "./preflight";

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

test("a hub on loopback only: warn when a cluster's jobs on other hosts call back the hub's own port; not for a front end on another port or a single-host cluster", () => {
  const execHosts = new Map<string, string[] | null>([
    ["default", ["vm", "node1.cluster"]],
    ["gpu", null],
    ["lab", ["node9"]],
  ]);
  const base = { clusters, hubCallbackUrl: "http://hub.cluster:8081/hub/api/batch/callback", execHosts, thisHost: ["vm.example.org", "vm", "localhost"] };
  const w = findLoopbackBind({ ...base, hub: { bindHost: "127.0.0.1", port: 8081 } });
  assert.deepEqual(w?.clusters, ["default", "gpu", "lab"]);
  assert.equal(
    w?.message,
    'The hub listens on 127.0.0.1 only (hub.bindHost), but jobs of cluster "default" (on node1.cluster), "gpu" (behind an ssh prefix, on other hosts), "lab" (on node9) call it back from other hosts, which cannot connect: set hub.bindHost to 0.0.0.0 or an address the compute nodes reach, and open port 8081 to them (docs/hpc.md, "Network").',
  );
  for (const bindHost of ["::1", "localhost", "127.0.1.1"]) assert.ok(findLoopbackBind({ ...base, hub: { bindHost, port: 8081 } }), bindHost);
  for (const bindHost of ["0.0.0.0", "::", "10.1.2.3", "hub.cluster"])
    assert.equal(findLoopbackBind({ ...base, hub: { bindHost, port: 8081 } }), null, bindHost);
  // the hub on another port than the callbacks (a front end forwards them): only the lab cluster, whose URL is the hub's port
  assert.deepEqual(
    findLoopbackBind({ ...base, hubCallbackUrl: "https://hub.cluster/hub/api/batch/callback", hub: { bindHost: "127.0.0.1", port: 8081 } })?.clusters,
    ["lab"],
  );
  // a loopback callback URL from other hosts is a problem of the bind too
  assert.deepEqual(
    findLoopbackBind({ ...base, hubCallbackUrl: "http://127.0.0.1:9000/hub/api/batch/callback", hub: { bindHost: "127.0.0.1", port: 8081 } })?.clusters,
    ["default", "gpu", "lab"],
  );
  // every job on this host: loopback is right
  const single = listClusters(batchSpawnerConfigSchema.parse({ scheduler: "slurm" }));
  assert.equal(findLoopbackBind({ ...base, clusters: single, execHosts: new Map([["default", ["vm"]]]), hub: { bindHost: "127.0.0.1", port: 8081 } }), null);
  assert.equal(
    findLoopbackBind({ ...base, clusters: single, execHosts: new Map([["default", null]]), hub: { bindHost: "127.0.0.1", port: 8081 } }),
    null,
    "hosts unknown, no ssh: nothing to say",
  );
});
