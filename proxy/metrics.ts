// Prometheus metrics for the proxy (GET /metrics on the internal port). The hot path only
// increments pre-created children, so no label lookup happens per request.
import { Registry, Counter, Histogram, Gauge, collectDefaultMetrics } from "prom-client";

/** Where a request went: the hub (or a plain CHP route), a user server, a dashboard port, or nowhere (answered by the proxy). */
export type RouteClass = "hub" | "user" | "dashboard" | "none";
const CLASSES: RouteClass[] = ["hub", "user", "dashboard", "none"];
const STATUS_CLASSES = ["1xx", "2xx", "3xx", "4xx", "5xx"] as const;

/** The proxy's metric set, on its own registry. */
export class ProxyMetrics {
  readonly registry = new Registry();
  private readonly requestChildren: Record<string, { inc(): void }[]> = {};
  private readonly latencyChildren: Record<string, { observe(v: number): void }> = {};
  private readonly upstreamErrorChildren: Record<string, { inc(): void }> = {};
  readonly openWebSockets: Gauge;

  constructor(routeCount: () => number) {
    collectDefaultMetrics({ register: this.registry, prefix: "gyre_proxy_" });
    const requests = new Counter({
      name: "gyre_proxy_requests_total",
      help: "Requests handled by the proxy, by route class and status class (WebSocket upgrades count as 1xx).",
      labelNames: ["route", "status"],
      registers: [this.registry],
    });
    const latency = new Histogram({
      name: "gyre_proxy_upstream_latency_seconds",
      help: "Time from receiving a request to sending the upstream response headers.",
      labelNames: ["route"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [this.registry],
    });
    const upstreamErrors = new Counter({
      name: "gyre_proxy_upstream_errors_total",
      help: "Upstream connection failures, resets and timeouts, by route class.",
      labelNames: ["route"],
      registers: [this.registry],
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
    for (const c of CLASSES) {
      this.requestChildren[c] = STATUS_CLASSES.map((s) => requests.labels(c, s));
      this.latencyChildren[c] = latency.labels(c);
      this.upstreamErrorChildren[c] = upstreamErrors.labels(c);
    }
  }

  /** Counts one finished (or answered) request. */
  countRequest(route: RouteClass, status: number): void {
    const i = Math.min(Math.max(Math.floor(status / 100) - 1, 0), 4);
    this.requestChildren[route][i].inc();
  }

  observeLatency(route: RouteClass, seconds: number): void {
    this.latencyChildren[route].observe(seconds);
  }

  countUpstreamError(route: RouteClass): void {
    this.upstreamErrorChildren[route].inc();
  }
}
