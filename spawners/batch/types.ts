// Shared types of the batch spawner: what a scheduler dialect is (data + pure parsers), the job's
// common state, and the options a job script is rendered from. Pure: no I/O here.

/** Scheduler state of one job, mapped from each scheduler's own vocabulary. */
export type JobState =
  | {
      kind: "pending";
      /** the scheduler's state code ("qw", "PENDING", "Q", "PEND") */
      code: string;
      /** why it waits, user-facing where the scheduler says ("Resources", "Priority"); "" if unknown */
      reason: string;
      /** scheduler's estimate of the start, when it gives one */
      estimatedStart?: Date;
      /** true when the job can never start without an admin (SGE Eqw, PBS/Slurm held by error) */
      error?: boolean;
    }
  | {
      kind: "running";
      code: string;
      /** execution host, "" when not yet known */
      host: string;
      /** when the scheduler started it, where it says */
      startedAt?: Date;
      /** when the scheduler will end it (start + time limit), where it says */
      endsAt?: Date;
    }
  | {
      kind: "done";
      code: string;
      /** exit status where the scheduler reports it */
      exitCode?: number | null;
      /** user-facing reason ("your job reached its 2 h walltime") */
      reason: string;
      /** still being torn down (SGE dr, Slurm COMPLETING, PBS E): a final state follows shortly */
      ending?: boolean;
    }
  | {
      /** not in the scheduler's answer: finished and forgotten, or never existed */
      kind: "unknown";
    };

/** Resources and placement of one job. Every field is validated before it reaches a template. */
export interface JobResources {
  /** queue (SGE, PBS, LSF) or partition (Slurm) */
  queue?: string;
  /** account (Slurm, PBS -A), project (SGE -P, LSF -P) */
  account?: string;
  walltimeSeconds: number;
  cores: number;
  /** memory for the whole job, bytes */
  memoryBytes?: number;
  gpus?: number;
  /** Grid Engine parallel environment for cores > 1 (default "smp") */
  parallelEnvironment?: string;
  /** extra directive lines, verbatim after the directive prefix (admin-defined only) */
  extraDirectives?: string[];
}

/** Everything a job script is rendered from (one typed object, see renderJobScript). */
export interface JobScriptOptions {
  jobName: string;
  resources: JobResources;
  /** directory the job runs in, absolute (the user's home by default) */
  workDir: string;
  /** file receiving the job's stdout+stderr, absolute */
  logPath: string;
  /** environment modules loaded before the prologue ("module load <name>" lines); admin-defined */
  modules?: string[];
  /** admin-defined shell lines run before the server (conda activate, site setup); trusted */
  prologue: string[];
  /** admin-defined shell lines run after the server exited; trusted */
  epilogue?: string[];
  /** run the script in a login shell (bash -l), as the dialect does it */
  loginShell?: boolean;
  /** non-secret variables exported by the script (secrets come through the environment) */
  env: Record<string, string>;
  /** python interpreter that has jupyter_server */
  pythonCommand: string;
  /** prefix of a conda env / virtualenv on the nodes: its bin/ goes first on PATH (absolute) */
  pythonEnvironment?: string;
  /** arguments of the Jupyter server (ServerApp flags), appended after Gyre's launcher */
  serverArgs: string[];
  /**
   * A launch: the agent's bootstrap (spawners/agent/agent-bootstrap.ts) run on the node before the
   * launcher, `prepare --spec-file "$GYRE_LAUNCH_SPEC" --result-file "$GYRE_LAUNCH_RESULT"` (both
   * variables in `env`); the launcher then starts the server in the prepared folder.
   */
  agentBootstrap?: string;
  /**
   * The agent's zip (spawners/agent/agent-bundle.ts): the launcher loads Gyre's Jupyter server
   * extension from it — the dashboard relay under <base_url>proxy/<port>/, limited to the job
   * account's own sockets on the node.
   */
  agentZip?: Uint8Array;
  /** names a site template may show (user, profile, cluster); not used by the built-in script */
  labels?: { user: string; osUser: string; profile: string; cluster: string };
}

/** What every scheduler dialect provides; schedulers are data plus pure parsers. */
export interface BatchDialect {
  /** config name: "sge", "slurm", "pbs", "lsf" */
  kind: string;
  /** for messages: "Grid Engine", "Slurm" */
  displayName: string;
  /** "#$", "#SBATCH", "#PBS", "#BSUB" */
  directivePrefix: string;
  /** shell expression for the job id inside the job ("$SLURM_JOB_ID") */
  jobIdVariable: string;
  /**
   * How the job script gets a login shell when `loginShell` is set: "shebang" (#!/bin/bash -l,
   * for schedulers that run the script by its #! line) or "reexec" (the script re-executes itself
   * with bash -l unless it already is a login shell: Grid Engine starts the shell the queue names).
   */
  loginShellBy: "shebang" | "reexec";
  /** directive lines (without the prefix) for one job; values are already validated */
  renderDirectives(o: JobScriptOptions): string[];
  /**
   * argv of the submit command; the script comes on stdin. `envNames` are variables (the secrets)
   * to pass from the submit environment into the job by name, never with their value in argv.
   */
  submitCommand(envNames: string[]): string[];
  /** job id from the submit command's stdout; throws when there is none */
  parseSubmitOutput(stdout: string): string;
  /** argv of ONE status query for all the given jobs */
  queryCommand(jobIds: string[]): string[];
  /**
   * Parse the query's output into a state per asked-for job id (ids not in the output are
   * "unknown", i.e. gone). `exitCode`/`stderr` let dialects read "no such job" answers.
   */
  parseQueryOutput(out: { stdout: string; stderr: string; exitCode: number }, jobIds: string[], now: Date): Map<string, JobState>;
  /** optional second query for estimated start times of pending jobs (Slurm `squeue --start`) */
  startEstimateCommand?(jobIds: string[]): string[];
  parseStartEstimates?(stdout: string, now: Date): Map<string, Date>;
  /**
   * Optional second query, run in the same poll cycle only while some jobs pend, for the
   * scheduler's own reason per job (Grid Engine's `qstat -j` scheduling info); the parser gives
   * the reason by job id.
   */
  pendingReasonCommand?(jobIds: string[]): string[];
  parsePendingReasons?(out: { stdout: string; stderr: string; exitCode: number }, jobIds: string[]): Map<string, string>;
  /** Optional: the execution hosts of the cluster (to warn when they cannot reach a loopback callback URL). */
  execHostsCommand?(): string[];
  parseExecHosts?(stdout: string): string[];
  /** optional accounting lookup for one finished job (SGE `qacct -j`), to explain why it ended */
  accountingCommand?(jobId: string): string[];
  parseAccounting?(stdout: string, walltimeSeconds: number): { exitCode?: number | null; reason: string } | null;
  /** argv that cancels one job */
  cancelCommand(jobId: string): string[];
  /**
   * Optional: the accounting query for what one job used (Slurm `sacct`, Grid Engine `qacct`),
   * run through queryPrefix, and its parser; `usageSource` names it on the admin's usage page.
   */
  usageCommand?(jobId: string): string[];
  parseUsage?(stdout: string): JobUsage | null;
  usageSource?: string;
}

/** What a job used, from the scheduler's accounting (null fields: not reported). */
export interface JobUsage {
  cpuSeconds: number | null;
  peakMemoryBytes: number | null;
  /** from submission to start */
  queueWaitSeconds: number | null;
  /** the job has ended and its accounting record is complete */
  ended: boolean;
}

/** Bounds that hold whatever the admin configured (a template never sees a value outside them). */
export const HARD_LIMITS = {
  walltimeSeconds: { min: 60, max: 366 * 86400 },
  cores: { min: 1, max: 4096 },
  memoryBytes: { min: 2 ** 20, max: 2 ** 46 },
  gpus: { min: 0, max: 64 },
} as const;

/** Strict patterns for values that end up in directive lines or argv. */
export const PATTERNS = {
  /** queue/partition/account/project names: no spaces, no shell or directive metacharacters */
  name: /^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,63}$/,
  /** job ids as schedulers print them (PBS adds ".server", SGE array tasks never used) */
  jobId: /^[0-9]+(\.[A-Za-z0-9_.-]+)?$/,
  /** absolute paths without whitespace, shell/directive metacharacters or ".." segments */
  path: /^(?!.*\/\.\.(\/|$))\/[A-Za-z0-9_./@+-]*$/,
  /** environment variable names */
  envName: /^[A-Za-z_][A-Za-z0-9_]*$/,
  /** a command name or path: no leading dash (an option), no ".." */
  command: /^(?!-)(?!.*\.\.)[A-Za-z0-9_./+-]+$/,
} as const;

/** Human "2 h", "1 h 30 min", "45 min" for reasons and progress messages. */
export function formatDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.round((seconds % 3600) / 60);
  if (h && m) return `${h} h ${m} min`;
  if (h) return `${h} h`;
  return `${Math.max(m, seconds > 0 ? 1 : 0)} min`;
}

/** "HH:MM:SS" for walltime directives (hours may exceed 24, which all four schedulers accept). */
export function formatHms(seconds: number): string {
  const s = Math.floor(seconds);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}
