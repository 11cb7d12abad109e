// A stand-in for Slurm and Grid Engine at the command line, for unit tests of the batch spawner
// that need no real scheduler: a CommandRunner that answers sbatch/squeue/scancel and
// qsub/qstat/qdel in the formats the dialects parse (captured from the real ones, see
// spawners/batch/dialects/*.test.ts), plus the user's file commands and getent. It records every
// argv, so tests see what would have reached the system. Jobs change state only when a test says.
// The hpc suite (*.hpc.test.ts) runs the same spawner against the real schedulers.
import type { CallbackAddress, BatchCallbackChannel } from "../batch/callback";
import type { CommandResult, CommandRunner } from "../batch/run-command";

export type FakeJobState = "pending" | "running" | "gone";

export interface FakeJob {
  id: string;
  scheduler: "slurm" | "sge";
  state: FakeJobState;
  host: string;
  script: string;
}

/** The prefix words (sudo … --, env … --) end at the first "--"; the command follows. */
function stripPrefix(argv: string[]): { prefix: string[]; command: string[] } {
  const i = argv.indexOf("--");
  return i >= 0 ? { prefix: argv.slice(0, i + 1), command: argv.slice(i + 1) } : { prefix: [], command: argv };
}

export class FakeBatchScheduler {
  readonly jobs = new Map<string, FakeJob>();
  /** every argv run, in order */
  readonly calls: string[][] = [];
  /** files "written" by dd, by path */
  readonly files = new Map<string, string>();
  /** what `find … -printf '%T@ %p\n'` lists (mtime, path) */
  logs: Array<{ mtime: number; path: string }> = [];
  /** the job log's tail, for `tail -n N <log>` */
  logTail = "";
  private nextId = 100;

  /** The CommandRunner to hand the spawner (BatchSpawnerDeps.run). */
  readonly run: CommandRunner = async (argv, opts) => {
    this.calls.push(argv);
    const { command } = stripPrefix(argv);
    const [cmd, ...args] = command;
    const ok = (stdout = ""): CommandResult => ({ stdout, stderr: "", exitCode: 0 });
    switch (cmd) {
      case "getent":
        return ok(`${args[1]}:x:1001:1001::/home/${args[1]}:/bin/bash\n`);
      case "install":
      case "rm":
        return ok();
      case "dd":
        this.files.set(args[0].slice(3), opts?.input ?? "");
        return ok();
      case "tail":
        return ok(this.logTail);
      case "find":
        return ok(this.logs.map((l) => `${l.mtime.toFixed(10)} ${l.path}\n`).join(""));
      case "sbatch":
      case "qsub": {
        const id = String(this.nextId++);
        this.jobs.set(id, { id, scheduler: cmd === "sbatch" ? "slurm" : "sge", state: "pending", host: "node1", script: opts?.input ?? "" });
        return ok(`${id}\n`);
      }
      case "scancel":
      case "qdel": {
        const j = this.jobs.get(args[0]);
        if (j) j.state = "gone";
        return ok();
      }
      case "squeue":
        return ok(this.squeue(args[args.indexOf("-j") + 1].split(",")));
      case "qstat":
        return args.includes("-j") ? ok("<?xml version='1.0'?>\n<detailed_job_info><djob_info></djob_info></detailed_job_info>\n") : ok(this.qstatXml());
      case "qacct":
        return { stdout: "", stderr: `error: job id ${args[1]} not found\n`, exitCode: 1 };
      default:
        return { stdout: "", stderr: `fake scheduler: unknown command ${cmd}`, exitCode: 127 };
    }
  };

  /** Set a job's state (the scheduler started it, or it ended). */
  set(id: string, state: FakeJobState): void {
    const j = this.jobs.get(id);
    if (!j) throw new Error(`no job ${id}`);
    j.state = state;
  }

  /** The commands run (without their prefix), as "cmd arg arg". */
  commands(): string[] {
    return this.calls.map((a) => stripPrefix(a).command.join(" "));
  }

  private squeue(ids: string[]): string {
    return ids
      .map((id) => this.jobs.get(id))
      .filter((j): j is FakeJob => !!j && j.scheduler === "slurm" && j.state !== "gone")
      .map((j) =>
        j.state === "pending"
          ? `${j.id}|PENDING|Resources||n/a|N/A|N/A|0`
          : `${j.id}|RUNNING|None|${j.host}|${j.host}|2026-12-03T14:25:17|2026-12-03T15:25:17|0`,
      )
      .join("\n");
  }

  private qstatXml(): string {
    const list = (state: "pending" | "running") =>
      [...this.jobs.values()]
        .filter((j) => j.scheduler === "sge" && j.state === state)
        .map(
          (j) =>
            `<job_list state="${state}"><JB_job_number>${j.id}</JB_job_number><state>${state === "running" ? "r" : "qw"}</state><queue_name>${state === "running" ? `all.q@${j.host}` : ""}</queue_name></job_list>`,
        )
        .join("");
    return `<?xml version='1.0'?>\n<job_info><queue_info>${list("running")}</queue_info><job_info>${list("pending")}</job_info></job_info>\n`;
  }
}

/** A callback channel whose jobs "call back" when the test says (answer()). */
export class FakeCallbackChannel implements BatchCallbackChannel {
  readonly url = "http://hub.example:8081/hub/api/batch/callback";
  private readonly waiters = new Map<string, (a: CallbackAddress) => void>();
  private readonly answers = new Map<string, CallbackAddress>();

  async register(): Promise<string> {
    return "callback-secret";
  }

  wait(spawnId: string, signal: AbortSignal): Promise<CallbackAddress> {
    const a = this.answers.get(spawnId);
    if (a) return Promise.resolve(a);
    return new Promise((resolve, reject) => {
      this.waiters.set(spawnId, resolve);
      signal.addEventListener("abort", () => reject(new Error("aborted")), { once: true });
    });
  }

  release(spawnId: string): void {
    this.waiters.delete(spawnId);
  }

  /** The job of `spawnId` reports host:port. */
  answer(spawnId: string, host: string, port: number, jobId: string): void {
    const a = { host, port, jobId };
    this.answers.set(spawnId, a);
    this.waiters.get(spawnId)?.(a);
  }
}
