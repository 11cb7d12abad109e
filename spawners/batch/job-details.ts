// The batch spawner's stored state (what Server.spawnerState holds for a job) and what users and
// admins are shown of it: job id, scheduler state and reason, estimated start, node, time left.
// Pure: the hub's pages call describeBatchState() through the kind's catalog entry.
import type { JsonObject, ServerDetails } from "../types";
import { DIALECTS } from "./dialects/index";
import type { JobState } from "./types";

/** Server.spawnerState of a batch server (getState/loadState); times are epoch ms. */
export interface BatchJobState {
  /** cluster name ("default": the section-level keys) */
  cluster: string;
  scheduler: string;
  /** the prefixes the job was submitted with: used when the config no longer has its cluster */
  submitPrefix?: string[];
  queryPrefix?: string[];
  /** "" until the scheduler accepted the job */
  jobId: string;
  profile?: string;
  /** queue or partition the job was submitted to (the profile's or the user's choice) */
  queue?: string;
  host?: string;
  port?: number;
  logPath?: string;
  secretFile?: string;
  /** a launch: the agent's spec and result files (next to the secret file) */
  launchFiles?: string[];
  walltimeSeconds?: number;
  submittedAt?: number;
  /** when the hub first saw it running */
  runningAt?: number;
  /** when the scheduler says it started, and will end it */
  startedAt?: number;
  endsAt?: number;
  /** while queued: the scheduler's state code, its reason, its start estimate (ms) */
  pending?: { code: string; reason: string; estimatedStart?: number };
  /** when walltime warnings start (spawner.batch.walltimeWarningSeconds) */
  warnSeconds?: number;
  /** "hub": the job runs jupyterhub-singleuser, which logs its users in through the hub (spawner.batch.command) */
  serverAuth?: "hub";
}

/** What a pending poll result contributes to the stored state. */
export function pendingReasonFor(st: Extract<JobState, { kind: "pending" }>): NonNullable<BatchJobState["pending"]> {
  return { code: st.code, reason: st.reason, ...(st.estimatedStart ? { estimatedStart: st.estimatedStart.getTime() } : {}) };
}

const iso = (ms: number | undefined) => (typeof ms === "number" && Number.isFinite(ms) ? new Date(ms).toISOString() : undefined);

/**
 * Where the job runs (scheduler, job id, queue, node) and the job as users see it, from the stored
 * state (no job before a job id exists). The end of the walltime is the scheduler's own (Slurm's
 * EndTime), else its start (or the hub's first sight of the job running) plus the walltime.
 */
export function describeBatchState(raw: JsonObject, serverState: string): ServerDetails {
  const s = raw as Partial<BatchJobState>;
  const str = (v: unknown) => (typeof v === "string" && v ? v : undefined);
  const where = { scheduler: str(s.scheduler), jobId: str(s.jobId), queue: str(s.queue), host: str(s.host) };
  if (typeof s.jobId !== "string" || !s.jobId) return where;
  const scheduler =
    typeof s.scheduler === "string" && Object.hasOwn(DIALECTS, s.scheduler)
      ? DIALECTS[s.scheduler as keyof typeof DIALECTS].displayName
      : String(s.scheduler ?? "");
  const queued = serverState !== "running" && !s.runningAt;
  const started = s.startedAt ?? s.runningAt;
  const endsAt = s.endsAt ?? (started !== undefined && s.walltimeSeconds ? started + s.walltimeSeconds * 1000 : undefined);
  return {
    ...where,
    job: {
      jobId: s.jobId,
      scheduler,
      cluster: typeof s.cluster === "string" ? s.cluster : "default",
      phase: queued ? "queued" : "running",
      state: queued ? (s.pending?.code ?? "") : "",
      reason: queued ? s.pending?.reason || undefined : undefined,
      estimatedStart: queued ? iso(s.pending?.estimatedStart) : undefined,
      node: queued ? undefined : s.host,
      startedAt: queued ? undefined : iso(started),
      endsAt: queued ? undefined : iso(endsAt),
      walltimeSeconds: s.walltimeSeconds,
      warnSeconds: s.warnSeconds,
      queueWaitSeconds: typeof s.submittedAt === "number" && typeof s.runningAt === "number" ? Math.max(0, (s.runningAt - s.submittedAt) / 1000) : undefined,
    },
  };
}
