// Managed services: the hub starts each service that has a command, as its OS account (never
// root), keeps it running (restarts it when it exits, with backoff) and stops it with the hub.
// With several hub replicas only the holder of the "services" lease runs them; a replica that
// loses the lease stops its copies. Argument arrays only, never a shell.
import { spawn, type ChildProcess } from "node:child_process";
import { lookupOsUser } from "@/spawners/local/os-user";
import type { Logger } from "../log";
import type { RoleConfig } from "@/config/roles-section";
import { buildServiceRegistry, type ResolvedService } from "./registry";
import { servicePidTable } from "./service-pids";
import { buildServiceEnv, restartDelayMs, RESTART_RESET_AFTER_MS } from "./service-env";

const SETPRIV = "/usr/bin/setpriv";
/** how long a service may take to exit after SIGTERM before it is killed */
const STOP_GRACE_MS = 5_000;

export interface SupervisorOptions {
  services: readonly ResolvedService[];
  /** the config's roles (a service's deprecated oauthRoles name them) */
  roles?: readonly RoleConfig[];
  hubApiUrl: string;
  publicUrl: string | null;
  log: Logger;
  /** whether this replica may run them now (holds the "services" lease) */
  mayRun(): boolean;
  /** how often mayRun() is asked */
  checkEveryMs?: number;
}

interface Running {
  child: ChildProcess | null;
  startedAt: number;
  failures: number;
  timer: NodeJS.Timeout | null;
  stopping: boolean;
}

export class ServiceSupervisor {
  private readonly running = new Map<string, Running>();
  private timer: NodeJS.Timeout | null = null;
  private active = false;

  constructor(private readonly opts: SupervisorOptions) {}

  get managed(): ResolvedService[] {
    return this.opts.services.filter((s) => s.command);
  }

  /** Starts the services whenever this replica may run them, from now on. */
  start(): void {
    if (!this.managed.length) return;
    const check = () => {
      const may = this.opts.mayRun();
      if (may && !this.active) {
        this.active = true;
        for (const s of this.managed) this.launch(s);
      } else if (!may && this.active) {
        this.opts.log.warn("this hub replica no longer holds the services lease: stopping its managed services");
        void this.stopAll();
      }
    };
    check();
    this.timer = setInterval(check, this.opts.checkEveryMs ?? 1000);
    this.timer.unref();
  }

  /** Stops every managed service (the hub is shutting down, or lost the lease). */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.stopAll();
  }

  private async stopAll(): Promise<void> {
    this.active = false;
    await Promise.all([...this.running.keys()].map((name) => this.stop(name)));
  }

  private launch(s: ResolvedService): void {
    const state: Running = this.running.get(s.name) ?? { child: null, startedAt: 0, failures: 0, timer: null, stopping: false };
    state.stopping = false;
    this.running.set(s.name, state);
    void this.spawnOnce(s, state).catch((err: Error) => {
      this.opts.log.error({ service: s.name, err: err.message }, "managed service could not be started");
      this.scheduleRestart(s, state);
    });
  }

  private async spawnOnce(s: ResolvedService, state: Running): Promise<void> {
    const account = await lookupOsUser(s.user!);
    if (!account) throw new Error(`services: the OS account "${s.user}" of service ${s.name} does not exist`);
    if (account.uid === 0) throw new Error(`services: service ${s.name} would run as root (account "${s.user}"); refused`);
    const hubUid = process.getuid?.() ?? -1;
    if (hubUid !== 0 && hubUid !== account.uid)
      throw new Error(`services: the hub runs as uid ${hubUid}, not root, so it cannot run service ${s.name} as "${s.user}"`);
    if (state.stopping) return;
    const env = buildServiceEnv({
      name: s.name,
      url: s.url ?? null,
      apiToken: s.apiToken,
      hubApiUrl: this.opts.hubApiUrl,
      publicUrl: this.opts.publicUrl,
      account,
      extra: s.environment,
      oauth: buildServiceRegistry([s], this.opts.roles ?? []).list[0].oauth,
    });
    const argv = s.command!;
    const [file, args] =
      hubUid === 0 ? [SETPRIV, [`--reuid=${account.uid}`, `--regid=${account.gid}`, "--init-groups", "--", ...argv]] : [argv[0], argv.slice(1)];
    const child = spawn(file, args, { env: env as NodeJS.ProcessEnv, cwd: s.cwd ?? account.home, stdio: ["ignore", "pipe", "pipe"], detached: true });
    state.child = child;
    state.startedAt = Date.now();
    const log = this.opts.log.child({ service: s.name });
    child.stdout?.on("data", (b: Buffer) => log.info({ out: b.toString().trimEnd() }, "service output"));
    child.stderr?.on("data", (b: Buffer) => log.info({ err: b.toString().trimEnd() }, "service output"));
    child.once("spawn", () => {
      servicePidTable().set(s.name, child.pid ?? 0);
      log.info({ pid: child.pid, account: account.name }, "managed service started");
    });
    child.once("error", (err) => log.error({ err: err.message }, "managed service failed to start"));
    child.once("close", (code, signal) => {
      servicePidTable().delete(s.name);
      state.child = null;
      if (state.stopping) return;
      if (Date.now() - state.startedAt > RESTART_RESET_AFTER_MS) state.failures = 0;
      log.warn({ code, signal }, "managed service exited; restarting it");
      this.scheduleRestart(s, state);
    });
  }

  private scheduleRestart(s: ResolvedService, state: Running): void {
    if (state.stopping || !this.active) return;
    state.failures++;
    state.timer = setTimeout(() => {
      state.timer = null;
      if (this.active && !state.stopping) this.launch(s);
    }, restartDelayMs(state.failures));
    state.timer.unref();
  }

  private async stop(name: string): Promise<void> {
    const state = this.running.get(name);
    if (!state) return;
    state.stopping = true;
    if (state.timer) clearTimeout(state.timer);
    const child = state.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const closed = new Promise<void>((res) => child.once("close", () => res()));
    killGroup(child, "SIGTERM");
    const timer = setTimeout(() => killGroup(child, "SIGKILL"), STOP_GRACE_MS);
    await closed;
    clearTimeout(timer);
  }
}

/** The service and whatever it started (it leads its own process group: spawned detached). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}
