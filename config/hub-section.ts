// The `hub:` section: the hub process, its data directory and secrets, OS accounts, timeouts.
import { z } from "zod";

const hubFields = {
  bindHost: z.string().default("127.0.0.1").describe("Address the hub listens on. Browsers reach the hub through the proxy, so keep it private."),
  port: z.number().int().min(1).max(65535).default(8081).describe("Hub port (the proxy forwards /hub/* here)."),
  callbackUrl: z
    .string()
    .url()
    .optional()
    .describe(
      "Hub URL that batch jobs call back (POST <callbackUrl>/hub/api/batch/callback with host and port); must be reachable from compute nodes, e.g. http://login1.cluster:8081. Default: http://<hub.bindHost>:<hub.port>, with this host's name when the hub listens on 0.0.0.0; the hub warns at start when jobs run on hosts that cannot reach it.",
    ),
  publicUrl: z
    .string()
    .url()
    .optional()
    .describe(
      "The URL users type, the hub's own origin, e.g. https://hub.example.org. Default: http://localhost:<proxy.port> when the proxy listens on a loopback address (the default), which gives per-user origins on <name>.localhost (see userDomain); http://127.0.0.1:<proxy.port> when it listens on every interface; else http://<proxy.bindHost>:<proxy.port>. Cookies are Secure (and named __Host-…) when it is https.",
    ),
  userDomain: z
    .string()
    .optional()
    .describe(
      "Per-user origins: each user's servers are served on <name>.<userDomain> (scheme and port of publicUrl; names that are not DNS labels get an escaped label), so a page in one user's server cannot act as whoever opens it, nor on the hub. Unset (automatic): per-user origins on <name>.<host> when publicUrl's host is localhost or ends in .localhost (browsers resolve *.localhost themselves, no DNS needed), so the default quick start is isolated; any other publicUrl starts single-origin with a warning at start and on the admin page. A domain (e.g. hub.example.org): per-user origins under it; needs wildcard DNS (and a wildcard TLS certificate) for *.<userDomain> pointing at the proxy. \"\" (empty): single-origin mode on purpose, everything on the hub's origin, for sites without wildcard DNS (see docs/security.md for what that mode cannot protect).",
    ),
  dataDir: z.string().default("./data").describe("Directory for the SQLite database, generated secrets and server logs."),
  databaseUrl: z
    .string()
    .regex(/^(file:|postgres(ql)?:\/\/)/, "must start with file: or postgres://")
    .optional()
    .describe(
      "Database URL. Default: SQLite file <dataDir>/gyre.db. Set postgres://user:pass@host/db for PostgreSQL, version 13 or later (several hub replicas).",
    ),
  secretKey: z
    .string()
    .min(32)
    .optional()
    .describe(
      "Secret for signing session cookies and deriving server tokens (≥ 32 chars). Prefer secretKeyFile or GYRE_HUB__SECRET_KEY; generated into the data directory if unset. Shared with the proxy.",
    ),
  secretKeyFile: z.string().optional().describe("File holding hub.secretKey."),
  logLevel: z.enum(["trace", "debug", "info", "warn", "error"]).default("info").describe("Log level of hub and proxy."),
  osUserTemplate: z
    .string()
    .min(1)
    .default("{username}")
    .describe(
      "OS account a user's servers run as, for every spawner kind; {username} is the hub user name (for GitHub logins, the lower-cased login). A line for the user in osUserMapFile wins. When the result is no valid account name (longer than 31 characters, a dot, a digit first: hub names allow up to 255 with dots), the account is derived: a prefix, '--' and 16 hex digits of the result's SHA-256 (alice.smith → alice-smith--6342582757b1ffe0), deterministic and never another user's. The local spawner can switch accounts only when the hub runs as root; otherwise its servers run as the hub's own user.",
    ),
  osUserMapFile: z
    .string()
    .optional()
    .describe(
      'A file of "hub-user os-account" lines ("#" starts a comment) for users whose OS account does not follow osUserTemplate. Read at every spawn, so edits apply without a restart.',
    ),
  startTimeoutSeconds: z.number().positive().default(120).describe("How long a server may take from spawn to answering its API before the spawn fails."),
  httpProbeIntervalMs: z.number().int().positive().default(100).describe("Interval of readiness probes while a server starts."),
  pollIntervalSeconds: z.number().positive().default(10).describe("How often running servers are polled (one batched call per spawner kind)."),
  replicaLeaseSeconds: z
    .number()
    .positive()
    .default(15)
    .describe(
      "Several hub replicas on one PostgreSQL: a replica whose heartbeat is older than this is dead, and its servers and singleton jobs (culler, clean-up, usage) are taken over by another. Also the time of each singleton lease.",
    ),
  replicaHeartbeatSeconds: z
    .number()
    .positive()
    .default(5)
    .describe(
      "How often each hub replica writes its heartbeat, renews its leases and looks for servers of dead replicas to take over (at most half of hub.replicaLeaseSeconds; a third or less leaves room for a late beat).",
    ),
  stopTimeoutSeconds: z.number().positive().default(30).describe("How long a stop may take before the server is reported as failed to stop."),
  slowStopTimeoutSeconds: z
    .number()
    .nonnegative()
    .default(10)
    .describe(
      "How long a REST stop request (DELETE …/server) waits for the stop: stopped by then → 204, else 202 while it goes on (JupyterHub's slow_stop_timeout).",
    ),
  authenticatePrometheus: z
    .boolean()
    .default(true)
    .describe(
      "GET /hub/metrics needs an admin's session or a token with the read:metrics scope (JupyterHub's authenticate_prometheus). false: anyone who reaches the hub may read the metrics (counts and durations; no user names).",
    ),
  namedServerLimitPerUser: z
    .number()
    .int()
    .min(0)
    .max(1000)
    .default(10)
    .describe(
      "How many named servers (besides the default one) each user may have, stopped ones included; 0: none. An admin can set another limit for one user on the user's page.",
    ),
};

export const hubSectionSchema = z.object(hubFields).strict();

/**
 * The hub keys the proxy reads (its log level, the shared secret and where a generated one is
 * kept, the hub's address for the default proxy.hubUrl, the hub's public URL and the user domain).
 * Not strict: the hub validates the rest of its section.
 */
export const hubKeysForProxySchema = z.object({
  bindHost: hubFields.bindHost,
  port: hubFields.port,
  publicUrl: hubFields.publicUrl,
  userDomain: hubFields.userDomain,
  dataDir: hubFields.dataDir,
  secretKey: hubFields.secretKey,
  secretKeyFile: hubFields.secretKeyFile,
  logLevel: hubFields.logLevel,
});
