// The batch spawner: submits a Jupyter server job as the user to the cluster of the chosen
// profile, follows it through that cluster's shared BatchPoller (one scheduler query per cycle for
// all jobs), waits for the job's callback with host and port, and explains how jobs ended. A job
// is managed on the cluster and scheduler it was submitted to until it ends, whatever the config
// says meanwhile. I/O lives here; the pure parts are job-script.ts, config.ts, job-details.ts,
// dask-env.ts, user-commands.ts and dialects/*.
import { lookup } from "node:dns/promises";
import {
  SpawnError,
  type JsonObject,
  type ProgressEvent,
  type SpawnContext,
  type SpawnExit,
  type SpawnStarted,
  type Spawner,
  type UsageSample,
} from "../types";
import type { BatchCallbackChannel, CallbackAddress } from "./callback";
import { buildOptionsSchema, fillTemplate, resolveCluster, resolveJob, type BatchSpawnerConfig, type ResolvedCluster } from "./config";
import { renderDaskJobqueueEnv } from "./dask-env";
import { DIALECTS, type SchedulerKind } from "./dialects/index";
import { describeExitStatus, exitStatusFromLog } from "./exit-status";
import { EXIT_STATUS_MARKER, renderJobScript } from "./job-script";
import { pendingReasonFor, type BatchJobState } from "./job-details";
import type { BatchPollShare } from "./poll-share";
import { getSharedPoller, type BatchPoller } from "./poller";
import { runCommand, type CommandRunner } from "./run-command";
import { prefixCommand, UnsafeValueError } from "./shell-quote";
import { formatDuration, PATTERNS, type BatchDialect, type JobState } from "./types";
import { USER_COMMANDS } from "./user-commands";
import { withPlatform } from "../agent/agent-spec";
import { buildAgentBootstrap } from "../agent/agent-bootstrap";
import { loadAgentZip } from "../agent/agent-bundle";
import { LineSplitter } from "../agent/agent-phases";
import { AgentProgressReader } from "../agent/agent-progress";
import { makeJobName } from "./job-name";

/** Progress band of a launch's agent in the job: after the queue (20) and the start on a node (50). */
const AGENT_PROGRESS_RANGE: [number, number] = [52, 78];

/** OS account names we pass to sudo/ssh: no leading dash (an option) and no '#' (sudo's uid syntax). */
const OS_USER = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;
const SPAWN_ID = /^[A-Za-z0-9_-]{1,64}$/;

export interface BatchSpawnerDeps {
  /** where jobs call back; the hub passes its DB-backed endpoint */
  channel: BatchCallbackChannel;
  run?: CommandRunner;
  /** defaults to the process-wide poller of the job's cluster */
  poller?: BatchPoller;
  /** the hub's replicas share one scheduler query per cluster through it (HubServices.batchPolls) */
  pollShare?: BatchPollShare;
  now?: () => number;
  /** site job-script templates by path, read when the kind started (spawner.batch.jobScriptTemplate) */
  templates?: ReadonlyMap<string, string>;
}

/** Where a job lives and how to reach it: its cluster as it was when the job was submitted. */
interface JobTarget {
  cluster: string;
  dialect: BatchDialect;
  submitPrefix: string[];
  queryPrefix: string[];
  useAccounting: boolean;
}

export class BatchSpawner implements Spawner {
  private run: CommandRunner;
  private readonly now: () => number;
  private state: BatchJobState | null = null;
  private target: JobTarget | null = null;
  private starting = false;
  private stopping = false;
  /** start() failed in this process: stop() keeps the log for the error page */
  private failed = false;
  private readonly abort = new AbortController();
  private readonly events: ProgressEvent[] = [];
  private eventWake: (() => void) | null = null;
  private settled = false;
  /** a launch: how far the job's output has been read for the agent's phase lines */
  private agentOutput: { offset: number; splitter: LineSplitter; reader: AgentProgressReader } | null = null;

  constructor(
    private readonly ctx: SpawnContext,
    private readonly config: BatchSpawnerConfig,
    private readonly deps: BatchSpawnerDeps,
  ) {
    this.run = deps.run ?? runCommand;
    this.now = deps.now ?? Date.now;
  }

  /** The scheduler of the job, or of the default cluster before one is submitted (tests, messages). */
  get dialect(): BatchDialect {
    return this.target?.dialect ?? DIALECTS[this.config.scheduler];
  }

  /**
   * null: this spawner enforces its own limits, queuedTimeoutSeconds while the job waits in the
   * queue and startingTimeoutSeconds once it runs, so the hub's start timeout never kills a job
   * that is merely queued (https://github.com/jupyterhub/batchspawner/issues/88).
   */
  startTimeoutSeconds(): number | null {
    return null;
  }

  /** The job id once submitted (tests, admin pages). */
  get jobId(): string | null {
    return this.state?.jobId || null;
  }

  private get poller(): BatchPoller {
    const t = this.target!;
    return (
      this.deps.poller ??
      getSharedPoller(t.dialect, this.run, {
        intervalMs: this.config.pollIntervalSeconds * 1000,
        queryPrefix: t.queryPrefix,
        cluster: t.cluster,
        share: this.deps.pollShare,
      })
    );
  }

  start(): Promise<SpawnStarted> {
    return this.following(() => this.startJob());
  }

  /**
   * A hub restarted while the job was queued or starting: follow the same job (its id, its place in
   * the queue) and wait for its callback, whose secret is stored hashed by the channel and so
   * outlives the hub process. null when no job was submitted.
   */
  resume(): Promise<SpawnStarted> | null {
    const jobId = this.state?.jobId;
    if (!jobId || this.state?.submittedAt === undefined) return null;
    return this.following(async () => {
      if (this.ctx.launch) this.agentOutput = { offset: 0, splitter: new LineSplitter(), reader: new AgentProgressReader({ range: AGENT_PROGRESS_RANGE }) };
      this.emit(10, `following job ${jobId} in ${this.dialect.displayName} again`);
      this.poller.track(jobId);
      return await this.waitForServer(jobId);
    });
  }

  /** start() and resume(): on failure cancel the job and remove its files; end the progress feed. */
  private async following(wait: () => Promise<SpawnStarted>): Promise<SpawnStarted> {
    this.starting = true;
    try {
      return await wait();
    } catch (err) {
      this.failed = true;
      if (this.state?.jobId && !this.stopping) await this.cancelQuietly();
      await this.removeSecretFile();
      if (err instanceof SpawnError) throw err;
      if (err instanceof UnsafeValueError) throw new SpawnError(`invalid job option: ${err.message}`);
      this.ctx.log.error({ err: err instanceof Error ? err.message : String(err), jobId: this.state?.jobId }, "batch spawn failed");
      throw new SpawnError(`the batch job could not be started: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.starting = false;
      this.deps.channel.release(this.ctx.spawnId);
      this.settled = true;
      this.eventWake?.();
    }
  }

  private async startJob(): Promise<SpawnStarted> {
    const { ctx, config } = this;
    const osUser = await this.checkOsUser();
    if (!SPAWN_ID.test(ctx.spawnId)) throw new SpawnError("invalid spawn id");
    const parsed = buildOptionsSchema(config, ctx.user).safeParse(ctx.options);
    if (!parsed.success) throw new SpawnError(`invalid spawn options: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    const job = resolveJob(config, parsed.data);
    const cluster = job.cluster;
    const dialect = DIALECTS[cluster.scheduler];
    this.target = {
      cluster: cluster.name,
      dialect,
      submitPrefix: cluster.submitPrefix,
      queryPrefix: cluster.queryPrefix,
      useAccounting: cluster.useAccounting,
    };
    const home = [config.workDir, config.logFile, config.secretFile].some((t) => t.includes("{home}")) ? await this.lookupHome(osUser) : "";
    const vars = { home, username: ctx.user.name, osUser, spawnId: ctx.spawnId };
    const workDir = fillTemplate(config.workDir, vars);
    const logPath = fillTemplate(config.logFile, { ...vars, workDir });
    const secretFile = fillTemplate(config.secretFile, { ...vars, workDir });
    const secret = await this.deps.channel.register(ctx.spawnId);
    await this.writeSecretFile(osUser, secretFile, { JUPYTER_TOKEN: ctx.token, JUPYTERHUB_API_TOKEN: ctx.apiToken, GYRE_CALLBACK_SECRET: secret });
    // a launch: the agent's spec goes next to the secret file (same 0700 folder, shared with the nodes)
    const launchFiles = ctx.launch ? [`${secretFile}-launch.json`, `${secretFile}-result.json`] : undefined;
    this.state = {
      ...this.where(cluster),
      jobId: "",
      logPath,
      secretFile,
      launchFiles,
      profile: job.profile.name,
      ...(job.serverApp === "singleuser" ? { serverAuth: "hub" as const } : {}),
    };
    if (ctx.launch && launchFiles) {
      await this.writeUserFile(osUser, launchFiles[0], JSON.stringify(withPlatform(ctx.launch.spec, "batch")), "the launch's spec");
      this.agentOutput = { offset: 0, splitter: new LineSplitter(), reader: new AgentProgressReader({ range: AGENT_PROGRESS_RANGE }) };
    }
    const template = cluster.jobScriptTemplate ? this.deps.templates?.get(cluster.jobScriptTemplate) : undefined;
    if (cluster.jobScriptTemplate && template === undefined)
      throw new SpawnError(`the job script template ${cluster.jobScriptTemplate} was not loaded at hub start`);
    const dask = config.daskJobqueue
      ? renderDaskJobqueueEnv({
          scheduler: cluster.scheduler,
          resources: job.resources,
          pythonCommand: job.pythonCommand,
          pythonEnvironment: job.pythonEnvironment,
          modules: job.modules,
          prologue: job.prologue,
          loginShell: cluster.loginShell,
          networkInterface: cluster.networkInterface,
          bindAddress: cluster.bindAddress,
        })
      : {};
    const script = renderJobScript(
      dialect,
      {
        jobName: makeJobName(ctx.user.name, ctx.serverName),
        resources: job.resources,
        workDir,
        logPath,
        modules: job.modules,
        prologue: job.prologue,
        epilogue: job.epilogue,
        loginShell: cluster.loginShell,
        pythonCommand: job.pythonCommand,
        pythonEnvironment: job.pythonEnvironment,
        env: {
          ...withoutSecrets({ ...config.env, ...dask, ...ctx.env }),
          ...hubApiUrls(callbackUrl(cluster, this.deps.channel.url), ctx.user.name),
          GYRE_CALLBACK_URL: callbackUrl(cluster, this.deps.channel.url),
          GYRE_SECRET_FILE: secretFile,
          GYRE_SPAWN_ID: ctx.spawnId,
          GYRE_PORT_RANGE: cluster.portRange,
          GYRE_BIND_IP: cluster.bindAddress,
          // the launcher runs jupyterhub-singleuser's app instead of jupyter_server's (spawner.batch.command)
          ...(job.serverApp === "singleuser" ? { GYRE_SERVER_APP: "singleuser" } : {}),
          ...(launchFiles ? { GYRE_LAUNCH_SPEC: launchFiles[0], GYRE_LAUNCH_RESULT: launchFiles[1] } : {}),
          // {port} is filled in by Dask itself; the proxy serves /user/<name>/proxy/<port>/
          DASK_DISTRIBUTED__DASHBOARD__LINK: `/user/${encodeURIComponent(ctx.user.name)}/proxy/{port}/status`,
        },
        serverArgs: [
          `--ServerApp.base_url=${ctx.baseUrl}`,
          `--ServerApp.root_dir=${workDir}`,
          "--ServerApp.open_browser=False",
          "--ServerApp.allow_remote_access=True",
          "--ServerApp.trust_xheaders=True",
          ...job.commandArgs,
          ...config.serverArgs,
        ],
        labels: { user: ctx.user.name, osUser, profile: job.profile.name, cluster: cluster.name },
        agentZip: await loadAgentZip(),
        ...(ctx.launch ? { agentBootstrap: buildAgentBootstrap(await loadAgentZip()) } : {}),
      },
      template,
    );
    const where = cluster.name === "default" ? dialect.displayName : `${dialect.displayName} on ${cluster.name}`;
    this.emit(5, `submitting a job to ${where} (${job.profile.display})`);
    const r = await this.run(this.asUser(osUser, dialect.submitCommand([])), { input: script });
    if (r.exitCode !== 0) throw new SpawnError(`${dialect.displayName} refused the job: ${firstLine(r.stderr || r.stdout)}`);
    const jobId = dialect.parseSubmitOutput(r.stdout);
    if (!PATTERNS.jobId.test(jobId)) throw new SpawnError(`unexpected job id from ${dialect.displayName}`);
    this.state = {
      ...this.state,
      jobId,
      queue: job.resources.queue,
      walltimeSeconds: job.resources.walltimeSeconds,
      submittedAt: this.now(),
      warnSeconds: config.walltimeWarningSeconds,
    };
    ctx.log.info({ jobId, scheduler: dialect.kind, cluster: cluster.name, profile: job.profile.name }, "batch job submitted");
    this.emit(10, `job ${jobId} submitted to ${where}`);
    this.poller.track(jobId);
    void this.pruneLogs(osUser, logPath);
    return await this.waitForServer(jobId);
  }

  /** What the state records about where the job went (see loadState). */
  private where(c: ResolvedCluster): Pick<BatchJobState, "cluster" | "scheduler" | "submitPrefix" | "queryPrefix"> {
    return { cluster: c.name, scheduler: c.scheduler, submitPrefix: c.submitPrefix, queryPrefix: c.queryPrefix };
  }

  /** Follow the job through the queue until its callback arrives; enforce both timeouts. */
  private async waitForServer(jobId: string): Promise<SpawnStarted> {
    const { config, dialect } = this;
    const cbAbort = new AbortController();
    const onStop = () => cbAbort.abort(new Error("stopped"));
    this.abort.signal.addEventListener("abort", onStop, { once: true });
    let address: CallbackAddress | null = null;
    const callback = this.deps.channel.wait(this.ctx.spawnId, cbAbort.signal).then(
      (a) => (address = a),
      () => undefined,
    );
    let lastMessage = "";
    let unknownSeen = 0;
    let knownOnce = false;
    void this.poller.refresh();
    try {
      for (;;) {
        if (this.stopping) throw new SpawnError("the spawn was cancelled");
        if (address) return await this.acceptAddress(address);
        const polled = this.poller.get(jobId);
        const st = polled && polled.at >= this.state!.submittedAt! ? polled.state : undefined;
        const now = this.now();
        if (st?.kind === "pending") {
          knownOnce = true;
          if (st.error) throw new SpawnError(`job ${jobId} cannot start: ${st.reason}`, await this.logTail());
          this.state!.pending = pendingReasonFor(st);
          const est = st.estimatedStart ? `; estimated start ${st.estimatedStart.toISOString().replace("T", " ").slice(0, 16)} UTC` : "";
          const msg = `queued in ${dialect.displayName} (${st.code}${st.reason ? `: ${st.reason}` : ""})${est}`;
          if (msg !== lastMessage) this.emit(20, (lastMessage = msg), { phase: "waiting" });
          if (config.queuedTimeoutSeconds > 0 && now - this.state!.submittedAt! > config.queuedTimeoutSeconds * 1000) {
            throw new SpawnError(
              `the job waited in the queue longer than ${formatDuration(config.queuedTimeoutSeconds)}; it was cancelled. Try a smaller profile or another queue.`,
            );
          }
        } else if (st?.kind === "running") {
          knownOnce = true;
          if (!this.state!.runningAt) {
            this.noteRunning(st, now);
            this.emit(50, `running on ${st.host || "a compute node"}`);
            if (!this.agentOutput) this.emit(60, "server starting (waiting for it to report its address)");
          }
          // a launch first fetches and builds in the job: the agent's phase lines are in its output
          if (this.agentOutput) await this.readAgentOutput();
          const limit = config.startingTimeoutSeconds + (this.ctx.launch?.prepareTimeoutSeconds ?? 0);
          if (now - this.state!.runningAt! > limit * 1000) {
            throw new SpawnError(`the server did not report its address within ${formatDuration(limit)} of the job starting`, await this.logTail());
          }
        } else if (st?.kind === "done") {
          const exit = st.exitCode ? null : await this.exitFromLog();
          throw new SpawnError(`job ${jobId} ended before the server started: ${exit?.reason ?? this.wordReason(st.reason)}`, await this.logTail());
        } else if (st?.kind === "unknown") {
          // a job that was seen and is now gone ended; one never seen gets one more poll (lag)
          if (knownOnce || ++unknownSeen >= 2) {
            const exit = await this.explainGone(jobId);
            throw new SpawnError(`job ${jobId} ended before the server started: ${exit.reason}`, await this.logTail());
          }
        }
        await Promise.race([callback, this.poller.nextUpdate(this.abort.signal)]);
      }
    } finally {
      this.abort.signal.removeEventListener("abort", onStop);
      cbAbort.abort();
    }
  }

  private noteRunning(st: Extract<JobState, { kind: "running" }>, now: number): void {
    const s = this.state!;
    s.runningAt = now;
    s.pending = undefined;
    if (st.host) s.host = st.host;
    if (st.startedAt) s.startedAt = st.startedAt.getTime();
    if (st.endsAt) s.endsAt = st.endsAt.getTime();
  }

  /**
   * Accept the job's reported address only if it is the node the scheduler runs the job on: the
   * job is the user's code, and a forged host would point the user's proxy route at any service.
   */
  private async acceptAddress(a: CallbackAddress): Promise<SpawnStarted> {
    const jobId = this.state!.jobId;
    if (this.agentOutput) await this.readAgentOutput();
    let st = this.poller.get(jobId)?.state;
    if (st?.kind !== "running") {
      await this.poller.refresh();
      st = this.poller.get(jobId)?.state;
    }
    if (st?.kind !== "running") throw new SpawnError(`job ${jobId} called back but the scheduler does not show it running`);
    if (st.host && !(await sameHost(st.host, a.host))) {
      this.ctx.log.warn({ jobId, execHost: st.host, reported: a.host }, "batch callback host does not match the job's node");
      throw new SpawnError(`the job reported address ${a.host}, which is not its node ${st.host}`);
    }
    if (!this.state!.runningAt) {
      // the callback beat the poll that would have shown the job running: still tell the user
      this.noteRunning(st, this.now());
      this.emit(50, `running on ${st.host || a.host}`);
      this.emit(60, "server starting");
    }
    const portRange = resolveCluster(this.config, this.state!.cluster)?.portRange ?? this.config.portRange;
    const range = /^(\d+)-(\d+)$/.exec(portRange);
    if (range && (a.port < Number(range[1]) || a.port > Number(range[2]))) throw new SpawnError(`the job reported port ${a.port} outside ${portRange}`);
    this.state!.host = st.host || a.host;
    this.state!.port = a.port;
    this.emit(80, `server listening on ${st.host || a.host}:${a.port}`);
    return { url: `http://${a.host.includes(":") ? `[${a.host}]` : a.host}:${a.port}` };
  }

  async poll(opts: { fresh?: boolean } = {}): Promise<SpawnExit | null> {
    if (!this.state?.jobId || !this.target) return this.starting ? null : { exitCode: null, reason: "no job was submitted" };
    const jobId = this.state.jobId;
    this.poller.track(jobId);
    // fresh: one query for every tracked job now, shared with one already under way
    if (opts.fresh || !this.poller.get(jobId)) await this.poller.refresh();
    const st = this.poller.get(jobId)?.state;
    // no answer yet (scheduler unreachable): not evidence that the job is gone
    if (!st || st.kind === "pending" || st.kind === "running") {
      if (st?.kind === "running" && !this.state.startedAt && st.startedAt) this.noteRunning(st, this.state.runningAt ?? this.now());
      return null;
    }
    if (this.starting) return null; // start() reports it
    const final = st.kind === "done" && st.ending ? await this.awaitFinalState(jobId) : st;
    this.poller.untrack(jobId);
    if (final.kind === "done") {
      // The job's exit status is the server's (the script exits with it): the log only helps when
      // the scheduler gave none. A cancelled job's server exits 0 on TERM, so the log must not
      // override "cancelled" or "walltime".
      const fromLog = final.exitCode === undefined || final.exitCode === null ? await this.exitFromLog() : null;
      return fromLog ?? { exitCode: final.exitCode ?? null, reason: this.wordReason(final.reason) };
    }
    // gone while being torn down: what the teardown state said ("deleted (qdel)") beats "unknown"
    return this.explainGone(jobId, st.kind === "done" ? this.wordReason(st.reason) : undefined);
  }

  async stop(opts: { ended?: boolean } = {}): Promise<void> {
    this.stopping = true;
    this.abort.abort();
    const jobId = this.state?.jobId;
    await this.removeSecretFile();
    if (!jobId || !this.target) return;
    this.poller.track(jobId);
    await this.cancelQuietly();
    const deadline = this.now() + this.config.stopTimeoutSeconds * 1000;
    for (;;) {
      await this.poller.refresh();
      const st = this.poller.get(jobId)?.state;
      if (st && ((st.kind === "done" && !st.ending) || st.kind === "unknown")) break;
      if (this.now() > deadline) {
        this.poller.untrack(jobId);
        throw new Error(`job ${jobId} is still in ${this.dialect.displayName} ${this.config.stopTimeoutSeconds} s after it was cancelled`);
      }
      await sleep(500);
    }
    this.poller.untrack(jobId);
    // A server that came up and was stopped through the hub leaves nothing to debug; one that
    // ended on its own (walltime, a crash) keeps the log that says why.
    if (this.config.logRetention.deleteAfterCleanStop && !opts.ended && this.state?.port && !this.failed && this.state.logPath) {
      await this.runAsUser(USER_COMMANDS.removeFiles([this.state.logPath])).catch(() => undefined);
    }
  }

  getState(): JsonObject {
    if (!this.state) return {};
    return JSON.parse(JSON.stringify(this.state)) as JsonObject;
  }

  /**
   * The job is polled and cancelled where it was submitted: on its cluster as configured now if
   * that cluster still has the same scheduler, else with the scheduler and prefixes stored when it
   * was submitted (the admin switched schedulers or removed the cluster meanwhile).
   */
  loadState(state: JsonObject): void {
    const s = state as Partial<BatchJobState>;
    if (typeof s.jobId !== "string" || !PATTERNS.jobId.test(s.jobId)) return;
    const scheduler = (typeof s.scheduler === "string" && Object.hasOwn(DIALECTS, s.scheduler) ? s.scheduler : this.config.scheduler) as SchedulerKind;
    const clusterName = typeof s.cluster === "string" ? s.cluster : "default";
    const now = resolveCluster(this.config, clusterName);
    if (now && now.scheduler === scheduler) {
      this.target = {
        cluster: now.name,
        dialect: DIALECTS[scheduler],
        submitPrefix: now.submitPrefix,
        queryPrefix: now.queryPrefix,
        useAccounting: now.useAccounting,
      };
    } else {
      const submitPrefix = Array.isArray(s.submitPrefix) ? s.submitPrefix.map(String) : this.config.submitPrefix;
      const queryPrefix = Array.isArray(s.queryPrefix) ? s.queryPrefix.map(String) : this.config.queryPrefix;
      this.target = { cluster: clusterName, dialect: DIALECTS[scheduler], submitPrefix, queryPrefix, useAccounting: this.config.useAccounting };
      this.ctx.log.info(
        { jobId: s.jobId, cluster: clusterName, scheduler },
        "batch job submitted under an earlier configuration: managed where it was submitted",
      );
    }
    this.state = { ...(s as BatchJobState), cluster: clusterName, scheduler };
    this.poller.track(s.jobId);
  }

  async *progress(): AsyncIterable<ProgressEvent> {
    let i = 0;
    for (;;) {
      while (i < this.events.length) yield this.events[i++];
      if (this.settled) return;
      await new Promise<void>((resolve) => (this.eventWake = resolve));
      this.eventWake = null;
    }
  }

  /**
   * What the job used, from the scheduler's accounting (dialect.usageCommand: sacct, qacct), run
   * through queryPrefix like the status query. Without accounting, or before the scheduler has a
   * record, only the queue wait the hub saw itself (submission to running) is known.
   */
  async usage(): Promise<UsageSample | null> {
    const s = this.state;
    if (!s?.jobId) return null;
    const d = this.dialect;
    const seen = s.submittedAt && s.runningAt ? Math.max(0, (s.runningAt - s.submittedAt) / 1000) : undefined;
    if (d.usageCommand && d.parseUsage) {
      const r = await this.run(prefixCommand(this.config.queryPrefix, d.usageCommand(s.jobId)), { timeoutMs: 15_000 }).catch(() => null);
      const u = r && r.exitCode === 0 ? d.parseUsage(r.stdout) : null;
      if (u) {
        return {
          cpuSeconds: u.cpuSeconds ?? undefined,
          peakMemoryBytes: u.peakMemoryBytes ?? undefined,
          queueWaitSeconds: u.queueWaitSeconds ?? seen,
          source: d.usageSource ?? d.kind,
          final: u.ended,
        };
      }
    }
    return seen === undefined ? null : { queueWaitSeconds: seen, source: "none", final: false };
  }

  detach(): void {
    if (this.state?.jobId) this.poller.untrack(this.state.jobId);
  }

  async logTail(lines = 50): Promise<string> {
    const path = this.state?.logPath;
    if (!path || !PATTERNS.path.test(path)) return "";
    try {
      const r = await this.runAsUser(USER_COMMANDS.readLogTail(lines, path), 10_000);
      return r.exitCode === 0 ? r.stdout.trimEnd() : "";
    } catch {
      return "";
    }
  }

  // -- helpers --------------------------------------------------------------------------------

  /**
   * A job seen while being torn down (CG, dr) gets a few quick shared refreshes so the reason is
   * the final one (TIMEOUT, CANCELLED) in the same poll() that noticed the end; these states last
   * well under a second on Slurm and Grid Engine.
   */
  private async awaitFinalState(jobId: string): Promise<JobState> {
    let st: JobState | undefined;
    for (let i = 0; i < 4; i++) {
      await sleep(750);
      await this.poller.refresh();
      st = this.poller.get(jobId)?.state;
      if (!st || !(st.kind === "done" && st.ending)) break;
    }
    return st ?? { kind: "unknown" };
  }

  private emit(progress: number, message: string, step: Pick<ProgressEvent, "phase" | "cached"> = {}): void {
    this.events.push({ progress, message, ...step });
    this.eventWake?.();
  }

  /**
   * A launch's job: the part of its output written since the last look, as the user (the file is
   * the user's); the agent's phase lines become progress, its failure fails the spawn at once.
   */
  private async readAgentOutput(): Promise<void> {
    const out = this.agentOutput!;
    const path = this.state?.logPath;
    if (!path || !PATTERNS.path.test(path)) return;
    const r = await this.runAsUser(USER_COMMANDS.readLogFrom(out.offset + 1, path)).catch(() => null);
    if (!r || r.exitCode !== 0 || !r.stdout) return;
    out.offset += Buffer.byteLength(r.stdout);
    for (const line of out.splitter.push(r.stdout)) {
      const ev = out.reader.read(line);
      if (ev) this.emit(ev.progress, ev.message, ev);
    }
    if (out.reader.failure) throw new SpawnError(out.reader.failure.message, out.reader.failure.logTail ?? (await this.logTail()));
  }

  /** `command` run as the user through the job's submitPrefix (quoted word by word when it is ssh). */
  private asUser(osUser: string, command: string[]): string[] {
    const prefix = this.target?.submitPrefix ?? this.config.submitPrefix;
    return prefixCommand(
      prefix.map((a) => fillTemplate(a, { osUser })),
      command,
    );
  }

  private runAsUser(command: string[], timeoutMs = 15_000) {
    return this.run(this.asUser(this.ctx.user.osUser, command), { timeoutMs });
  }

  /**
   * Write the job's secrets as the user into a 0700 directory, content on stdin:
   * never argv, never the scheduler (SGE's `qstat -j` shows env_list values to every user).
   */
  private async writeSecretFile(osUser: string, path: string, values: Record<string, string>): Promise<void> {
    if (!PATTERNS.path.test(path)) throw new SpawnError("invalid secretFile path");
    const dir = path.slice(0, path.lastIndexOf("/")) || "/";
    const mk = await this.run(this.asUser(osUser, USER_COMMANDS.makePrivateDir(dir)), { timeoutMs: 15_000 });
    if (mk.exitCode !== 0) throw new SpawnError(`cannot create ${dir} as ${osUser}: ${firstLine(mk.stderr)}`);
    const input = Object.entries(values)
      .map(([k, v]) => `${k}=${v}\n`)
      .join("");
    await this.writeUserFile(osUser, path, input, "the job's secret file");
  }

  /** Writes `content` to `path` as the user (content on stdin), into a directory made 0700 first. */
  private async writeUserFile(osUser: string, path: string, content: string, what: string): Promise<void> {
    if (!PATTERNS.path.test(path)) throw new SpawnError(`invalid path for ${what}`);
    // dd, not `install /dev/stdin`: Node's stdin "pipe" is a socketpair, which cannot be open()ed.
    // The 0700 directory keeps the file private whatever the user's umask makes of its mode.
    // Over ssh the content travels on the channel's stdin too: encrypted, never in a remote argv.
    const w = await this.run(this.asUser(osUser, USER_COMMANDS.writeFile(path)), { input: content, timeoutMs: 15_000 });
    if (w.exitCode !== 0) throw new SpawnError(`cannot write ${what} as ${osUser}: ${firstLine(w.stderr)}`);
  }

  private async removeSecretFile(): Promise<void> {
    const paths = [this.state?.secretFile, ...(this.state?.launchFiles ?? [])].filter((p): p is string => !!p && PATTERNS.path.test(p));
    if (!paths.length) return;
    try {
      await this.runAsUser(USER_COMMANDS.removeFiles(paths));
    } catch {
      // best effort: the job deletes the file itself after calling back
    }
  }

  /**
   * logRetention.keepPerUser: the user's newest job logs stay (this one included), older ones go.
   * Best effort, as the user, after the submission (a failure only leaves old logs behind).
   */
  private async pruneLogs(osUser: string, logPath: string): Promise<void> {
    const keep = this.config.logRetention.keepPerUser;
    if (keep === 0) return;
    try {
      const dir = logPath.slice(0, logPath.lastIndexOf("/"));
      const name = fillTemplate(this.config.logFile.slice(this.config.logFile.lastIndexOf("/") + 1), {
        home: "",
        workDir: "",
        username: this.ctx.user.name,
        osUser,
        spawnId: "\u0000",
      });
      const pattern = name.replace("\u0000", "*");
      if (!dir || !PATTERNS.path.test(dir) || !/^[A-Za-z0-9_.@+*-]+$/.test(pattern)) return;
      const r = await this.runAsUser(USER_COMMANDS.listLogs(dir, pattern));
      if (r.exitCode !== 0) return;
      const match = new RegExp(`^${(dir + "/" + pattern).replace(/[.+@]/g, "\\$&").replace("*", "[A-Za-z0-9_-]+")}$`);
      const logs = r.stdout
        .split("\n")
        .map((l) => /^(\d+(?:\.\d+)?) (\S+)$/.exec(l.trim()))
        .filter((m): m is RegExpExecArray => !!m && match.test(m[2]) && m[2] !== logPath)
        .sort((a, b) => Number(b[1]) - Number(a[1]))
        .map((m) => m[2]);
      const old = logs.slice(Math.max(0, keep - 1));
      if (old.length) await this.runAsUser(USER_COMMANDS.removeFiles(old));
    } catch (err) {
      this.ctx.log.warn({ err: err instanceof Error ? err.message : String(err) }, "could not prune old job logs");
    }
  }

  private async checkOsUser(): Promise<string> {
    const osUser = this.ctx.user.osUser;
    if (!OS_USER.test(osUser) || osUser === "root") throw new SpawnError(`OS account "${osUser}" cannot run batch jobs`);
    return osUser;
  }

  /** Home directory from the passwd database (getent covers LDAP/SSSD too); refuses uid 0. */
  private async lookupHome(osUser: string): Promise<string> {
    const r = await this.run(["getent", "passwd", osUser], { timeoutMs: 10_000 });
    const f = r.stdout.trim().split(":");
    if (r.exitCode !== 0 || f.length < 7) throw new SpawnError(`OS account "${osUser}" does not exist`);
    if (f[2] === "0") throw new SpawnError("batch jobs never run as root");
    return f[5];
  }

  private async cancelQuietly(): Promise<void> {
    const jobId = this.state?.jobId;
    if (!jobId || !this.target) return;
    const r = await this.runAsUser(this.dialect.cancelCommand(jobId), 30_000);
    if (r.exitCode !== 0) this.ctx.log.warn({ jobId, stderr: firstLine(r.stderr) }, "cancel command failed (job may be gone already)");
    else this.ctx.log.info({ jobId }, "batch job cancelled");
  }

  /** The server's exit status from the job's log ("[gyre-job] … status N"), when it got that far. */
  private async exitFromLog(): Promise<SpawnExit | null> {
    const code = exitStatusFromLog(await this.logTail(20), EXIT_STATUS_MARKER);
    if (code === null) return null;
    return { exitCode: code, reason: code === 0 ? "the server exited (exit status 0)" : `the server exited with ${describeExitStatus(code)}` };
  }

  /** A job the scheduler no longer lists: ask accounting when the dialect has it, else the job's log. */
  private async explainGone(jobId: string, fallback?: string): Promise<SpawnExit> {
    const d = this.dialect;
    if (this.target?.useAccounting && d.accountingCommand && d.parseAccounting) {
      const argv = prefixCommand(this.target.queryPrefix, d.accountingCommand(jobId));
      const r = await this.run(argv, { timeoutMs: 15_000 }).catch(() => null);
      const info = r && r.exitCode === 0 ? d.parseAccounting(r.stdout, this.state?.walltimeSeconds ?? 0) : null;
      if (info) return { exitCode: info.exitCode ?? null, reason: info.reason };
    }
    const fromLog = await this.exitFromLog();
    if (fromLog) return fromLog;
    return { exitCode: null, reason: fallback ?? "the job is no longer known to the scheduler (it ended, was deleted or its node failed)" };
  }

  private wordReason(reason: string): string {
    const w = this.state?.walltimeSeconds;
    return w ? reason.replace("its walltime", `its ${formatDuration(w)} walltime`) : reason;
  }
}

/** The URL the job POSTs its address to: the cluster's own hub URL, else the hub's. */
/** The job's environment goes through the scheduler (`qstat -j`, `scontrol show job`): no tokens in it. */
function withoutSecrets(env: Record<string, string>): Record<string, string> {
  const { JUPYTER_TOKEN: _a, JUPYTERHUB_API_TOKEN: _b, JPY_API_TOKEN: _c, ...rest } = env;
  return rest;
}

/**
 * JUPYTERHUB_API_URL and JUPYTERHUB_ACTIVITY_URL on the address compute nodes reach the hub at:
 * that of the callback (…/hub/api/batch/callback), not the hub's own, which may be loopback.
 */
function hubApiUrls(callback: string, user: string): Record<string, string> {
  const api = callback.replace(/\/batch\/callback$/, "");
  return { JUPYTERHUB_API_URL: api, JUPYTERHUB_ACTIVITY_URL: `${api}/users/${user}/activity` };
}

function callbackUrl(cluster: ResolvedCluster, hubCallback: string): string {
  return cluster.callbackUrl ? `${cluster.callbackUrl.replace(/\/+$/, "")}/hub/api/batch/callback` : hubCallback;
}

async function sameHost(execHost: string, reported: string): Promise<boolean> {
  if (execHost === reported) return true;
  try {
    const [a, b] = await Promise.all([lookup(execHost, { all: true }), lookup(reported, { all: true })]);
    const set = new Set(a.map((x) => x.address));
    return b.some((x) => set.has(x.address));
  } catch {
    return false;
  }
}

function firstLine(s: string): string {
  return (s.trim().split("\n")[0] ?? "").slice(0, 300);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export type { JobState };
