// Gyre's whole configuration, declared once. docs/config.md and gyre.config.example.yaml are
// generated from these schemas (npm run docs:config); a test keeps them in sync.
import { z } from "zod";
import { proxyConfigSchema } from "./proxy-section";
import { buildSpawnerSectionSchema } from "./spawner-section";
import type { SpawnerCatalog } from "@/spawners/kind";
import { SPAWNER_KINDS } from "@/spawners/catalog";

export const hubSectionSchema = z
  .object({
    bindHost: z.string().default("127.0.0.1").describe("Address the hub listens on. Browsers reach the hub through the proxy, so keep it private."),
    port: z.number().int().min(1).max(65535).default(8081).describe("Hub port (the proxy forwards /hub/* here)."),
    callbackUrl: z.string().url().optional().describe("Hub URL that batch jobs call back (POST <callbackUrl>/hub/api/batch/callback with host and port); must be reachable from compute nodes, e.g. http://login1.cluster:8081. Default: http://<hub.bindHost>:<hub.port>."),
    publicUrl: z.string().url().optional().describe("The URL users type, e.g. https://hub.example.org. Default: http://<proxy.bindHost>:<proxy.port>. Cookies are Secure when it is https."),
    dataDir: z.string().default("./data").describe("Directory for the SQLite database, generated secrets and server logs."),
    databaseUrl: z
      .string()
      .regex(/^(file:|postgres(ql)?:\/\/)/, "must start with file: or postgres://")
      .optional()
      .describe("Database URL. Default: SQLite file <dataDir>/gyre.db. Set postgres://user:pass@host/db for PostgreSQL (several hub replicas)."),
    secretKey: z.string().min(32).optional().describe("Secret for signing session cookies and deriving server tokens (≥ 32 chars). Prefer secretKeyFile or GYRE_HUB__SECRET_KEY; generated into the data directory if unset. Shared with the proxy."),
    secretKeyFile: z.string().optional().describe("File holding hub.secretKey."),
    logLevel: z.enum(["trace", "debug", "info", "warn", "error"]).default("info").describe("Log level of hub and proxy."),
    osUserTemplate: z
      .string()
      .min(1)
      .default("{username}")
      .describe("OS account a user's servers run as, for every spawner kind; {username} is the hub user name (for GitHub logins, the lower-cased login). A line for the user in osUserMapFile wins. The local spawner can switch accounts only when the hub runs as root; otherwise its servers run as the hub's own user."),
    osUserMapFile: z.string().optional().describe('A file of "hub-user os-account" lines ("#" starts a comment) for users whose OS account does not follow osUserTemplate. Read at every spawn, so edits apply without a restart.'),
    startTimeoutSeconds: z.number().positive().default(120).describe("How long a server may take from spawn to answering its API before the spawn fails."),
    httpProbeIntervalMs: z.number().int().positive().default(100).describe("Interval of readiness probes while a server starts."),
    pollIntervalSeconds: z.number().positive().default(10).describe("How often running servers are polled (one batched call per spawner kind)."),
    stopTimeoutSeconds: z.number().positive().default(30).describe("How long a stop may take before the server is reported as failed to stop."),
  })
  .strict();

export const localAuthSchema = z
  .object({
    enabled: z.boolean().default(true).describe("Username + password accounts stored in Gyre's database."),
    minPasswordLength: z.number().int().min(8).default(10).describe("Minimum password length for new passwords."),
  })
  .strict();

const orgTeam = z.string().regex(/^[A-Za-z0-9-]+:[A-Za-z0-9_.-]+$/, 'must be "org:team-slug"');
const ghName = z.string().regex(/^[A-Za-z0-9-]{1,39}$/, "must be a GitHub login or organisation name");

export const githubAuthSchema = z
  .object({
    enabled: z.boolean().default(false).describe("Log in with GitHub (OAuth web flow through passport-github2)."),
    clientId: z.string().optional().describe("OAuth app client id (GitHub → Settings → Developer settings → OAuth Apps)."),
    clientSecret: z.string().optional().describe("OAuth app client secret: ONLY through GYRE_AUTH__GITHUB__CLIENT_SECRET; refused in the config file."),
    clientSecretFile: z.string().optional().describe("File holding the client secret (e.g. a mounted Kubernetes Secret)."),
    callbackUrl: z.string().url().optional().describe("Authorization callback URL registered with the OAuth app. Default: <hub.publicUrl>/hub/oauth_callback."),
    enterpriseUrl: z.string().url().optional().describe("GitHub Enterprise Server base URL, e.g. https://github.example.org (web flow at <url>/login/oauth/*, REST API at <url>/api/v3). Unset: github.com."),
    allowedUsers: z.array(ghName).default([]).describe("GitHub logins allowed to log in."),
    allowedOrganizations: z.array(ghName).default([]).describe("Members of these organisations may log in (needs the read:org scope, requested automatically)."),
    allowedTeams: z.array(orgTeam).default([]).describe('Members of these teams may log in, as "org:team-slug".'),
    adminUsers: z.array(ghName).default([]).describe("GitHub logins that are hub admins."),
    adminTeams: z.array(orgTeam).default([]).describe('Members of these teams are hub admins, as "org:team-slug".'),
    linkLocalAccounts: z.boolean().default(false).describe("Let a GitHub login take over the local account of the same (lower-cased) name. Off: such a login is refused."),
  })
  .strict();

export const authSectionSchema = z
  .object({
    local: localAuthSchema.default(localAuthSchema.parse({})),
    github: githubAuthSchema.default(githubAuthSchema.parse({})),
    sessionMaxAgeSeconds: z.number().int().positive().default(14 * 24 * 3600).describe("Session lifetime; refreshed (sliding) while the user is active."),
    loginAttemptsPerWindow: z.number().int().positive().default(5).describe("Failed logins allowed per user name within loginWindowSeconds."),
    loginAttemptsPerAddress: z.number().int().positive().default(50).describe("Failed logins allowed per client address (any user names) within loginWindowSeconds."),
    loginWindowSeconds: z.number().int().positive().default(300).describe("Window of the failed-login rate limit."),
    initialAdmin: z
      .object({
        name: z.string().optional().describe("Admin created at first start when no admin exists (or GYRE_AUTH__INITIAL_ADMIN__NAME)."),
        password: z.string().optional().describe("Its password (use GYRE_AUTH__INITIAL_ADMIN__PASSWORD). Without it, a one-time setup link is printed instead."),
      })
      .strict()
      .default({}),
  })
  .strict();

export const cullingSectionSchema = z
  .object({
    enabled: z.boolean().default(false).describe("Stop servers that have been idle (no proxied activity) for timeoutSeconds."),
    timeoutSeconds: z.number().int().positive().default(3600).describe("Idle time after which a server is stopped."),
    everySeconds: z.number().int().positive().default(300).describe("How often the culler looks."),
    maxAgeSeconds: z.number().int().nonnegative().default(0).describe("Stop servers older than this even if active (0: no limit)."),
    removeUsers: z.boolean().default(false).describe("Also delete users without servers who have been inactive for timeoutSeconds (never admins)."),
  })
  .strict();

/** The whole configuration for a spawner catalog (the hub's is spawners/catalog.ts; tests add kinds). */
export function buildConfigSchema<C extends SpawnerCatalog>(catalog: C) {
  const spawner = buildSpawnerSectionSchema(catalog);
  return z
    .object({
      hub: hubSectionSchema.default(hubSectionSchema.parse({})),
      proxy: proxyConfigSchema.default(proxyConfigSchema.parse({})),
      auth: authSectionSchema.default(authSectionSchema.parse({})),
      spawner: spawner.default(spawner.parse({})),
      culling: cullingSectionSchema.default(cullingSectionSchema.parse({})),
    })
    .strict();
}

/** The configuration of this build of the hub. */
export const configSchema = buildConfigSchema(SPAWNER_KINDS);

/** A validated configuration (defaults filled in) for catalog `C`. */
export type ConfigFor<C extends SpawnerCatalog> = z.infer<ReturnType<typeof buildConfigSchema<C>>>;
export type GyreConfig = ConfigFor<typeof SPAWNER_KINDS>;
