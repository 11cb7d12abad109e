// Prometheus metrics for the proxy (GET /metrics on the internal port). The hot path only
// bumps plain numbers (request and error counts) or pre-created histogram children; the
// counters are copied into prom-client when scraped (collect()), so no label lookup or
// prom-client call happens per request for them.
import { Registry, Counter, Histogram, Gauge, collectDefaultMetrics } from "prom-client";

/** Where a request went: the hub (or a plain CHP route), a user server, a dashboard port, a service, or nowhere (answered by the proxy). */
export type RouteClass = "hub" | "user" | "dashboard" | "service" | "none";
const CLASSES: RouteClass[] = ["hub", "user", "dashboard", "service", "none"];
const STATUS_CLASSES = ["1xx", "2xx", "3xx", "4xx", "5xx"] as const;
const CLASS_INDEX: Record<RouteClass, number> = { hub: 0, user: 1, dashboard: 2, service: 3, none: 4 };

/** The proxy's metric set, on its own registry. */
export class ProxyMetrics {
  readonly registry = new Registry();
  /** requests by [class index * 5 + status class index] */
  private readonly requestCounts = new Float64Array(CLASSES.length * STATUS_CLASSES.length);
  private readonly upstreamErrorCounts = new Float64Array(CLASSES.length);
  private readonly latencyChildren: Record<string, { observe(v: number): void }> = {};
  readonly openWebSockets: Gauge;

  constructor(routeCount: () => number) {
    // The event loop's delay sampled every 100 ms, not prom-client's 10 (as the hub's): its timer
    // woke the process 100 times a second, ~2.4 ms of CPU per second while idle.
    collectDefaultMetrics({ register: this.registry, prefix: "gyre_proxy_", eventLoopMonitoringPrecision: 100 });
    const requestCounts = this.requestCounts;
    const upstreamErrorCounts = this.upstreamErrorCounts;
    new Counter({
      name: "gyre_proxy_requests_total",
      help: "Requests handled by the proxy, by route class and status class (WebSocket upgrades count as 1xx).",
      labelNames: ["route", "status"],
      registers: [this.registry],
      collect() {
        this.reset();
        CLASSES.forEach((c, ci) => STATUS_CLASSES.forEach((s, si) => this.labels(c, s).inc(requestCounts[ci * STATUS_CLASSES.length + si])));
      },
    });
    const latency = new Histogram({
      name: "gyre_proxy_upstream_latency_seconds",
      help: "Time from receiving a request to sending the upstream response headers.",
      labelNames: ["route"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [this.registry],
    });
    new Counter({
      name: "gyre_proxy_upstream_errors_total",
      help: "Upstream connection failures, resets and timeouts, by route class.",
      labelNames: ["route"],
      registers: [this.registry],
      collect() {
        this.reset();
        CLASSES.forEach((c, ci) => this.labels(c).inc(upstreamErrorCounts[ci]));
      },
    });
    this.openWebSockets = new Gauge({ name: "gyre_proxy_open_websockets", help: "WebSocket connections currently proxied.", registers: [this.registry] });
    new Gauge({
      name: "gyre_proxy_routes",
      help: "Routes in the table.",
      registers: [this.registry],
      collect() {
        this.set(routeCount());
      },
    });
    for (const c of CLASSES) this.latencyChildren[c] = latency.labels(c);
  }

  /** Counts one finished (or answered) request. */
  countRequest(route: RouteClass, status: number): void {
    const i = Math.min(Math.max(Math.floor(status / 100) - 1, 0), 4);
    this.requestCounts[CLASS_INDEX[route] * STATUS_CLASSES.length + i]++;
  }

  /** Records the time to upstream response headers. */
  observeLatency(route: RouteClass, seconds: number): void {
    this.latencyChildren[route].observe(seconds);
  }

  /** Counts an upstream connection failure, reset or timeout. */
  countUpstreamError(route: RouteClass): void {
    this.upstreamErrorCounts[CLASS_INDEX[route]]++;
  }
}
