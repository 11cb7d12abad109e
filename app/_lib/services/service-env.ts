// Pure: the environment and restart delays of a managed service. The environment is an
// allow-list, never the hub's own (which holds its secrets), with JupyterHub's variables for a
// service (jupyterhub/services/service.py, Service.start), so HubAuth finds its hub and token.
import { servicePrefix } from "./registry";
import { serviceAccessScope } from "@/app/_lib/auth/scopes";

export interface ServiceEnvOptions {
  name: string;
  /** the service's url, or null */
  url: string | null;
  apiToken: string;
  /** the hub's REST API, e.g. http://127.0.0.1:8081/hub/api */
  hubApiUrl: string;
  /** hub.publicUrl (JUPYTERHUB_PUBLIC_HUB_URL) */
  publicUrl: string | null;
  account: { name: string; home: string; shell: string };
  /** the service's `environment` (admin's settings); Gyre's variables win */
  extra: Record<string, string>;
  /** the service as an OAuth client (HubOAuth reads these), or null */
  oauth?: { clientId: string; redirectUri: string; allowedScopes?: readonly string[] } | null;
}

/** The PATH managed services get (the hub's PATH may hold directories the account cannot read). */
export const SERVICE_PATH = "/usr/local/bin:/usr/bin:/bin";

export function buildServiceEnv(o: ServiceEnvOptions): Record<string, string> {
  return {
    PATH: SERVICE_PATH,
    LANG: "C.UTF-8",
    ...o.extra,
    HOME: o.account.home,
    USER: o.account.name,
    LOGNAME: o.account.name,
    SHELL: o.account.shell,
    JUPYTERHUB_SERVICE_NAME: o.name,
    ...(o.url ? { JUPYTERHUB_SERVICE_URL: o.url, JUPYTERHUB_SERVICE_PREFIX: servicePrefix(o.name) } : {}),
    JUPYTERHUB_API_TOKEN: o.apiToken,
    JUPYTERHUB_API_URL: o.hubApiUrl,
    JUPYTERHUB_BASE_URL: "/",
    JUPYTERHUB_HOST: "",
    ...(o.oauth
      ? {
          JUPYTERHUB_CLIENT_ID: o.oauth.clientId,
          JUPYTERHUB_OAUTH_CALLBACK_URL: o.oauth.redirectUri,
          // what HubOAuth requires of a user's token: the access tokens the hub issues carry it
          JUPYTERHUB_OAUTH_ACCESS_SCOPES: JSON.stringify([serviceAccessScope(o.name)]),
          JUPYTERHUB_OAUTH_SCOPES: JSON.stringify([serviceAccessScope(o.name)]),
          // what the client may ask for beyond access (oauthClientAllowedScopes), as JupyterHub's
          JUPYTERHUB_OAUTH_CLIENT_ALLOWED_SCOPES: JSON.stringify(o.oauth.allowedScopes ?? []),
        }
      : {}),
    ...(o.publicUrl ? { JUPYTERHUB_PUBLIC_HUB_URL: `${o.publicUrl.replace(/\/+$/, "")}/hub/` } : {}),
  };
}

/** Restart delays: 1 s after the first exit, doubling to at most 60 s; a run of a minute resets them. */
export const RESTART_RESET_AFTER_MS = 60_000;

/** How long to wait before restart number `failures` (1 = after the first exit). */
export function restartDelayMs(failures: number): number {
  return Math.min(60_000, 1000 * 2 ** Math.max(0, failures - 1));
}
