import { test } from "node:test";
import assert from "node:assert/strict";
import type { V1Pod } from "@kubernetes/client-node";
import { buildProgressEvent, describePodState, pollResultFromPod, type PodEvent } from "./events";

test("a normal start: events become a rising progress bar with readable messages", () => {
  const events: PodEvent[] = [
    { type: "Normal", reason: "Scheduled", message: "Successfully assigned pangeo/jupyter-alice to gke-user-pool-1-abcd" },
    { type: "Normal", reason: "SuccessfulAttachVolume", message: 'AttachVolume.Attach succeeded for volume "pvc-1234"' },
    { type: "Normal", reason: "Pulling", message: 'Pulling image "quay.io/jupyter/base-notebook:2025-01-01"' },
    { type: "Normal", reason: "Pulled", message: 'Successfully pulled image "quay.io/jupyter/base-notebook:2025-01-01" in 12.3s (12.3s including waiting)' },
    { type: "Normal", reason: "Created", message: "Created container notebook" },
    { type: "Normal", reason: "Started", message: "Started container notebook" },
  ];
  let progress = 10;
  const out = events.map((event) => {
    const p = buildProgressEvent({ event, previousProgress: progress })!;
    progress = p.progress;
    return p;
  });
  assert.deepEqual(out, [
    { progress: 30, message: "Your server has a node." },
    { progress: 40, message: "Your home volume is attached." },
    { progress: 50, message: 'Pulling image "quay.io/jupyter/base-notebook:2025-01-01" (the first start on a node can take a few minutes).' },
    { progress: 70, message: 'Successfully pulled image "quay.io/jupyter/base-notebook:2025-01-01" in 12.3s (12.3s including waiting).' },
    { progress: 80, message: "Server container created." },
    { progress: 90, message: "Server started; waiting for it to answer." },
  ]);
});

test("waiting and failure events keep the progress and say what is wrong", () => {
  const cases: Array<[PodEvent, number, { progress: number; message: string } | null]> = [
    [
      { type: "Warning", reason: "FailedScheduling", message: "0/3 nodes are available: 3 Insufficient nvidia.com/gpu." },
      10,
      { progress: 10, message: "Waiting for a node with room for your server: 0/3 nodes are available: 3 Insufficient nvidia.com/gpu" },
    ],
    [
      { type: "Normal", reason: "TriggeredScaleUp", message: "pod triggered scale-up: [{gpu-pool 0->1 (max: 4)}]" },
      10,
      { progress: 20, message: "A new node is being added to the cluster for your server; this can take a few minutes." },
    ],
    [
      { type: "Warning", reason: "Failed", message: 'Failed to pull image "quay.io/jupyter/nope:1": rpc error: code = NotFound desc = not found' },
      50,
      { progress: 50, message: 'Problem: Failed to pull image "quay.io/jupyter/nope:1": rpc error: code = NotFound desc = not found' },
    ],
    [{ type: "Warning", reason: "Failed", message: "Error: ErrImagePull" }, 50, { progress: 50, message: "Problem: Error: ErrImagePull" }],
    [
      { type: "Warning", reason: "ErrImagePull", message: "manifest unknown" },
      50,
      { progress: 50, message: "Could not pull the server image: manifest unknown" },
    ],
    [
      { type: "Normal", reason: "BackOff", message: 'Back-off pulling image "quay.io/jupyter/nope:1"' },
      50,
      { progress: 50, message: 'Back-off pulling image "quay.io/jupyter/nope:1"; retrying.' },
    ],
    [
      { type: "Warning", reason: "FailedMount", message: 'MountVolume.SetUp failed for volume "pvc-1" : timeout' },
      30,
      { progress: 30, message: 'Waiting for your home volume: MountVolume.SetUp failed for volume "pvc-1" : timeout' },
    ],
    [
      { type: "Warning", reason: "Evicted", message: "The node was low on resource: memory." },
      90,
      { progress: 90, message: "Your server was evicted: The node was low on resource: memory" },
    ],
    [{ type: "Warning", reason: "SomethingNew", message: "details" }, 40, { progress: 40, message: "SomethingNew: details" }],
    [{ type: "Normal", reason: "SomethingNew", message: "details" }, 40, null],
    // late or repeated events never move the bar back
    [{ type: "Normal", reason: "Scheduled", message: "Successfully assigned x/y to z" }, 70, { progress: 70, message: "Your server has a node." }],
  ];
  for (const [event, previousProgress, want] of cases) assert.deepEqual(buildProgressEvent({ event, previousProgress }), want, event.reason);
});

function pod(status: V1Pod["status"], extra: Partial<V1Pod> = {}): V1Pod {
  return {
    metadata: { name: "jupyter-alice", namespace: "pangeo", ...extra.metadata },
    spec: { containers: [{ name: "notebook", image: "img", resources: { limits: { memory: "4294967296" } } }] },
    status,
  };
}

test("describePodState and pollResultFromPod: starting, ready and the ways a server goes", () => {
  const cases: Array<[string, V1Pod | null, ReturnType<typeof describePodState>]> = [
    ["freshly created", pod({ phase: "Pending" }), { state: "starting", message: null }],
    [
      "unschedulable",
      pod({
        phase: "Pending",
        conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: "0/3 nodes are available: 3 Insufficient memory." }],
      }),
      { state: "starting", message: "Waiting for a node with room for your server: 0/3 nodes are available: 3 Insufficient memory." },
    ],
    [
      "pulling",
      pod({
        phase: "Pending",
        containerStatuses: [
          { name: "notebook", image: "img", imageID: "", ready: false, restartCount: 0, state: { waiting: { reason: "ContainerCreating" } } },
        ],
      }),
      { state: "starting", message: "ContainerCreating" },
    ],
    [
      "first pull error is retried",
      pod({
        phase: "Pending",
        containerStatuses: [
          { name: "notebook", image: "img", imageID: "", ready: false, restartCount: 0, state: { waiting: { reason: "ErrImagePull", message: "not found" } } },
        ],
      }),
      { state: "starting", message: "ErrImagePull: not found" },
    ],
    [
      "image pull back-off is final",
      pod({
        phase: "Pending",
        containerStatuses: [
          {
            name: "notebook",
            image: "img",
            imageID: "",
            ready: false,
            restartCount: 0,
            state: { waiting: { reason: "ImagePullBackOff", message: 'Back-off pulling image "img"' } },
          },
        ],
      }),
      { state: "gone", exit: { exitCode: null, reason: 'The server image could not be pulled (ImagePullBackOff): Back-off pulling image "img"' } },
    ],
    [
      "running, not ready yet",
      pod({
        phase: "Running",
        podIP: "10.4.0.7",
        containerStatuses: [{ name: "notebook", image: "img", imageID: "", ready: false, restartCount: 0, state: { running: {} } }],
      }),
      { state: "starting", message: null },
    ],
    [
      "ready",
      pod({
        phase: "Running",
        podIP: "10.4.0.7",
        containerStatuses: [{ name: "notebook", image: "img", imageID: "", ready: true, restartCount: 0, state: { running: {} } }],
      }),
      { state: "ready", podIp: "10.4.0.7" },
    ],
    [
      "out of memory",
      pod({
        phase: "Failed",
        containerStatuses: [
          { name: "notebook", image: "img", imageID: "", ready: false, restartCount: 0, state: { terminated: { exitCode: 137, reason: "OOMKilled" } } },
        ],
      }),
      {
        state: "gone",
        exit: {
          exitCode: 137,
          reason: "Your server ran out of memory (its limit is 4 GiB) and was stopped. Start it with a larger profile or use less memory.",
        },
      },
    ],
    [
      "crashed, phase not updated yet",
      pod({
        phase: "Running",
        podIP: "10.4.0.7",
        containerStatuses: [
          { name: "notebook", image: "img", imageID: "", ready: false, restartCount: 0, state: { terminated: { exitCode: 1, reason: "Error" } } },
        ],
      }),
      { state: "gone", exit: { exitCode: 1, reason: "The server exited with status 1." } },
    ],
    [
      "exited cleanly (shut down from JupyterLab)",
      pod({
        phase: "Succeeded",
        containerStatuses: [
          { name: "notebook", image: "img", imageID: "", ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: "Completed" } } },
        ],
      }),
      { state: "gone", exit: { exitCode: 0, reason: "The server exited." } },
    ],
    [
      "evicted",
      pod({ phase: "Failed", reason: "Evicted", message: "The node was low on resource: ephemeral-storage. " }),
      {
        state: "gone",
        exit: { exitCode: null, reason: "The node ran short of resources and evicted your server: The node was low on resource: ephemeral-storage." },
      },
    ],
    [
      "node shut down",
      pod({ phase: "Failed", reason: "Terminated", message: "Pod was terminated in response to imminent node shutdown." }),
      { state: "gone", exit: { exitCode: null, reason: "The server's pod failed (Terminated: Pod was terminated in response to imminent node shutdown.)." } },
    ],
    [
      "being deleted",
      pod({ phase: "Running" }, { metadata: { deletionTimestamp: new Date(0) } }),
      { state: "gone", exit: { exitCode: null, reason: "The server's pod is being deleted." } },
    ],
    ["node not reporting", pod({ phase: "Unknown" }), { state: "starting", message: "The node of your server is not reporting." }],
    ["missing", null, { state: "gone", exit: { exitCode: null, reason: "The server's pod no longer exists (it was deleted outside Gyre)." } }],
  ];
  for (const [what, p, want] of cases) {
    assert.deepEqual(describePodState(p), want, what);
    assert.deepEqual(pollResultFromPod(p), want.state === "gone" ? want.exit : null, what);
  }
});
