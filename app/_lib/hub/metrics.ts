// The hub's Prometheus metrics (GET /hub/metrics), with JupyterHub's names where the concept is the
// same (jupyterhub/metrics.py: spawn and stop durations by status, poll durations, running servers,
// users, active users by period, request durations) and Gyre's own under gyre_hub_ (queue wait of
// batch jobs, singleton leases). The hot paths only observe histograms through cached children; the
// counts (servers, users, leases) are read from the database when the metrics are scraped, never per
// request. One instance per hub process, in the runtime (app/server.ts, app/_lib/testing/hub.ts).
import { Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** JupyterHub's ServerSpawnStatus values Gyre produces. */
export type SpawnStatus = "success" | "failure";
/** JupyterHub's ServerStopStatus. */
export type StopStatus = "success" | "failure";
/** JupyterHub's ServerPollStatus: the server is running, or it was found stopped. */
export type PollStatus = "running" | "stopped";

/** JupyterHub's active-user periods (ActiveUserPeriods), with their length in seconds. */
export const ACTIVE_USER_PERIODS = { "24h": 24 * 3600, "7d": 7 * 24 * 3600, "30d": 30 * 24 * 3600 } as const;
export type ActiveUserPeriod = keyof typeof ACTIVE_USER_PERIODS;

/** What the scrape reads from the database (one query each, at scrape time only). */
export interface HubCounts {
  runningServers: number;
  totalUsers: number;
  activeUsers: Record<ActiveUserPeriod, number>;
  /** singleton lease → the replica holding it (unexpired leases only) */
  leases: { name: string; holder: string }[];
  /** hub replicas whose heartbeat is fresh */
  liveReplicas: number;
}

/** JupyterHub's spawn buckets (metrics.py, 5.x), in seconds; prom-client adds +Inf. */
const SPAWN_BUCKETS = [0.5, 1, 2.5, 5, 10, 15, 30, 60, 120, 180, 300, 600];
/** Batch queues wait from seconds to days. */
const QUEUE_WAIT_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400, 43200, 86400];

export class HubMetrics {
  readonly registry = new Registry();
  private readonly spawnDuration: Histogram<"status">;
  private readonly stopDuration: Histogram<"status">;
  private readonly pollDuration: Histogram<"status">;
  private readonly requestDuration: Histogram<"method" | "handler" | "code">;
  private readonly queueWait: Histogram<"cluster" | "queue">;
  /** request histogram children by "METHOD handler code": prom-client's labels() hashes its arguments on every call */
  private readonly requestChildren = new Map<string, { observe(v: number): void }>();

  private latest: HubCounts = { runningServers: 0, totalUsers: 0, activeUsers: { "24h": 0, "7d": 0, "30d": 0 }, leases: [], liveReplicas: 0 };

  /** `counts`: read at each scrape (the thin I/O part: app/_lib/hub/metrics-counts.ts) */
  constructor(private readonly counts: () => Promise<HubCounts>) {
    const registers = [this.registry];
    // The event loop's delay sampled every 100 ms, not prom-client's 10: its timer woke the process
    // 100 times a second, ~2.4 ms of CPU per second of an idle hub (bench/README.md, phase 3y).
    collectDefaultMetrics({ register: this.registry, prefix: "gyre_hub_", eventLoopMonitoringPrecision: 100 });
    this.spawnDuration = new Histogram({
      name: "jupyterhub_server_spawn_duration_seconds",
      help: "Time from a server's start request to the server ready (success) or given up (failure).",
      labelNames: ["status"],
      buckets: SPAWN_BUCKETS,
      registers,
    });
    this.stopDuration = new Histogram({
      name: "jupyterhub_server_stop_seconds",
      help: "Time taken for a server to stop, from the worker taking up the stop.",
      labelNames: ["status"],
      registers,
    });
    this.pollDuration = new Histogram({
      name: "jupyterhub_server_poll_duration_seconds",
      help: "Time taken to poll whether a server is still running, by the answer.",
      labelNames: ["status"],
      registers,
    });
    this.requestDuration = new Histogram({
      name: "jupyterhub_request_duration_seconds",
      help: "Duration of the hub's HTTP requests, by method, route template (handler) and status code.",
      labelNames: ["method", "handler", "code"],
      registers,
    });
    this.queueWait = new Histogram({
      name: "gyre_hub_batch_queue_wait_seconds",
      help: "How long a server's batch job waited in the scheduler's queue (submission to running), by cluster and queue or partition.",
      labelNames: ["cluster", "queue"],
      buckets: QUEUE_WAIT_BUCKETS,
      registers,
    });
    // every status exists from the start (JupyterHub does the same), so dashboards and alerts see zeros
    for (const status of ["success", "failure"]) {
      this.spawnDuration.zero({ status });
      this.stopDuration.zero({ status });
    }
    for (const status of ["running", "stopped"]) this.pollDuration.zero({ status });

    // render() reads the counts once per scrape; each gauge's collect() takes its figure from them
    const read = () => this.latest;
    new Gauge({
      name: "jupyterhub_running_servers",
      help: "The number of user servers currently running.",
      registers,
      collect() {
        this.set(read().runningServers);
      },
    });
    new Gauge({
      name: "jupyterhub_total_users",
      help: "Total number of users.",
      registers,
      collect() {
        this.set(read().totalUsers);
      },
    });
    new Gauge({
      name: "jupyterhub_active_users",
      help: "Number of users active in a recent period (last activity within it).",
      labelNames: ["period"],
      registers,
      collect() {
        const c = read();
        for (const p of Object.keys(ACTIVE_USER_PERIODS) as ActiveUserPeriod[]) this.labels(p).set(c.activeUsers[p]);
      },
    });
    new Gauge({
      name: "gyre_hub_lease_holder",
      help: "The hub replica holding each singleton job's lease (1 per unexpired lease; culler, cleanup, usage-rollup, usage-settle).",
      labelNames: ["lease", "replica"],
      registers,
      collect() {
        this.reset();
        for (const l of read().leases) this.labels(l.name, l.holder).set(1);
      },
    });
    new Gauge({
      name: "gyre_hub_replicas",
      help: "Hub replicas with a fresh heartbeat.",
      registers,
      collect() {
        this.set(read().liveReplicas);
      },
    });
  }

  /** A start ended: ready (success) or given up (failure), `seconds` after it was requested. */
  observeSpawn(status: SpawnStatus, seconds: number): void {
    this.spawnDuration.labels(status).observe(seconds);
  }

  /** A stop ended. */
  observeStop(status: StopStatus, seconds: number): void {
    this.stopDuration.labels(status).observe(seconds);
  }

  /** A poll of a running server answered. */
  observePoll(status: PollStatus, seconds: number): void {
    this.pollDuration.labels(status).observe(seconds);
  }

  /** A batch job started running after waiting `seconds` in `queue` ("" when the site's default queue) of `cluster`. */
  observeQueueWait(cluster: string, queue: string, seconds: number): void {
    this.queueWait.labels(cluster, queue || "default").observe(seconds);
  }

  /** One finished HTTP request; `handler` must come from a bounded set (requestHandlerLabel). */
  observeRequest(method: string, handler: string, code: number, seconds: number): void {
    const key = `${method} ${handler} ${code}`;
    let child = this.requestChildren.get(key);
    if (!child) {
      child = this.requestDuration.labels(method, handler, String(code));
      this.requestChildren.set(key, child);
    }
    child.observe(seconds);
  }

  /** The text exposition format. */
  async render(): Promise<{ contentType: string; body: string }> {
    this.latest = await this.counts();
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
