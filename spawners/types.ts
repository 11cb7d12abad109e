// The spawner contract. One instance per (user, server); the hub creates it through the kind's
// catalog entry (spawners/kind.ts, spawners/catalog.ts) and never hands it the database.
//
// Lifecycle, driven by the hub's spawn worker:
//   start()  → resolves with where the server listens (the hub then checks readiness with the
//              token and adds the proxy route). Throws SpawnError with a user-facing reason.
//   poll()   → null while running (or still starting), a SpawnExit once it is gone.
//   stop()   → resolves when the server is gone (idempotent; fine to call on a dead server).
//   getState()/loadState() → an opaque JSON blob the hub stores after start() and after each
//              progress event, so a restarted hub can poll/stop servers it started before. The
//              hub tags it with the kind's format version (spawners/state.ts); loadState() always
//              gets the current format.
//   progress() → {progress, message} events while starting; ends when start() (or resume()) settles.
//   resume() → optional: a restarted hub continues a start() an earlier hub process began, from
//              the loaded state (the queued job keeps its id and its place in the queue).
//
// Invariants: nothing runs as the hub's user when the hub is root; commands are argument
// arrays (execa/spawn), never shell strings built from user input; the server token reaches
// the server through the environment or a file, never argv, and is never logged.

import type { GitPullSpec, PrepareSpec } from "./agent/agent-spec";

export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };
export type JsonObject = { [k: string]: JsonValue };

export interface SpawnUser {
  /** normalised hub user name (matches USERNAME_PATTERN in app/_lib/users/names.ts) */
  name: string;
  /**
   * OS account to run as, resolved by the hub (hub.osUserTemplate / hub.osUserMapFile, or the
   * account stored for the user) before the spawner is made. Spawners check it before they use it.
   */
  osUser: string;
  admin: boolean;
  /** hub groups (e.g. GitHub teams), for profile restrictions */
  groups: string[];
}

export interface SpawnContext {
  user: SpawnUser;
  /** "" for the default server */
  serverName: string;
  /** public path prefix of the server, e.g. "/user/alice/" or "/user/alice/gpu/" */
  baseUrl: string;
  /** random id of this spawn; also the seed of the token */
  spawnId: string;
  /** the server's token (JUPYTER_TOKEN). Never put it in argv or logs. */
  token: string;
  /**
   * The server's hub API token (JUPYTERHUB_API_TOKEN, also JPY_API_TOKEN): limited to this server
   * and its user's activity, revoked when the server stops. A secret like `token`: never in argv,
   * logs, a scheduler-visible environment or a pod spec in clear.
   */
  apiToken: string;
  /** where the server (or its job) can reach the hub, e.g. http://127.0.0.1:8081 */
  hubUrl: string;
  /** options the user chose on the spawn form, already validated by the spawner's optionsSchema */
  options: JsonObject;
  /** extra environment for the server, already computed by the hub (Dask dashboard link, ...) */
  env: Record<string, string>;
  /**
   * Set when the server serves a launch link (/v2/...): before Jupyter starts, the spawner runs the
   * agent's `prepare` with `launch.spec` as the user, where the server will run, reports its phase
   * lines as progress (spawners/agent/agent-progress.ts), fails the spawn with the agent's reason,
   * and starts the server in the prepared folder with the prepared environment first on its
   * JUPYTER_PATH. Built by the hub from its own records, never from what a user sent.
   */
  launch?: SpawnLaunch;
  /** structured logger (pino-compatible subset); never log ctx.token */
  log: SpawnLogger;
}

/** What a launch asks of the spawner (SpawnContext.launch). */
export interface SpawnLaunch {
  /**
   * The agent's spec for `python3 -m gyre_agent prepare --spec-file F`; `environment.platform` is
   * the hub's guess and the spawner sets its own (withPlatform in spawners/agent/agent-spec.ts).
   */
  spec: PrepareSpec;
  /** Upper bound of the agent's own limits (fetch + waiting for a build lock + build), seconds. */
  prepareTimeoutSeconds: number;
}

export interface SpawnLogger {
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  debug(obj: object | string, msg?: string): void;
}

export interface SpawnStarted {
  /** origin the server listens on, no path: "http://127.0.0.1:51234" */
  url: string;
  /**
   * true: the spawner's own wait ended with the hub's readiness check itself (GET <base>api/status
   * with the probe token answered 200), so the hub does not send it again; absent: the hub checks
   */
  ready?: true;
}

export interface SpawnExit {
  /** process exit status / job exit code when known */
  exitCode?: number | null;
  /** user-facing explanation ("your job reached its 2 h walltime") */
  reason: string;
}

/** The steps of a launch a spawner reports (the hub adds "resolving" before and "ready" after). */
export type LaunchStep = "fetching" | "building" | "waiting" | "starting";
/**
 * A batch job as users and admins see it (home page, admin page, spawn page): the scheduler's
 * view. Times are ISO strings; a page computes "time left" from endsAt with its own clock.
 */
export interface JobDetails {
  jobId: string;
  /** "Slurm", "Grid Engine" */
  scheduler: string;
  /** the cluster's name in spawner.batch ("default" for the section-level one) */
  cluster: string;
  phase: "queued" | "running";
  /** the scheduler's state code while queued ("PENDING", "qw", "hqw") */
  state: string;
  /** why it waits, in the scheduler's words */
  reason?: string;
  estimatedStart?: string;
  node?: string;
  startedAt?: string;
  /** when the walltime ends (the scheduler kills the job, and the server, then) */
  endsAt?: string;
  walltimeSeconds?: number;
  /** how long the job waited in the queue, submission to running as the hub saw it (once it runs) */
  queueWaitSeconds?: number;
  /** pages warn when less than this is left */
  warnSeconds?: number;
}

/**
 * What users and admins see of a server beyond its state: where it runs and, for a batch job, the
 * job as the scheduler reports it. Read from the stored state by the kind's catalog entry
 * (SpawnerKind.describeState), so pages and the REST API show it without asking the spawner. Each
 * field only when the kind knows it.
 */
export interface ServerDetails {
  /** the machine the server runs on: the hub host (local), the compute node (batch) */
  host?: string;
  /** local: the server's process id */
  pid?: number;
  /** batch: the scheduler ("slurm", "sge"), the job id and the queue or partition */
  scheduler?: string;
  jobId?: string;
  queue?: string;
  /** kubernetes: the pod and its namespace */
  pod?: string;
  namespace?: string;
  /** batch: the job's state, the scheduler's reason, estimated start, node and time left */
  job?: JobDetails;
}

export interface ProgressEvent {
  /** 0–100 */
  progress: number;
  message: string;
  /** launches: the step this event belongs to (the launch page groups events by it); optional */
  phase?: LaunchStep;
  /** on the event that ends the environment step: true when nothing had to be built */
  cached?: boolean;
}

/**
 * What a server used so far (Spawner.usage), from the best source the kind has. The hub stores it
 * as the server's usage record; CPU and memory are cumulative/peak figures, so a later sample
 * replaces an earlier one.
 */
export interface UsageSample {
  /** CPU seconds used by the server and everything it started */
  cpuSeconds?: number;
  /** the largest memory footprint seen, bytes */
  peakMemoryBytes?: number;
  /** batch: seconds from submission until the job ran */
  queueWaitSeconds?: number;
  /**
   * where the figures come from: "proc" (the process tree in /proc), "sacct" / "qacct" (the
   * scheduler's accounting), "requests" (resource requests × run time: an upper bound)
   */
  source: string;
  /** nothing will change the figures any more (the job's accounting record is complete) */
  final: boolean;
}

export interface Spawner {
  start(): Promise<SpawnStarted>;
  /**
   * `fresh`: someone waits for the answer (the proxy found the server not answering), so a kind
   * that answers from a shared, periodically refreshed view (the batch spawner's scheduler
   * queries) asks now instead.
   */
  poll(opts?: { fresh?: boolean }): Promise<SpawnExit | null>;
  /**
   * Ends the server and removes what it leaves behind (processes, runtime files, Kubernetes
   * objects). Idempotent. `ended`: poll() has said the server ended on its own (it crashed, was
   * killed, ran out of walltime): the hub calls stop() to clear what it left (kernels it
   * started, its secrets), and what tells why it ended, its log, must stay.
   */
  stop(opts?: { ended?: boolean }): Promise<void>;
  getState(): JsonObject;
  loadState(state: JsonObject): void;
  progress(): AsyncIterable<ProgressEvent>;
  /** last lines of the server's log, for the error page of a failed spawn ("" if none) */
  logTail(lines?: number): Promise<string>;
  /**
   * How long the hub may wait for start() to resolve. Omitted: the hub's `hub.startTimeoutSeconds`.
   * A number: that many seconds instead. null: the spawner enforces its own limits (a batch job may
   * wait in a queue for hours; killing it after the hub's two minutes is https://github.com/jupyterhub/batchspawner/issues/88), and the
   * hub only limits the readiness check that follows, to `hub.startTimeoutSeconds`.
   */
  startTimeoutSeconds?(): number | null;
  /**
   * What the server has used so far, or null when the kind cannot tell now. Called by the hub every
   * usage.sampleSeconds while the server runs, once just before stop() (the process tree is still
   * there; not for a kind with usageAtStop), and after the server ended while a sample is not final (a batch job's accounting
   * record is written when the job has ended). Must not throw for a server that is gone.
   */
  usage?(): Promise<UsageSample | null>;
  /**
   * The sample the last stop() took of the server as it stopped it, for a kind whose stop reads
   * what a sample needs anyway (the local kind: the process tree it freezes to find the kernels);
   * null when that stop found nothing running. The hub then takes the last sample from here after
   * stop() instead of asking usage() just before it. Absent: usage() before stop().
   */
  usageAtStop?(): UsageSample | null;
  /**
   * The hub is done with this instance without stopping its server: it only asked usage() of a
   * server that has ended. Drop what the instance registered process-wide (a batch job tracked by
   * the shared poller).
   */
  detach?(): void;
  /**
   * Continue a start() that an earlier hub process began and did not see end (the hub restarted),
   * from the state loadState() was given: wait for the same process or job where start() would
   * have, and settle as start() would (SpawnStarted, or SpawnError with the reason). null when the
   * stored state holds nothing under way to continue (the hub then stops and starts over). Called
   * only on a server whose poll() says it has not ended. Omitted: the hub always starts over.
   */
  resume?(): Promise<SpawnStarted> | null;
}

/** A failure whose message is safe and useful to show the user. */
export class SpawnError extends Error {
  constructor(
    message: string,
    readonly logTail?: string,
  ) {
    super(message);
    this.name = "SpawnError";
  }
}

/** How an agent command run for a user outside a server start ended (git-pull links). */
export type AgentCommandResult =
  { ok: true; message: string; dir: string; commit: string; branch: string } | { ok: false; message: string; reason: string; logTail?: string };

/**
 * Runs the agent's commands as a user where the user's files are, without a server start: what a
 * git-pull link needs. Optional per spawner kind (SpawnerKindRuntime.agentCommands); a kind
 * without it cannot serve git-pull links.
 */
export interface AgentCommandRunner {
  /** nbgitpuller's clone-or-merge into `spec.targetDir`, as `user.osUser`. Throws SpawnError for setup problems. */
  gitPull(opts: { user: SpawnUser; spec: GitPullSpec; log: SpawnLogger }): Promise<AgentCommandResult>;
}
// -- Spawn form ------------------------------------------------------------------------------
// A spawner that lets users choose (profiles, resources within admin bounds) describes its form as
// plain data; the hub's /hub/spawn page renders it and the REST API validates a start request with
// the same spawner before anything is written. Both functions are pure (no I/O): they sit in the
// kind's catalog entry (SpawnerKind.options), which never loads a spawner's clients.

/** Who is filling in the form (restricts profiles and bounds). */
export type SpawnFormUser = Pick<SpawnUser, "name" | "admin" | "groups">;

/** One admin-defined choice, e.g. "1 core, 2 h, debug queue". */
export interface SpawnProfileChoice {
  /** value sent as options.profile */
  name: string;
  /** what users see */
  display: string;
  /** one line of detail under the display text ("" if none) */
  description: string;
}

/** A field the user may change within bounds; absent from the request = the profile's value. */
export type SpawnFormField =
  | { kind: "choice"; name: string; label: string; choices: string[]; help?: string }
  | {
      kind: "integer";
      name: string;
      label: string;
      min: number;
      max: number;
      step?: number;
      unit?: string;
      help?: string;
      /** ranges that differ by profile (null: fixed for that profile, the field is hidden); absent: min/max for all */
      byProfile?: Record<string, { min: number; max: number } | null>;
    };

/** Serialisable description of a spawner's form; `null` from describeOptions means "no form". */
export interface SpawnOptionsForm {
  profiles: SpawnProfileChoice[];
  /** value of the preselected profile */
  defaultProfile: string;
  fields: SpawnFormField[];
}

/** A profile and who may use it, for the admin's pages (which groups unlock which profiles). */
export interface SpawnProfileAccess {
  name: string;
  display: string;
  /** hub groups allowed to use it; empty: everyone */
  groups: string[];
}

export interface SpawnOptionsProvider<Config = unknown> {
  /** Every profile of the configuration with the groups it is limited to (admins may use all). */
  listProfiles?(config: Config): SpawnProfileAccess[];
  /** The form for `user`, or null when this spawner (so configured) offers no choices. */
  describeOptions?(config: Config, user: SpawnFormUser): SpawnOptionsForm | null;
  /**
   * Validate what a user sent (JSON body of a start request) and return the options to store in
   * Server.options. Throws SpawnOptionsError naming the offending field.
   */
  validateOptions?(config: Config, user: SpawnFormUser, raw: unknown): JsonObject;
  /** Every profile name the admin defined, whoever may use it (checking `launch.profile` at hub start). */
  profileNames?(config: Config): string[];
}

const SPAWN_OPTIONS_ERROR = Symbol.for("gyre.SpawnOptionsError");

/** Bad spawn options; the message names the field and is safe to show (the API answers 400). */
export class SpawnOptionsError extends Error {
  readonly [SPAWN_OPTIONS_ERROR] = true;

  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = "SpawnOptionsError";
  }

  /**
   * `instanceof` that holds across copies of this module: the Next bundle has its own copy, and
   * the spawn forms it calls come from the hub's catalog (HubRuntime.catalog), whose errors are
   * instances of the hub's copy.
   */
  static [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[SPAWN_OPTIONS_ERROR] === true;
  }
}
