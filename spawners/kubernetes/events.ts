// What Kubernetes says about a user pod, in words a user understands (pure).
//
// Two inputs: events about the pod (Scheduled, Pulling, Started, FailedScheduling …), which the
// spawner's shared event watch turns into spawn progress, and the pod's status (phase,
// conditions, containerStatuses), which the shared pod watch caches and poll() reads.
import type { CoreV1Event, V1ContainerStatus, V1Pod } from "@kubernetes/client-node";
import type { ProgressEvent, SpawnExit } from "../types";
import { parseByteQuantity } from "./config";
import { CONTAINER_NAME } from "./manifests";

/** The parts of an event this file reads (a CoreV1Event, or a literal in tests). */
export type PodEvent = Pick<CoreV1Event, "reason" | "message" | "type">;

/** Where each normal event puts the progress bar; the pod's creation is PROGRESS_POD_CREATED. */
export const PROGRESS_POD_CREATED = 10;

interface EventRule {
  /** progress after this event; null keeps the previous value (waiting, warnings) */
  progress: number | null;
  describe(message: string): string;
}

const EVENT_RULES: Record<string, EventRule> = {
  TriggeredScaleUp: { progress: 20, describe: () => "A new node is being added to the cluster for your server; this can take a few minutes." },
  NotTriggerScaleUp: { progress: null, describe: (m) => `No node can be added that fits your server: ${m}` },
  FailedScheduling: { progress: null, describe: (m) => `Waiting for a node with room for your server: ${m}` },
  Scheduled: { progress: 30, describe: () => "Your server has a node." },
  SuccessfulAttachVolume: { progress: 40, describe: () => "Your home volume is attached." },
  FailedAttachVolume: { progress: null, describe: (m) => `Waiting for your home volume: ${m}` },
  FailedMount: { progress: null, describe: (m) => `Waiting for your home volume: ${m}` },
  Pulling: { progress: 50, describe: (m) => `${m} (the first start on a node can take a few minutes).` },
  Pulled: { progress: 70, describe: (m) => `${m}.` },
  Created: { progress: 80, describe: () => "Server container created." },
  Started: { progress: 90, describe: () => "Server started; waiting for it to answer." },
  Failed: { progress: null, describe: (m) => `Problem: ${m}` },
  ErrImagePull: { progress: null, describe: (m) => `Could not pull the server image: ${m}` },
  BackOff: { progress: null, describe: (m) => `${m}; retrying.` },
  Killing: { progress: null, describe: () => "Stopping the server container." },
  Preempted: { progress: null, describe: (m) => `Your server was preempted by a higher-priority workload: ${m}` },
  Evicted: { progress: null, describe: (m) => `Your server was evicted: ${m}` },
};

/**
 * The spawn-progress event for a pod event, or null for events users need not see. Progress
 * never goes backwards: events arrive out of order, and warnings keep `previousProgress`.
 * Unknown warnings are shown as "<reason>: <message>"; unknown normal events are skipped.
 */
export function buildProgressEvent(opts: { event: PodEvent; previousProgress: number }): ProgressEvent | null {
  const reason = opts.event.reason ?? "";
  const message = (opts.event.message ?? "").trim().replace(/\.$/, "");
  const rule = EVENT_RULES[reason];
  if (!rule) {
    if (opts.event.type !== "Warning") return null;
    return { progress: opts.previousProgress, message: `${reason}: ${message}` };
  }
  return {
    progress: rule.progress === null ? opts.previousProgress : Math.max(rule.progress, opts.previousProgress),
    message: rule.describe(message),
  };
}

/** What the pod's status means for its server. */
export type PodState =
  /** still on its way: being scheduled, pulling, starting, or not ready yet */
  | { state: "starting"; message: string | null }
  /** the server container is ready and the pod has an IP */
  | { state: "ready"; podIp: string }
  /** the server is gone or will never start; `exit` says why */
  | { state: "gone"; exit: SpawnExit };

/**
 * Waiting reasons after which a pod will not start without someone changing something. ErrImagePull
 * is not here: the kubelet retries it once before it becomes ImagePullBackOff, and registry
 * blips recover.
 */
const FATAL_WAITING_REASONS: Record<string, string> = {
  ImagePullBackOff: "The server image could not be pulled",
  InvalidImageName: "The server image name is invalid",
  ErrImageNeverPull: "The server image is not on the node and the pull policy is Never",
  CreateContainerConfigError: "The server container's configuration is invalid",
};

function formatBytes(bytes: number): string {
  const gib = bytes / 2 ** 30;
  if (gib >= 1) return `${Number.isInteger(gib) ? gib : gib.toFixed(1)} GiB`;
  return `${Math.round(bytes / 2 ** 20)} MiB`;
}

function memoryLimitOf(pod: V1Pod): string | null {
  const raw = pod.spec?.containers.find((c) => c.name === CONTAINER_NAME)?.resources?.limits?.memory;
  if (raw === undefined) return null;
  try {
    return formatBytes(parseByteQuantity(raw));
  } catch {
    return raw;
  }
}

function describeTermination(pod: V1Pod, status: V1ContainerStatus): SpawnExit {
  const t = status.state!.terminated!;
  if (t.reason === "OOMKilled") {
    const limit = memoryLimitOf(pod);
    return {
      exitCode: t.exitCode,
      reason: `Your server ran out of memory${limit ? ` (its limit is ${limit})` : ""} and was stopped. Start it with a larger profile or use less memory.`,
    };
  }
  if (t.exitCode === 0) return { exitCode: 0, reason: "The server exited." };
  const detail = t.message ? `: ${t.message.trim()}` : t.reason && t.reason !== "Error" ? ` (${t.reason})` : "";
  return { exitCode: t.exitCode, reason: `The server exited with status ${t.exitCode}${detail}.` };
}

/**
 * Reads a pod (from the spawner's watch cache; null when it is not there) into a PodState with a
 * user-facing reason when the server is gone: deleted, evicted, out of memory, exited, or an
 * image that cannot be pulled.
 */
export function describePodState(pod: V1Pod | null): PodState {
  if (!pod) return { state: "gone", exit: { exitCode: null, reason: "The server's pod no longer exists (it was deleted outside Gyre)." } };
  if (pod.metadata?.deletionTimestamp) return { state: "gone", exit: { exitCode: null, reason: "The server's pod is being deleted." } };
  const status = pod.status ?? {};
  const server = status.containerStatuses?.find((c) => c.name === CONTAINER_NAME);
  if (status.phase === "Failed" && status.reason === "Evicted") {
    return { state: "gone", exit: { exitCode: null, reason: `The node ran short of resources and evicted your server: ${(status.message ?? "").trim()}` } };
  }
  if (server?.state?.terminated) return { state: "gone", exit: describeTermination(pod, server) };
  if (status.phase === "Succeeded") return { state: "gone", exit: { exitCode: 0, reason: "The server exited." } };
  if (status.phase === "Failed") {
    const why = [status.reason, status.message].filter(Boolean).join(": ");
    return { state: "gone", exit: { exitCode: null, reason: `The server's pod failed${why ? ` (${why})` : ""}.` } };
  }
  const waiting = server?.state?.waiting;
  if (waiting?.reason && waiting.reason in FATAL_WAITING_REASONS) {
    const detail = waiting.message ? `: ${waiting.message.trim()}` : "";
    return { state: "gone", exit: { exitCode: null, reason: `${FATAL_WAITING_REASONS[waiting.reason]} (${waiting.reason})${detail}` } };
  }
  if (status.phase === "Running" && server?.ready && status.podIP) return { state: "ready", podIp: status.podIP };
  const unschedulable = status.conditions?.find((c) => c.type === "PodScheduled" && c.status === "False" && c.reason === "Unschedulable");
  if (unschedulable) return { state: "starting", message: `Waiting for a node with room for your server: ${unschedulable.message ?? ""}`.trim() };
  if (waiting?.reason) return { state: "starting", message: `${waiting.reason}${waiting.message ? `: ${waiting.message}` : ""}` };
  if (status.phase === "Unknown") return { state: "starting", message: "The node of your server is not reporting." };
  return { state: "starting", message: null };
}

/** poll()'s answer for a pod: null while it runs or starts, a SpawnExit once it is gone. */
export function pollResultFromPod(pod: V1Pod | null): SpawnExit | null {
  const s = describePodState(pod);
  return s.state === "gone" ? s.exit : null;
}
