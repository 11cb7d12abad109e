// The `services:` section: JupyterHub-style services (c.JupyterHub.services). Each has a name, a
// URL the proxy routes /services/<name>/ to, an API token with its scopes, and optionally a
// command the hub runs and keeps running as an OS account (a managed service).
import { z } from "zod";
import { unknownScopes } from "@/app/_lib/auth/scopes";
import { isRoleScope } from "@/app/_lib/auth/roles";
import { ROLE_NAME } from "./roles-section";

/** Service names: one URL path segment, lower case, so /services/<name>/ cannot reach /hub or /user. */
export const SERVICE_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** OS account names as useradd accepts them. */
const OS_ACCOUNT = /^[a-z_][a-z0-9_-]{0,31}$/;

/** A service's options without the checks across them (the Helm chart's values take a subset). */
export const serviceFieldsSchema = z
  .object({
    name: z
      .string()
      .regex(SERVICE_NAME, "must be 1–64 lower-case letters, digits, '-' or '_' (it is a path segment of /services/<name>/)")
      .describe("The service's name: it is served at /services/<name>/ and identifies itself with it."),
    url: z
      .string()
      .url()
      .refine((u) => /^https?:\/\//.test(u), "must be an http:// or https:// URL")
      .optional()
      .describe(
        "Where the service listens, e.g. http://127.0.0.1:10101: the proxy forwards /services/<name>/ there (path kept, without Gyre's cookies). Unset: no route (a service that only calls the hub's API).",
      ),
    command: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe(
        "A managed service: the hub starts this command (an argument list, no shell) as `user`, restarts it when it exits (with backoff), and stops it with the hub. One hub replica runs it.",
      ),
    user: z
      .string()
      .regex(OS_ACCOUNT, "must be an OS account name")
      .refine((u) => u !== "root", "a service never runs as root; name an unprivileged account")
      .optional()
      .describe("OS account a managed service runs as (needed with command; never root). The hub must run as root to switch to it."),
    cwd: z.string().optional().describe("Working directory of a managed service. Default: the account's home directory."),
    environment: z
      .record(z.string(), z.string())
      .default({})
      .describe("Extra environment of a managed service (Gyre's JUPYTERHUB_* variables win over these)."),
    admin: z.boolean().default(false).describe("An admin service: its token may do everything an admin may (JupyterHub's admin role)."),
    scopes: z
      .array(z.string())
      .default([])
      .superRefine((s, ctx) => {
        const unknown = unknownScopes(s);
        if (unknown.length) ctx.addIssue({ code: "custom", message: `unknown scopes: ${unknown.join(", ")} (see docs/jupyterhub-compat.md)` });
      })
      .describe(
        "JupyterHub scope names the service's token carries (e.g. list:users, read:users:activity, read:servers, delete:servers). Default: none (who-am-I only).",
      ),
    apiToken: z
      .string()
      .min(32)
      .optional()
      .describe(
        "The service's API token (≥ 32 characters). Prefer apiTokenFile or apiTokenEnv. Unset: derived from hub.secretKey (managed services get it in JUPYTERHUB_API_TOKEN).",
      ),
    apiTokenFile: z.string().optional().describe("A file holding the service's API token."),
    apiTokenEnv: z.string().optional().describe("The name of an environment variable of the hub holding the service's API token."),
    oauthClientId: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, "must be letters, digits, '.', '-' or '_'")
      .optional()
      .describe("A service with a url is an OAuth client of the hub (HubOAuth): its client id. Default: service-<name>. Its client secret is its API token."),
    oauthRedirectUri: z
      .string()
      .refine((u) => /^\/[^/\\]/.test(u) || /^https?:\/\/[^/]/.test(u), "must be a path (/services/<name>/oauth_callback) or an http(s) URL")
      .optional()
      .describe(
        "The OAuth redirect URI the service registers; /hub/api/oauth2/authorize accepts only this one, exactly. Default: /services/<name>/oauth_callback (HubOAuth's).",
      ),
    display: z
      .boolean()
      .default(true)
      .describe("Whether pages should list the service (JupyterHub's display): shown in its REST model (GET /hub/api/services)."),
    info: z.record(z.string(), z.unknown()).default({}).describe("Free-form information about the service (JupyterHub's info), shown in its REST model."),
    oauthClientAllowedScopes: z
      .array(z.string())
      .default([])
      .superRefine((list, ctx) => {
        const bad = list.filter((s) => s === "inherit" || !isRoleScope(s));
        if (bad.length)
          ctx.addIssue({
            code: "custom",
            message: `unknown scopes: ${bad.join(", ")} (JupyterHub's names with filters, "self", or a bare !user filter the scope takes; see docs/jupyterhub-compat.md)`,
          });
      })
      .describe(
        "The scopes the OAuth tokens this service's client obtains may carry beyond access to the service (JupyterHub's oauth_client_allowed_scopes), e.g. read:users!user (the logged-in user's model) or self. A client asking for more gets them left out; asking for none gets all of these. Each token also carries only what its user holds. Default: none (the token identifies the user and opens the service, nothing more).",
      ),
    oauthRoles: z
      .array(z.string().regex(ROLE_NAME, "must be a role name"))
      .default([])
      .describe(
        "Deprecated (JupyterHub's oauth_roles, before 3.0): roles whose scopes are added to oauthClientAllowedScopes — a role of the roles: section, or the built-in user (self). The hub warns at start; name the scopes in oauthClientAllowedScopes instead.",
      ),
    oauthNoConfirm: z
      .boolean()
      .default(false)
      .describe(
        "Skip the consent page: users who log in through this service are not asked to confirm (for services the admin trusts, as JupyterHub's oauth_no_confirm).",
      ),
  })
  .strict();

const serviceSchema = serviceFieldsSchema.superRefine((s, ctx) => {
  if (s.command && !s.user) ctx.addIssue({ code: "custom", path: ["user"], message: "a managed service (with command) needs the OS account it runs as" });
  if ([s.apiToken, s.apiTokenFile, s.apiTokenEnv].filter((v) => v !== undefined).length > 1)
    ctx.addIssue({ code: "custom", path: ["apiToken"], message: "set only one of apiToken, apiTokenFile, apiTokenEnv" });
});

export type ServiceConfig = z.infer<typeof serviceSchema>;

export const servicesSectionSchema = z
  .array(serviceSchema)
  .default([])
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((s, i) => {
      if (seen.has(s.name)) ctx.addIssue({ code: "custom", path: [i, "name"], message: `"${s.name}" is the name of an earlier service; names must be unique` });
      seen.add(s.name);
    });
    const clients = new Set<string>();
    list.forEach((s, i) => {
      const id = s.oauthClientId ?? `service-${s.name}`;
      if (s.url && clients.has(id))
        ctx.addIssue({
          code: "custom",
          path: [i, "oauthClientId"],
          message: `"${id}" is the OAuth client id of an earlier service; client ids must be unique`,
        });
      if (s.url) clients.add(id);
    });
  })
  .describe("JupyterHub-style services (see docs/jupyterhub-compat.md).");
