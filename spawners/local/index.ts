// The local process spawner: one real Jupyter server process per (user, server) on the hub host,
// as the user's OS account when the hub is root. The process is detached (own session and process
// group, output to a log file), so it outlives a hub restart; getState() carries pid + start time so
// a new hub process can find it again without mistaking a reused pid for it.
import { accessSync, chownSync, closeSync, constants as fsc, existsSync, mkdirSync, mkdtempSync, openSync, readSync, statSync } from "node:fs";
import { appendFile, chown, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import type { HubServices, SpawnerKindRuntime } from "../kind";
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
import {
  SPAWN_ID_ENV,
  buildLogFileName,
  buildServerLaunch,
  usesHubAuth,
  isPortTakenLog,
  RUNTIME_DIR_PREFIX,
  runtimeDirPrefix,
  type ServerLaunch,
  buildAgentLaunch,
  resolveAgentPython,
} from "./command";
import { resolveServerCommand, type LocalSpawnerConfig } from "./config";
import { lookupOsUser, resolveOsUser, systemUidMin } from "./os-user";
import { resolveNotebookDir, type PasswdEntry } from "./passwd";
import { pickFreePort, probeHttp, readFileFrom, readFileTail, readProcStat, signal, sleep } from "./processes";
import { LauncherLostError, LauncherRequestError, processLauncher, type LauncherClient } from "./launcher/client";
import { processWatch, type ProcessWatch } from "./process-watch";
import { nextReadyProbeDelayMs } from "./probe-backoff";
import { fileAppearance } from "./file-appears";
import { leftoverTree, type ProcessRef } from "./process-table";
import { isGoneState, type ProcStat, type TreeUsage } from "./proc-stat";
import { ProgressLog } from "../progress-log";
import { toStateObject } from "../state";
import { withPlatform } from "../agent/agent-spec";
import { loadAgentZip, writeAgentZip } from "../agent/agent-bundle";
import type { PreparedResult } from "../agent/agent-phases";
import { describeAgentExit, runAgentProcess } from "./agent-process";
import { localAgentCommands } from "./agent-commands";
import { AgentProgressReader, launchJupyterPath } from "../agent/agent-progress";

/** Attempts with a fresh port when another process grabbed ours first (port_retries is 0). */
const MAX_PORT_ATTEMPTS = 3;
/** How long to wait for a process to disappear after SIGKILL. */
const KILL_WAIT_MS = 5000;
/** Rounds of find-and-kill for the leftovers of a spawn whose pid was never saved (killLeftovers). */
const LEFTOVER_PASSES = 3;
const SETPRIV = "/usr/bin/setpriv";
/** Launches of one server process before giving up, when the launcher dies before it answers. */
const LAUNCHER_ATTEMPTS = 2;

/** The blob the hub stores (see Spawner.getState). */
export interface LocalSpawnerState {
  pid?: number;
  /** the hub host's name, where the process runs (for the admin's pages) */
  host?: string;
  /** /proc/<pid>/stat field 22; with pid it identifies the process even after pid reuse */
  startTime?: number;
  port?: number;
  url?: string;
  logFile?: string;
  runtimeDir?: string;
  osUser?: string;
  uid?: number;
  gid?: number;
  /** "hub": the command is jupyterhub-singleuser, which logs its users in through the hub (usesHubAuth) */
  serverAuth?: "hub";
  /** a launch's agent while it prepares (pid + start time, like the server's) */
  agentPid?: number;
  agentStartTime?: number;
}

/** Progress band of a launch's agent run: fetch and environment come before the server starts. */
const AGENT_PROGRESS_RANGE: [number, number] = [8, 60];

/** Exit of a process we started ourselves (after a hub restart we no longer know the status). */
interface KnownExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Spawner for `spawner.kind: local`. See spawners/types.ts for the contract. */
export class LocalProcessSpawner implements Spawner {
  private state: LocalSpawnerState = {};
  private exit: KnownExit | null = null;
  /**
   * Settles when the launcher has reported the server's exit (then in `exit`) or can no longer
   * report it (it ended first); null when no report will come (a server adopted after a restart).
   */
  private exitReported: Promise<void> | null = null;
  /** the largest memory of the process tree this hub process has seen (usage()) */
  private peakMemoryBytes = 0;
  /** the sample the last stop took of the tree it stopped (usageAtStop) */
  private stopSample: UsageSample | null = null;
  private progressLog = new ProgressLog();
  private startCalled = false;
  private starting = false;
  private stopRequested = false;
  private stopping: Promise<void> | null = null;
  private startFailure: SpawnExit | null = null;
  /** state loaded from the database (a hub restart): the process may be frozen by a stop the old hub did not finish */
  private adopted = false;

  private readonly hubUid: number;
  private readonly pickPort: () => Promise<number>;
  private readonly watch: ProcessWatch;
  private readonly launcher: LauncherClient;
  private readonly signal: (pid: number, sig: NodeJS.Signals) => void;
  private readonly probe: typeof probeHttp;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly ctx: SpawnContext,
    private readonly config: LocalSpawnerConfig,
    /** seams for tests: the hub's uid, how a free port is chosen, the shared /proc reader, the process launcher, how signals are sent, the readiness probe, the wait between probes */
    deps: {
      hubUid?: number;
      pickPort?: () => Promise<number>;
      watch?: ProcessWatch;
      launcher?: LauncherClient;
      signal?: (pid: number, sig: NodeJS.Signals) => void;
      probe?: typeof probeHttp;
      sleep?: (ms: number) => Promise<void>;
    } = {},
  ) {
    this.hubUid = deps.hubUid ?? process.getuid?.() ?? -1;
    this.pickPort = deps.pickPort ?? pickFreePort;
    this.watch = deps.watch ?? processWatch;
    this.launcher = deps.launcher ?? processLauncher(ctx.log);
    this.signal = deps.signal ?? signal;
    this.probe = deps.probe ?? probeHttp;
    this.sleep = deps.sleep ?? sleep;
  }

  /** Starts the server and resolves once `GET <baseUrl>api` answers 200; throws SpawnError otherwise. */
  async start(): Promise<SpawnStarted> {
    if (this.startCalled) throw new SpawnError("This server was already started; stop it first.");
    // the hub may load the state of an earlier spawn first: stale state is fine, a live server is not
    if (await this.isAlive()) throw new SpawnError("A server from an earlier start is still running; stop it first.");
    this.adopted = false;
    this.startCalled = true;
    this.starting = true;
    try {
      this.progressLog.push(5, "Preparing the server's account and files");
      const command = resolveServerCommand(this.config);
      assertCommandExists(command[0]);
      const prefix = this.config.pythonEnvironment;
      const pythonEnvironment = prefix ? { prefix, conda: existsSync(`${prefix}/conda-meta`) } : undefined;
      const account = await this.resolveAccount();
      if (this.config.logDir.includes("{dataDir}")) throw new Error("spawner.local.logDir still contains {dataDir}: pass the resolved config");
      // Synchronous, as the runtime directory and the agent's zip: a few system calls each, where
      // the promise API's thread-pool round trips cost the hub more (bench/README.md phase 3m).
      mkdirSync(this.config.logDir, { recursive: true, mode: 0o700 });
      const logFile = buildLogFileName(this.config.logDir, this.ctx.user.name, this.ctx.serverName, this.ctx.spawnId);
      const runtimeDir = this.makeRuntimeDir(account);
      this.state = {
        logFile,
        runtimeDir,
        osUser: account.name,
        uid: account.uid,
        gid: account.gid,
        host: hostname(),
        ...(usesHubAuth(command) ? { serverAuth: "hub" as const } : {}),
      };
      const switching = this.hubUid === 0 && account.uid !== 0;
      // the agent's zip: the launch's prepare step and the server's Gyre extension (dashboard relay)
      const agentZip = await writeAgentZip({ dir: runtimeDir, owner: switching ? { uid: account.uid, gid: account.gid } : undefined });
      const socketPath = this.config.listen === "unix-socket" ? unixSocketPath(runtimeDir) : undefined;
      let notebookDir = resolveNotebookDir(this.config.notebookDir, { home: account.home, username: this.ctx.user.name });
      let launchEnv: Record<string, string> | undefined;
      if (this.ctx.launch) {
        const prepared = await this.prepareLaunch({ account, runtimeDir, logFile, command, pythonEnvironment, agentZip });
        notebookDir = prepared.dir;
        const jupyterPath = launchJupyterPath(prepared, { ...this.config.env, ...this.ctx.env }.JUPYTER_PATH);
        if (jupyterPath) launchEnv = { JUPYTER_PATH: jupyterPath };
      }

      for (let attempt = 1; ; attempt++) {
        const port = socketPath ? 0 : await this.pickPort();
        const url = socketPath ? `http+unix://${encodeURIComponent(socketPath)}` : `http://127.0.0.1:${port}`;
        this.throwIfStopRequested();
        this.progressLog.push(10, attempt === 1 ? "Starting server process" : `Starting server process (attempt ${attempt}: port taken, using ${port})`);
        const offset = existsSync(logFile) ? statSync(logFile).size : 0;
        const launch = buildServerLaunch({
          spawnId: this.ctx.spawnId,
          command,
          pythonEnvironment,
          extraArgs: this.config.args,
          port,
          socketPath,
          agentZip,
          baseUrl: this.ctx.baseUrl,
          notebookDir,
          defaultUrl: this.config.defaultUrl,
          runtimeDir,
          runAsRoot: account.uid === 0,
          switchUser: this.hubUid === 0 && account.uid !== 0 ? { uid: account.uid, gid: account.gid, setprivPath: SETPRIV } : null,
          account: { name: account.name, home: account.home, shell: account.shell },
          hubUser: this.ctx.user.name,
          serverName: this.ctx.serverName,
          token: this.ctx.token,
          apiToken: this.ctx.apiToken,
          hubEnv: process.env,
          envPassthrough: this.config.envPassthrough,
          configEnv: this.config.env,
          ctxEnv: this.ctx.env,
          launchEnv,
          // a launch's kernels start in its folder, as in BinderHub
          ...(this.ctx.launch ? { cwd: notebookDir } : {}),
        });
        await this.launch(launch, logFile, port, url);
        // stop() may have run while we launched: it saw no pid yet, so the catch below cleans up
        this.throwIfStopRequested();
        this.progressLog.push(40, `Server process started (pid ${this.state.pid})`);
        this.ctx.log.info({ pid: this.state.pid, port, osUser: account.name, logFile, command: launch.file }, "local server process started");

        const answer = await this.waitUntilAnswering(url);
        if (answer) {
          this.progressLog.push(80, "Server is answering");
          return answer === "ready" ? { url, ready: true } : { url };
        }
        this.throwIfStopRequested();
        const log = await readFileFrom(logFile, offset);
        if (!socketPath && isPortTakenLog(log, port) && attempt < MAX_PORT_ATTEMPTS) {
          await appendFile(logFile, `[gyre] port ${port} was taken by another process; retrying with a new port\n`);
          this.exit = null;
          continue;
        }
        throw new SpawnError(`${describeExit(this.exit)} while starting.`, await this.logTail());
      }
    } catch (e) {
      throw await this.failStart(e);
    } finally {
      this.starting = false;
      this.progressLog.close();
    }
  }

  /**
   * A hub restarted while the server process was coming up: wait for the same process (pid + start
   * time) until it answers or ends, as start() would have. null when no server process was
   * launched yet (a launch's agent still preparing: the hub starts over).
   */
  resume(): Promise<SpawnStarted> | null {
    const { pid, startTime, url } = this.state;
    if (this.startCalled || !pid || startTime === undefined || !url) return null;
    this.startCalled = true;
    this.starting = true;
    return (async () => {
      try {
        this.progressLog.push(40, `Following the server process (pid ${pid}) again`);
        await this.continueIfFrozen();
        const answer = await this.waitUntilAnswering(url);
        if (answer) {
          this.progressLog.push(80, "Server is answering");
          return answer === "ready" ? { url, ready: true } : { url };
        }
        this.throwIfStopRequested();
        throw new SpawnError(`${describeExit(this.exit)} while starting.`, await this.logTail());
      } catch (e) {
        throw await this.failStart(e);
      } finally {
        this.starting = false;
        this.progressLog.close();
      }
    })();
  }

  /** null while the server runs (or is still starting); else how it ended. */
  async poll(): Promise<SpawnExit | null> {
    const { pid, startTime } = this.state;
    if (this.starting) return null;
    if (this.startFailure) return this.startFailure;
    if (!pid || startTime === undefined) return { exitCode: null, reason: "The server has not been started." };
    if (this.exit) return { exitCode: this.exit.code, reason: describeExit(this.exit) + "." };
    if (this.adopted) await this.continueIfFrozen();
    if (await this.watch.isAlive({ pid, startTime })) return null;
    return { exitCode: null, reason: "The server process is no longer running." };
  }

  /**
   * SIGTERM to the server's process group, SIGKILL after stopGraceSeconds, then SIGKILL to any of
   * its descendants (kernels run in their own sessions) still alive. Resolves when all are gone.
   * Idempotent; concurrent calls share one stop.
   */
  stop(): Promise<void> {
    this.stopRequested = true;
    this.stopping ??= (async () => {
      await this.stopProcesses();
      await this.removeRuntimeDir();
    })().finally(() => {
      this.stopping = null;
    });
    return this.stopping;
  }

  getState(): JsonObject {
    return toStateObject(this.state);
  }

  /**
   * Once per adopted server: a stop freezes the server's group (SIGSTOP) for the few milliseconds
   * of its descendants lookup; a hub killed in between left it frozen, so the hub that adopts it
   * continues it (SIGCONT), as the stop would have. Only the same process (pid and start time).
   */
  private async continueIfFrozen(): Promise<void> {
    this.adopted = false;
    const { pid, startTime } = this.state;
    if (!pid || startTime === undefined) return;
    const stat = (await this.watch.read({ pids: [pid] })).get(pid);
    if (!stat || stat.startTime !== startTime || stat.state !== "T") return;
    this.ctx.log.warn({ pid }, "adopted server process was frozen (a stop interrupted by a hub restart); continuing it");
    this.signal(stat.pgrp === pid ? -pid : pid, "SIGCONT");
  }

  loadState(state: JsonObject): void {
    this.adopted = true;
    const num = (v: unknown) => (typeof v === "number" && Number.isInteger(v) ? v : undefined);
    const str = (v: unknown) => (typeof v === "string" && v ? v : undefined);
    this.state = {
      pid: num(state.pid),
      host: str(state.host),
      startTime: num(state.startTime),
      port: num(state.port),
      url: str(state.url),
      logFile: str(state.logFile),
      runtimeDir: str(state.runtimeDir),
      osUser: str(state.osUser),
      uid: num(state.uid),
      gid: num(state.gid),
      serverAuth: state.serverAuth === "hub" ? "hub" : undefined,
      agentPid: num(state.agentPid),
      agentStartTime: num(state.agentStartTime),
    };
  }

  progress(): AsyncIterable<ProgressEvent> {
    return this.progressLog.iterate();
  }

  /**
   * CPU time and memory of the server's process tree, from /proc. CPU is what the live processes
   * used plus the children they reaped (an ended kernel's CPU is in the server's); memory is the
   * tree's resident size, and the peak is the largest seen by this hub process or reported by one
   * process's high-water mark. null once the server is gone (the hub keeps what it stored).
   */
  async usage(): Promise<UsageSample | null> {
    const { pid, startTime } = this.state;
    if (this.exit || !pid || startTime === undefined) return null;
    const sum = await this.watch.treeUsage({ pid, startTime });
    return sum && this.sampleOf(sum);
  }

  /**
   * The sample the last stop() took of the server's process tree while it was frozen, just before
   * SIGTERM: as usage() then would have, without a walk of the tree of its own (the stop reads the
   * tree anyway to find the kernels). null when that stop found no server running.
   */
  usageAtStop(): UsageSample | null {
    return this.stopSample;
  }

  private sampleOf(sum: TreeUsage): UsageSample {
    this.peakMemoryBytes = Math.max(this.peakMemoryBytes, sum.rssBytes, sum.largestProcessPeakBytes);
    return { cpuSeconds: sum.cpuSeconds, peakMemoryBytes: this.peakMemoryBytes, source: "proc", final: false };
  }

  async logTail(lines = 40): Promise<string> {
    if (!this.state.logFile) return "";
    const tail = await readFileTail(this.state.logFile, lines);
    return this.ctx.token ? tail.replaceAll(this.ctx.token, "[token]") : tail;
  }

  // --- internals -----------------------------------------------------------------------------

  /** A start (or resume) that failed: leave nothing half-started; the error to throw. */
  private async failStart(e: unknown): Promise<SpawnError> {
    const err = e instanceof SpawnError ? e : new SpawnError(`The server could not be started: ${(e as Error).message}`);
    if (err.logTail === undefined) Object.assign(err, { logTail: await this.logTail() });
    this.ctx.log.warn({ err: err.message }, "local server failed to start");
    this.startFailure = { exitCode: this.exit?.code ?? null, reason: err.message };
    // kill whatever is left and drop the runtime dir
    await this.stopProcesses().catch(() => {});
    await this.removeRuntimeDir().catch(() => {});
    return err;
  }

  /**
   * The account the server runs as: the user's OS account (ctx.user.osUser, resolved by the hub)
   * when the hub is root; otherwise the hub's own, since only root can switch accounts.
   */
  private async resolveAccount(): Promise<PasswdEntry> {
    if (this.hubUid !== 0) {
      const me = userInfo();
      return { name: me.username, uid: me.uid, gid: me.gid, home: me.homedir, shell: me.shell ?? "/bin/sh" };
    }
    const name = this.ctx.user.osUser;
    const entry = await resolveOsUser(name, this.config.createOsUsers);
    if (entry.uid === 0) throw new SpawnError(`Refusing to run a server as root (OS account "${name}" has uid 0).`);
    const minimum = this.config.minimumUid ?? systemUidMin();
    if (entry.uid < minimum) {
      throw new SpawnError(
        `Refusing to run a server as the system account "${name}" (uid ${entry.uid}): servers run only as accounts with uid ${minimum} or above (spawner.local.minimumUid). Check the OS account mapping (hub.osUserTemplate, hub.osUserMapFile).`,
      );
    }
    return entry;
  }

  /** A fresh 0700 directory for JUPYTER_RUNTIME_DIR, owned by the account (mkdtemp: no pre-creation race). */
  private makeRuntimeDir(account: PasswdEntry): string {
    const dir = mkdtempSync(join(tmpdir(), runtimeDirPrefix(this.ctx.user.name)));
    if (this.hubUid === 0) chownSync(dir, account.uid, account.gid);
    return dir;
  }

  /**
   * Forks the server through the hub's process launcher (launcher/client.ts), not the hub: its
   * output goes to the log file, no pipe ties it to the hub or the launcher. A launcher that dies
   * before it answers may or may not have started the process: its leftovers (found by
   * GYRE_SPAWN_ID) are killed and the launch is tried once more with a new launcher.
   */
  private async launch(launch: ServerLaunch, logFile: string, port: number, url: string): Promise<void> {
    this.exit = null;
    this.exitReported = null;
    for (let attempt = 1; ; attempt++) {
      try {
        let reported = () => {};
        const report = new Promise<void>((resolve) => (reported = resolve));
        const { pid, startTime } = await this.launcher.spawn({ file: launch.file, args: launch.args, env: launch.env, cwd: launch.cwd, logFile }, (exit) => {
          if (exit) this.exit = exit;
          reported();
        });
        this.exitReported = report;
        this.state = { ...this.state, pid, startTime, ...(port ? { port } : {}), url };
        return;
      } catch (e) {
        if (e instanceof LauncherRequestError) throw new SpawnError(`The server command ${launch.file} could not be run (${e.message}).`);
        if (!(e instanceof LauncherLostError) || attempt >= LAUNCHER_ATTEMPTS) throw e;
        this.ctx.log.warn({ err: e.message }, "the process launcher died while starting a server; killing what it may have started and trying again");
        await this.killLeftovers();
      }
    }
  }

  /**
   * Waits until the server answers HTTP: "ready" once it passes the hub's readiness check
   * (`GET <baseUrl>api/status` with the probe token: 200), which the hub then does not repeat;
   * "answering" when it answers something else (the hub's own check goes on from there, as for
   * every kind); false when the process ended first.
   */
  private async waitUntilAnswering(serverUrl: string): Promise<"ready" | "answering" | false> {
    const url = `${serverUrl}${this.ctx.baseUrl}api/status`;
    // the token the hub's check sends (worker.ts probeToken): a hub-auth server checks its API token with the hub
    const headers = { authorization: `token ${this.state.serverAuth === "hub" ? this.ctx.apiToken : this.ctx.token}` };
    // A server on a unix socket cannot answer before its socket file exists: until then a stat
    // stands for the probe (in a storm of 100 starts most probes found no socket yet), and the
    // socket's creation ends the wait at once (inotify) rather than at the next back-off step.
    // The socket is in the server's own 0700 runtime dir: once it is there, the probe comes
    // before the liveness check, which waits for the shared /proc read's next cycle (≤ 50 ms).
    const unix = /^http\+unix:\/\/([^/]+)$/.exec(serverUrl);
    const socketPath = unix ? decodeURIComponent(unix[1]) : null;
    const appearance = socketPath ? fileAppearance(socketPath) : null;
    let socketThere = false;
    let delay: number | null = null;
    try {
      for (;;) {
        if (this.stopRequested) return false;
        if (socketPath && !socketThere && existsSync(socketPath)) {
          socketThere = true;
          // bound but maybe not listening yet: probe again soon, not at the back-off reached so far
          delay = null;
        }
        if (!socketThere && !(await this.isAlive())) return false;
        const status = socketPath && !socketThere ? null : await this.probe(url, headers, 1000);
        if (status === 200) return "ready";
        if (status !== null) return "answering";
        if (socketThere && (this.stopRequested || !(await this.isAlive()))) return false;
        delay = nextReadyProbeDelayMs(delay);
        const wait = this.sleep(delay);
        await (appearance && !socketThere ? appearance.raceWith(wait) : wait);
      }
    } finally {
      appearance?.close();
    }
  }

  private async isAlive(): Promise<boolean> {
    const { pid, startTime } = this.state;
    if (this.exit || !pid || startTime === undefined) return false;
    return this.watch.isAlive({ pid, startTime });
  }

  private throwIfStopRequested(): void {
    if (this.stopRequested) throw new SpawnError("The server was stopped before it finished starting.");
  }

  /**
   * Ends the server and its descendants. The server's group is frozen (SIGSTOP) while its
   * descendants are read from its tree's children files, so it cannot start a kernel the lookup
   * misses; then SIGTERM, which it handles once continued (SIGCONT), and SIGKILL after
   * stopGraceSeconds. Its end is the launcher's exit report, not /proc polls (those only for a
   * server adopted after a hub restart or whose launcher died). Kernels (own sessions) the server
   * left behind are killed afterwards, with whatever they started since the lookup.
   */
  private async stopProcesses(): Promise<void> {
    this.stopSample = null;
    const { agentPid, agentStartTime } = this.state;
    if (agentPid && agentStartTime !== undefined) await this.killTree(agentPid, agentStartTime);
    const { pid, startTime } = this.state;
    if (!pid && !this.startCalled) return this.killLeftovers();
    if (!pid || startTime === undefined) return;
    // A server that ended before the stop (crashed, killed) left its kernels orphaned: no tree
    // leads to them any more, the spawn id in their environment does.
    if (this.exit) return this.killLeftovers();
    const server: ProcessRef = { pid, startTime };
    // the server's own stat file, read with those of the other servers stopping in this cycle
    const stat = (await this.watch.read({ pids: [pid] })).get(pid);
    if (this.exit || !stat || stat.startTime !== startTime || isGoneState(stat.state)) return this.killLeftovers();
    // detached → setsid → the server leads its own group; only signal the group if that still holds
    const target = stat.pgrp === pid ? -pid : pid;
    const send = this.signal;
    send(target, "SIGSTOP");
    let descendants: ProcStat[];
    try {
      descendants = await this.watch.descendantsOf(pid);
      this.sampleFrozenTree(stat, descendants);
    } finally {
      send(target, "SIGTERM");
      send(target, "SIGCONT");
    }
    if (!(await this.waitForExit(server, this.config.stopGraceSeconds * 1000))) {
      this.ctx.log.warn({ pid }, "local server ignored SIGTERM; sending SIGKILL");
      send(target, "SIGKILL");
      await this.waitForExit(server, KILL_WAIT_MS);
    }
    if (!descendants.length) return;
    // kernels (own sessions) the server did not shut down, e.g. because it was killed
    const after = await this.watch.read({ pids: descendants.map((d) => d.pid) });
    const outlived = descendants.filter((d) => after.isAlive(d));
    if (!outlived.length) return;
    // one read of every process, only now: what the leftovers started since the lookup goes too
    const table = await this.watch.snapshot();
    const left = new Map<number, ProcStat>();
    for (const d of outlived) {
      if (!table.isAlive(d)) continue;
      left.set(d.pid, d);
      for (const c of table.descendants(d.pid)) left.set(c.pid, c);
    }
    for (const d of left.values()) send(d.pgrp === d.pid ? -d.pid : d.pid, "SIGKILL");
    if (left.size) await this.watch.waitUntilGone([...left.values()], KILL_WAIT_MS);
  }

  /**
   * The last usage sample (usageAtStop), from the frozen tree the stop has just read: its members'
   * memory is all that is read for it. A failure only loses the sample, never the stop. Final:
   * once the tree is gone there is nothing left to read (usage() answers null), so the hub settles
   * the run's record at the stop instead of asking again a minute later.
   */
  private sampleFrozenTree(server: ProcStat, descendants: ProcStat[]): void {
    try {
      const sum = this.watch.usageOf([server, ...descendants]);
      this.stopSample = sum && { ...this.sampleOf(sum), final: true };
    } catch (err) {
      this.ctx.log.warn({ err }, "could not sample the server's usage at its stop");
    }
  }

  /**
   * true once the server process has ended, false while it still runs after `ms`. The launcher
   * reports the exit of a server it started; /proc is polled (every cycle of the shared watch)
   * only when no report will come: a server adopted after a hub restart, or whose launcher died.
   */
  private async waitForExit(server: ProcessRef, ms: number): Promise<boolean> {
    const end = Date.now() + ms;
    if (this.exit) return true;
    if (this.exitReported) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        this.exitReported.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), ms);
        }),
      ]);
      clearTimeout(timer);
      if (this.exit) return true;
      if (timedOut) return false;
      // the launcher ended before the server: no report will come
    }
    return this.watch.waitUntilGone([server], Math.max(0, end - Date.now()));
  }

  /**
   * A launch's first step: the agent's `prepare` as the server's account (fetch the commit into
   * the launch's folder, build or reuse its environment). Its phase lines become progress; other
   * output goes to the server's log. Resolves with the prepared result; SpawnError with the
   * agent's reason otherwise. The agent enforces its own fetch and build limits.
   */
  private async prepareLaunch(o: {
    account: PasswdEntry;
    runtimeDir: string;
    logFile: string;
    command: string[];
    pythonEnvironment?: { prefix: string; conda: boolean };
    agentZip: string;
  }): Promise<PreparedResult> {
    const launch = this.ctx.launch!;
    const switching = this.hubUid === 0 && o.account.uid !== 0;
    const owner = switching ? { uid: o.account.uid, gid: o.account.gid } : undefined;
    this.progressLog.push(AGENT_PROGRESS_RANGE[0], "Preparing the launch", { phase: "fetching" });
    const agentZip = o.agentZip;
    const specFile = join(o.runtimeDir, "launch-spec.json");
    await writeFile(specFile, JSON.stringify(withPlatform(launch.spec, "local")), { mode: 0o600, flag: "wx" });
    if (owner) await chown(specFile, owner.uid, owner.gid);
    const agent = buildAgentLaunch({
      python: resolveAgentPython({ command: o.command, pythonEnvironment: o.pythonEnvironment, shebang: readShebang(o.command[0]) }),
      agentZip,
      specFile,
      switchUser: switching ? { uid: o.account.uid, gid: o.account.gid, setprivPath: SETPRIV } : null,
      account: { name: o.account.name, home: o.account.home, shell: o.account.shell },
      hubEnv: process.env,
      envPassthrough: this.config.envPassthrough,
      configEnv: this.config.env,
      pythonEnvironment: o.pythonEnvironment,
    });
    const reader = new AgentProgressReader({ range: AGENT_PROGRESS_RANGE });
    const exit = await runAgentProcess({
      launch: agent,
      logFile: o.logFile,
      reader,
      onProgress: (ev) => this.progressLog.push(ev.progress, ev.message, ev),
      onSpawn: (pid) => {
        void readProcStat(pid).then((stat) => {
          if (stat) this.state = { ...this.state, agentPid: pid, agentStartTime: stat.startTime };
        });
      },
    });
    this.state = { ...this.state, agentPid: undefined, agentStartTime: undefined };
    this.throwIfStopRequested();
    if (exit.code === 0 && reader.result) return reader.result;
    if (reader.failure) throw new SpawnError(reader.failure.message, reader.failure.logTail ?? (await this.logTail()));
    throw new SpawnError(`The launch agent ended without preparing the launch (${describeAgentExit(exit)}).`, await this.logTail());
  }

  /**
   * A spawn taken over from a hub that died between forking the server and saving its pid: the
   * state has no pid, yet the process may run. Found by its GYRE_SPAWN_ID and killed, so the spawn
   * starts again without leaving a second process of it behind. The marker is no secret and any
   * process may carry it (a user's own, inherited by what they start, sudo -E, a set-user-ID
   * program), so only processes running wholly as the server's account are killed — the leftover,
   * its descendants and the members of its process groups alike — one by one, never whole groups.
   */
  private async killLeftovers(): Promise<void> {
    const uid = await this.leftoverAccountUid();
    if (uid === null) return;
    // a process forked between the read and the kills carries the marker too: the next pass finds it
    for (let pass = 0; pass < LEFTOVER_PASSES; pass++) {
      const found = await this.watch.findByEnv(SPAWN_ID_ENV, this.ctx.spawnId, uid);
      if (!found.length) return;
      const table = await this.watch.snapshot();
      const tree = new Map<number, ProcessRef>();
      for (const p of found) {
        if (!table.isAlive(p)) continue;
        for (const t of leftoverTree(table, p.pid)) tree.set(t.pid, { pid: t.pid, startTime: t.startTime });
      }
      const own = new Set(this.watch.runningOnlyAs([...tree.keys()], uid));
      const targets = [...tree.values()].filter((p) => own.has(p.pid));
      if (!targets.length) return;
      for (const p of targets) {
        this.ctx.log.warn({ pid: p.pid, uid, spawnId: this.ctx.spawnId }, "killing a server process of this spawn whose pid was never saved");
        this.signal(p.pid, "SIGKILL");
      }
      await this.watch.waitUntilGone(targets, KILL_WAIT_MS);
    }
  }

  /**
   * The account whose processes a leftover of this spawn can be: the one stored with the spawn,
   * else the one start() would use (the hub's own when it is not root). null when there is none:
   * no account, or root (servers never run as root under a root hub).
   */
  private async leftoverAccountUid(): Promise<number | null> {
    let uid = this.state.uid;
    if (uid === undefined) {
      if (this.hubUid !== 0) uid = this.hubUid;
      else uid = (await lookupOsUser(this.ctx.user.osUser).catch(() => null))?.uid;
    }
    if (uid === undefined || uid < 0 || (uid === 0 && this.hubUid === 0)) return null;
    return uid;
  }

  /** SIGKILL to a process we started (if it is still that process), its group and its descendants. */
  private async killTree(pid: number, startTime: number): Promise<void> {
    const table = await this.watch.snapshot();
    if (!table.isAlive({ pid, startTime })) return;
    const descendants = table.descendants(pid);
    this.signal(-pid, "SIGKILL");
    for (const d of descendants) this.signal(d.pgrp === d.pid ? -d.pid : d.pid, "SIGKILL");
    await this.watch.waitUntilGone([{ pid, startTime }], KILL_WAIT_MS);
  }

  private async removeRuntimeDir(): Promise<void> {
    const dir = this.state.runtimeDir;
    // the path comes from stored state: only ever remove one of our own mkdtemp directories
    if (!dir || !ownRuntimeDir().test(dir) || dir.includes("..")) return;
    const { uid, gid } = this.state;
    if (this.hubUid === 0 && uid !== undefined && uid !== 0 && gid !== undefined) {
      // the directory belongs to the user: removed with the user's rights only (by the launcher,
      // so the hub is not forked for it). Root never walks it: the user can swap any part of it
      // for a symlink meanwhile. What the user could not remove stays for the system's tmp cleaner.
      const code = await this.launcher.remove({ dir, uid, gid }).catch((e: Error) => e.message);
      if (code !== 0) this.ctx.log.warn({ dir, status: code }, "runtime directory not (fully) removed as its user");
      return;
    }
    await rm(dir, { recursive: true, force: true }).catch(() => {});
  }
}

/**
 * The server's socket in its runtime dir. A unix socket path holds at most 107 bytes (sun_path):
 * a long TMPDIR is refused with the reason rather than failing inside Jupyter.
 */
function unixSocketPath(runtimeDir: string): string {
  const path = join(runtimeDir, "jupyter.sock");
  if (Buffer.byteLength(path) > 107) {
    throw new SpawnError(
      `The server's socket path ${path} is longer than the 107 bytes a unix socket allows: set a shorter TMPDIR for the hub, or spawner.local.listen: loopback-port.`,
    );
  }
  return path;
}

/** "The server exited with status 1" / "…was killed by SIGKILL …" */
function describeExit(exit: KnownExit | null): string {
  if (!exit) return "The server process ended";
  if (exit.signal === "SIGKILL") return "The server was killed by SIGKILL (out of memory, or stopped by an administrator)";
  if (exit.signal) return `The server was stopped by ${exit.signal}`;
  if (exit.code === 0) return "The server exited (status 0)";
  if (exit.code === 126 || exit.code === 127) return `The server exited with status ${exit.code} (its command could not be run; check spawner.local.command)`;
  return `The server exited with status ${exit.code} (its log usually says why)`;
}

/** First line of a script ("#!/usr/bin/python3"), "" when it is not one or cannot be read. */
function readShebang(file: string): string {
  let fd: number | undefined;
  try {
    fd = openSync(file, "r");
    const buf = Buffer.alloc(200);
    const head = buf.subarray(0, readSync(fd, buf, 0, 200, 0)).toString("latin1");
    return head.startsWith("#!") ? head.split("\n")[0] : "";
  } catch {
    return "";
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Fails early and clearly for an absolute command path that is not there (bare names go through PATH). */
function assertCommandExists(file: string): void {
  if (!file.startsWith("/")) return;
  try {
    accessSync(file, fsc.X_OK);
  } catch {
    throw new SpawnError(
      `The server command ${file} does not exist or is not executable (spawner.local.command, or bin/jupyter of spawner.local.pythonEnvironment).`,
    );
  }
}

let runtimeDirPattern: RegExp | null = null;

/**
 * The names of the runtime dirs this hub makes (mkdtemp in os.tmpdir()), built at the first stop.
 * The hub's TMPDIR is taken as fixed from then on, as the launcher takes it at its start
 * (protocol.ts refuses removals elsewhere): each tmpdir() reads three environment variables
 * through Node's safe getenv, five system calls each (the process's ids and capabilities), ~20 µs,
 * and a fresh RegExp as much: 1.3% of a profiled 100-stop storm (bench/README.md, phase 3t).
 */
function ownRuntimeDir(): RegExp {
  return (runtimeDirPattern ??= new RegExp(`^${escapeRegExp(tmpdir())}/${RUNTIME_DIR_PREFIX}[A-Za-z0-9_.-]+-[A-Za-z0-9]{6}$`));
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The local kind started for one hub (spawners/local/kind.ts): logs go under the hub's data dir. */
export function startLocalSpawners(config: LocalSpawnerConfig, services: HubServices): SpawnerKindRuntime {
  const resolved = { ...config, logDir: config.logDir.replaceAll("{dataDir}", services.dataDir), minimumUid: config.minimumUid ?? systemUidMin() };
  // one launcher for the hub, its deaths logged by the hub's logger rather than one spawn's
  const launcher = processLauncher(services.log);
  launcher.warm();
  // the agent's zip every server gets, built now rather than by the first start of a storm (its
  // deflate was 3% of a storm of 20 starts); a failure is the first start's to report again
  loadAgentZip().catch((err: Error) => services.log.warn({ err: err.message }, "could not build the agent's zip; starts will try again"));
  return { create: (ctx) => new LocalProcessSpawner(ctx, resolved, { launcher }), agentCommands: localAgentCommands(resolved, { launcher }) };
}
