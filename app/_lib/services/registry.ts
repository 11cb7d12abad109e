// The configured services (the `services:` section), looked up by name and by API token, and
// their REST models as JupyterHub's (jupyterhub/apihandlers/base.py service_model). Pure: the
// resolved config comes in; tokens are compared by their sha256, as stored API tokens are.
import { createHash, timingSafeEqual } from "node:crypto";
import type { ServiceConfig } from "@/config/services-section";
import type { RoleConfig } from "@/config/roles-section";
import { expandScopes } from "@/app/_lib/auth/scopes";
import { configuredRolesOfService, roleScopesFor } from "@/app/_lib/auth/roles";

/** A service with its resolved API token (ResolvedConfig["services"]). */
export type ResolvedService = ServiceConfig & { apiToken: string };

/** One service as the hub sees it. */
export interface Service {
  name: string;
  admin: boolean;
  /** where the proxy sends /services/<name>/, or null (no route) */
  url: string | null;
  /** the managed service's argv, or null (an external service) */
  command: string[] | null;
  /** the scope names: its own and its configured roles'; an admin service's are the admin's (["inherit"]) */
  scopes: string[];
  /** its roles: "admin" for an admin service, then the configured roles naming it */
  roles: string[];
  /** sha256 (hex) of the service's API token */
  tokenHash: string;
  /** the service as an OAuth client of the hub (services with a url), or null */
  oauth: OAuthClient | null;
  /** JupyterHub's display and info, as configured */
  display: boolean;
  info: Record<string, unknown>;
}

/** A service as an OAuth client: its secret is its API token (HubOAuth sends it). */
export interface OAuthClient {
  clientId: string;
  /** the one redirect URI accepted, compared exactly */
  redirectUri: string;
  /** no consent page */
  noConfirm: boolean;
  /**
   * The scopes its tokens may carry beyond access to the service, as configured (JupyterHub's
   * oauth_client_allowed_scopes, then the scopes of the deprecated oauth_roles; "self" and bare
   * "!user" filters stay unexpanded: they name whoever logs in)
   */
  allowedScopes: string[];
}

export interface ServiceRegistry {
  list: readonly Service[];
  byName(name: string): Service | undefined;
  /** the service whose API token this is, or undefined */
  byToken(token: string): Service | undefined;
  /** the service whose OAuth client id this is */
  byClientId(clientId: string): Service | undefined;
}

function sha256(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}

/** The registry of a resolved config's services, with the roles that name them (config `roles:`). */
export function buildServiceRegistry(services: readonly ResolvedService[], roles: readonly RoleConfig[] = []): ServiceRegistry {
  const list: Service[] = services.map((s) => {
    const assigned = configuredRolesOfService(roles, s.name);
    return {
      name: s.name,
      admin: s.admin,
      url: s.url ?? null,
      command: s.command ?? null,
      // An admin service may do what an admin may (JupyterHub gives it the admin role); a service
      // without scopes has none (who-am-I only), never "inherit".
      scopes: s.admin ? ["inherit"] : [...new Set([...s.scopes, ...assigned.flatMap((r) => roleScopesFor(r, { kind: "service", name: s.name }))])],
      roles: [...(s.admin ? ["admin"] : []), ...assigned.map((r) => r.name)],
      tokenHash: sha256(s.apiToken).toString("hex"),
      oauth: s.url
        ? {
            clientId: s.oauthClientId ?? `service-${s.name}`,
            redirectUri: s.oauthRedirectUri ?? `${servicePrefix(s.name)}oauth_callback`,
            noConfirm: s.oauthNoConfirm,
            allowedScopes: oauthAllowedScopes(s, roles),
          }
        : null,
      display: s.display,
      info: s.info,
    };
  });
  const names = new Map(list.map((s) => [s.name, s]));
  const clients = new Map(list.flatMap((s) => (s.oauth ? [[s.oauth.clientId, s] as const] : [])));
  const hashes = list.map((s) => ({ service: s, hash: Buffer.from(s.tokenHash, "hex") }));
  return {
    list,
    byName: (name) => names.get(name),
    byClientId: (id) => clients.get(id),
    byToken(token) {
      if (token.length < 16) return undefined;
      const h = sha256(token);
      return hashes.find((e) => timingSafeEqual(e.hash, h))?.service;
    },
  };
}

/**
 * A service client's allowed scopes: oauthClientAllowedScopes, then the scopes of its deprecated
 * oauthRoles (a configured role's scopes; the built-in "user" is "self", as JupyterHub's user role).
 */
export function oauthAllowedScopes(s: Pick<ServiceConfig, "oauthClientAllowedScopes" | "oauthRoles">, roles: readonly RoleConfig[]): string[] {
  const fromRoles = (s.oauthRoles ?? []).flatMap((name) => (name === "user" ? ["self"] : (roles.find((r) => r.name === name)?.scopes ?? [])));
  return [...new Set([...(s.oauthClientAllowedScopes ?? []), ...fromRoles])];
}

/** Start-time warnings about services' deprecated options (oauthRoles, JupyterHub's oauth_roles). */
export function deprecatedServiceOptions(services: readonly Pick<ServiceConfig, "name" | "oauthRoles">[]): string[] {
  return services
    .filter((s) => s.oauthRoles?.length)
    .map(
      (s) =>
        `services: ${s.name}: oauthRoles is deprecated (JupyterHub's oauth_roles); its roles' scopes are used as oauthClientAllowedScopes — name the scopes there instead`,
    );
}

/** A service's expanded scopes (a service with none has none: an empty set, not "inherit"). */
export function serviceScopes(s: Service): Set<string> {
  return s.scopes.length ? expandScopes(s.scopes) : new Set();
}

/** The proxy path prefix of a service. */
export function servicePrefix(name: string): string {
  return `/services/${name}/`;
}

/** JupyterHub's service model (GET /hub/api/services/{name}). */
export interface ServiceModel {
  kind: "service";
  name: string;
  admin: boolean;
  roles: string[];
  url: string;
  prefix: string;
  command: string[];
  pid: number;
  info: Record<string, unknown>;
  display: boolean;
}

/** The model; `pid` is the managed service's process id on this replica (0: not running here). */
export function toServiceModel(s: Service, pid = 0): ServiceModel {
  return {
    kind: "service",
    name: s.name,
    admin: s.admin,
    roles: s.roles,
    url: s.url ?? "",
    prefix: s.url ? servicePrefix(s.name) : "",
    command: s.command ?? [],
    pid,
    info: s.info,
    display: s.display,
  };
}

/** What a token with only list:services sees of a service (JupyterHub's access map). */
export function toServiceNameModel(s: Service): Pick<ServiceModel, "kind" | "name"> {
  return { kind: "service", name: s.name };
}

const cache = new WeakMap<readonly ResolvedService[], ServiceRegistry>();

/** The registry of a config's services, built once per config object. */
export function servicesOf(config: { services: readonly ResolvedService[]; roles?: readonly RoleConfig[] }): ServiceRegistry {
  let r = cache.get(config.services);
  if (!r) {
    r = buildServiceRegistry(config.services, config.roles);
    cache.set(config.services, r);
  }
  return r;
}

/**
 * GET /hub/api/user's answer for a service's token: JupyterHub's service model as the identify
 * scopes show it (kind, name, admin, roles) with the token's scopes; no token id (a service's token
 * comes from the config, not from the token table).
 */
export function serviceIdentityModel(s: Service, scopes: ReadonlySet<string>) {
  const m = toServiceModel(s);
  return { kind: m.kind, name: m.name, admin: m.admin, roles: m.roles, token_id: null, session_id: null, scopes: [...scopes].sort() };
}
