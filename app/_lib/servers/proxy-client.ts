// Pushes route changes to the proxies' configurable-http-proxy-compatible API. Failures are
// logged, not fatal: each proxy also pulls the full table from the hub at start and periodically.
import type { Logger } from "../log";

export interface RouteData {
  target: string;
  user: string;
  server_name: string;
  spawn_id: string;
}

/** Where the hub pushes route changes: every proxy replica (ProxyClient), or a test's recorder. */
export interface RoutePusher {
  addRoute(path: string, data: RouteData): Promise<void>;
  deleteRoute(path: string): Promise<void>;
}

export class ProxyClient implements RoutePusher {
  constructor(
    private readonly apiUrls: string[],
    private readonly token: string,
    private readonly log: Logger,
  ) {}

  async addRoute(path: string, data: RouteData): Promise<void> {
    await this.each("POST", path, data);
  }

  async deleteRoute(path: string): Promise<void> {
    await this.each("DELETE", path);
  }

  private async each(method: string, path: string, body?: unknown): Promise<void> {
    await Promise.all(
      this.apiUrls.map(async (base) => {
        try {
          const res = await fetch(`${base}/api/routes${path}`, {
            method,
            headers: { authorization: `token ${this.token}`, "content-type": "application/json" },
            body: body ? JSON.stringify(body) : undefined,
            signal: AbortSignal.timeout(5000),
          });
          if (!res.ok && !(method === "DELETE" && res.status === 404)) {
            this.log.warn({ proxy: base, path, status: res.status }, "proxy refused a route change; it will catch up at its next full sync");
          }
        } catch (err) {
          this.log.warn({ proxy: base, path, err: (err as Error).message }, "proxy unreachable; it will load routes from the hub when it starts");
        }
      }),
    );
  }
}
