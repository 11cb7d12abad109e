// The `auth:` section: local accounts, GitHub OAuth, sessions and login rate limits.
import { z } from "zod";

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
    enterpriseUrl: z
      .string()
      .url()
      .optional()
      .describe(
        "GitHub Enterprise Server base URL, e.g. https://github.example.org (web flow at <url>/login/oauth/*, REST API at <url>/api/v3). Unset: github.com.",
      ),
    allowedUsers: z.array(ghName).default([]).describe("GitHub logins allowed to log in."),
    allowedOrganizations: z
      .array(ghName)
      .default([])
      .describe("Members of these organisations may log in (needs the read:org scope, requested automatically)."),
    allowedTeams: z.array(orgTeam).default([]).describe('Members of these teams may log in, as "org:team-slug".'),
    adminUsers: z.array(ghName).default([]).describe("GitHub logins that are hub admins."),
    adminTeams: z.array(orgTeam).default([]).describe('Members of these teams are hub admins, as "org:team-slug".'),
    linkLocalAccounts: z
      .boolean()
      .default(false)
      .describe("Let a GitHub login take over the local account of the same (lower-cased) name. Off: such a login is refused."),
  })
  .strict();

export const authSectionSchema = z
  .object({
    local: localAuthSchema.default(localAuthSchema.parse({})),
    github: githubAuthSchema.default(githubAuthSchema.parse({})),
    sessionMaxAgeSeconds: z
      .number()
      .int()
      .positive()
      .default(14 * 24 * 3600)
      .describe("Session lifetime; refreshed (sliding) while the user is active."),
    loginAttemptsPerWindow: z
      .number()
      .int()
      .positive()
      .default(5)
      .describe(
        "Login attempts allowed per user name from one client address (an IPv6 /64 counts as one) within loginWindowSeconds; also per browser that logged in to the account before. Each attempt is counted before its password is checked.",
      ),
    loginAttemptsPerAddress: z
      .number()
      .int()
      .positive()
      .default(50)
      .describe(
        "Login attempts allowed per client address, whatever the user names, within loginWindowSeconds (one address may be a whole institute behind NAT).",
      ),
    loginAttemptsPerName: z
      .number()
      .int()
      .positive()
      .default(20)
      .describe(
        "Login attempts allowed per user name from all addresses together within loginWindowSeconds, except from browsers that logged in to that account before (they keep their own, per-browser limit), so many addresses guessing one password cannot lock its owner out. See docs/security.md.",
      ),
    loginWindowSeconds: z.number().int().positive().default(300).describe("Window of the failed-login rate limit."),
    initialAdmin: z
      .object({
        name: z.string().optional().describe("Admin created at first start when no admin exists (or GYRE_AUTH__INITIAL_ADMIN__NAME)."),
        password: z
          .string()
          .optional()
          .describe("Its password (use GYRE_AUTH__INITIAL_ADMIN__PASSWORD). Without it, a one-time setup link is printed instead."),
      })
      .strict()
      .default({}),
  })
  .strict();
