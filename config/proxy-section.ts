// The proxy's configuration: the `proxy:` section of gyre.config.yaml, overridable by
// GYRE_PROXY__* environment variables and by the proxy's own CLI flags (proxy/main.ts).
import { z } from "zod";

export const proxyConfigSchema = z
  .object({
    bindHost: z.string().default("127.0.0.1").describe("Address the public port listens on (0.0.0.0 for all interfaces)."),
    port: z.number().int().min(1).max(65535).default(8000).describe("Public port: browsers connect here; /hub/* goes to the hub, /user/* to user servers."),
    apiHost: z.string().default("127.0.0.1").describe("Address of the internal route API (keep it private)."),
    apiPort: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .default(8001)
      .describe("Internal, token-protected route API (configurable-http-proxy compatible) and /metrics."),
    authToken: z
      .string()
      .min(16)
      .optional()
      .describe("Token for the route API. Prefer authTokenFile or GYRE_PROXY__AUTH_TOKEN; generated into the data directory if unset."),
    authTokenFile: z.string().optional().describe("File holding the route API token."),
    hubUrl: z
      .string()
      .url()
      .optional()
      .describe(
        "Where the proxy reaches the hub (for /hub/* and for the route table). Default: http://<hub.bindHost>:<hub.port> (127.0.0.1 when the hub listens on 0.0.0.0), so it follows hub.port.",
      ),
    fullSyncSeconds: z.number().positive().default(60).describe("Period of the full route-table sync from the hub (a safety net beside the hub's pushes)."),
    authSyncSeconds: z
      .number()
      .positive()
      .default(2)
      .describe("How often the proxy fetches revoked sessions and the admin list from the hub; revocation takes effect within this time."),
    tokenGraceSeconds: z
      .number()
      .int()
      .min(0)
      .max(3600)
      .default(300)
      .describe(
        "While the hub cannot be asked (down, restarting), an API token whose owner the hub confirmed within this many seconds is still honoured (never past the token's expiry or a revocation the hub pushed); 0: refused as soon as the proxy's 10 s cache runs out. Cookies are checked without the hub.",
      ),
    activityFlushSeconds: z.number().positive().default(30).describe("How often per-route activity is reported to the hub."),
    upstreamTimeoutSeconds: z.number().positive().default(300).describe("Timeout for an upstream response (0 < t)."),
    connectTimeoutSeconds: z.number().positive().default(10).describe("Timeout for connecting to an upstream."),
    replicaApiUrls: z
      .array(z.string().url())
      .default([])
      .describe(
        "Route API URLs (http://host:port) of every proxy replica; the hub pushes each route change to all of them. Empty: the one proxy at apiHost:apiPort.",
      ),
    pushToEveryAddress: z
      .boolean()
      .default(false)
      .describe(
        "With replicaApiUrls empty: resolve apiHost to all its addresses at each route change and push to each (a Kubernetes headless Service has one address per proxy pod).",
      ),
    dashboardPorts: z
      .array(
        z.union([
          z.number().int().min(1).max(65535),
          z
            .string()
            .regex(/^\d+-\d+$/, 'must be a port number or a "lo-hi" range')
            .refine((r) => {
              const [lo, hi] = r.split("-").map(Number);
              return lo >= 1 && hi <= 65535 && lo <= hi;
            }, "a range must go from a lower to a higher port, both within 1-65535"),
        ]),
      )
      .default([8787])
      .describe('Ports reachable under /user/<name>/proxy/<port>/ on the user\'s own host (Dask dashboards). Numbers or "lo-hi" ranges.'),
    tokenCorsOrigins: z
      .array(z.string().regex(/^https?:\/\/[^/\s?#]+$/, "must be an origin such as https://book.example.org (scheme and host, no path)"))
      .default([])
      .describe(
        "Origins of pages (Jupyter Books, Thebe) that may call users' servers from the browser with an API token — the token of a /build ready message, sent as Authorization or, on WebSockets, as ?token=: the proxy answers their CORS preflights and accepts their Origin for such requests. Requests carrying the hub's cookie are never opened to other origins.",
      ),
  })
  .strict();

export type ProxyConfig = z.infer<typeof proxyConfigSchema>;
