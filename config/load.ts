// The hub's configuration: gyre.config.yaml (or $GYRE_CONFIG) with GYRE_* environment overrides,
// validated as a whole against the schema of the hub's spawner catalog, secrets resolved. A bad
// option stops the hub with a message that names it. The proxy reads only its part
// (proxy-config.ts).
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { SPAWNER_KINDS, type BuiltInSpawnerCatalog } from "@/spawners/catalog";
import type { SpawnerCatalog } from "@/spawners/kind";
import { checkSections, readConfigFile } from "./config-file";
import { defaultHubUrl } from "./derived";
import { applyEnvOverrides } from "./env-overrides";
import { ConfigError, describeConfigSource, formatConfigError } from "./errors";
import { findMovedOptions } from "./moved-options";
import { buildConfigSchema, configSchema, type ConfigFor } from "./schema";
import { resolveSecret, resolveServiceToken } from "./secrets";
import { defaultPublicUrl, resolveOriginPlan } from "@/proxy/origins/origin-plan";

export { ConfigError };

/**
 * The config with secrets resolved and paths absolute. `C` is the spawner catalog it was validated
 * for; hub code works with any catalog (a test's adds kinds), so it takes the default, in which
 * `spawner.kind` is a string and `spawner.<kind>` is unknown: only the kind's own code reads it.
 */
export type ResolvedConfig<C extends SpawnerCatalog = SpawnerCatalog> = ConfigFor<C> & {
  hub: ConfigFor<C>["hub"] & { secretKey: string; databaseUrl: string; publicUrl: string };
  proxy: ConfigFor<C>["proxy"] & { authToken: string; hubUrl: string };
  /** each service with its API token resolved (config/secrets.ts resolveServiceToken) */
  services: (ConfigFor<C>["services"][number] & { apiToken: string })[];
  /** file the config came from, if any */
  source: string | null;
};

/**
 * Validates a parsed config file with its environment overrides against the schema of `catalog`
 * (default: this build's). Throws ConfigError naming every bad option.
 */
export function parseConfig<C extends SpawnerCatalog = BuiltInSpawnerCatalog>(
  fileData: unknown,
  env: Record<string, string | undefined>,
  source: string | null,
  catalog?: C,
): ConfigFor<C> {
  const data = checkSections(fileData, source);
  const gh = (data as { auth?: { github?: unknown } }).auth?.github;
  if (typeof gh === "object" && gh !== null && "clientSecret" in gh) {
    throw new ConfigError(
      `Invalid configuration: auth.github.clientSecret must not be written in ${source ?? "the config file"}; use auth.github.clientSecretFile or the GYRE_AUTH__GITHUB__CLIENT_SECRET environment variable.`,
    );
  }
  const merged = applyEnvOverrides(data, env);
  const moved = findMovedOptions(merged);
  if (moved.length) throw new ConfigError(`Invalid configuration${describeConfigSource(source)}:\n${moved.join("\n")}\nSee docs/config.md.`);
  const schema = catalog && (catalog as SpawnerCatalog) !== SPAWNER_KINDS ? buildConfigSchema(catalog) : configSchema;
  const result = schema.safeParse(merged, { reportInput: true });
  if (!result.success) throw new ConfigError(formatConfigError(result.error.issues, source, { schema, data: merged }));
  return result.data as ConfigFor<C>;
}

/**
 * Makes paths absolute (relative to `baseDir`), creates the data directory, resolves secrets, and
 * lets the configured spawner kind check what its schema cannot (SpawnerKind.checkConfig: paths
 * on this host). Throws ConfigError.
 */
export function resolveConfig<C extends SpawnerCatalog>(
  cfg: ConfigFor<C>,
  source: string | null,
  baseDir = process.cwd(),
  catalog: SpawnerCatalog = SPAWNER_KINDS,
  env: Record<string, string | undefined> = process.env,
): ResolvedConfig<C> {
  const kind = cfg.spawner.kind;
  const problem = Object.hasOwn(catalog, kind) ? catalog[kind].checkConfig?.((cfg.spawner as Record<string, unknown>)[kind]) : null;
  if (problem) throw new ConfigError(`Invalid configuration${describeConfigSource(source)}:\n  - ${problem}`);
  // a role names services of the services: section (users and groups may come later, at login)
  const serviceNames = new Set(cfg.services.map((s) => s.name));
  cfg.roles.forEach((r, i) =>
    r.services.forEach((name, j) => {
      if (!serviceNames.has(name))
        throw new ConfigError(
          `Invalid configuration${describeConfigSource(source)}:\n  - roles[${i}].services[${j}] (${r.name}): no service "${name}" in services`,
        );
    }),
  );
  // a service's deprecated oauthRoles name roles of the roles: section, or the built-in "user"
  const roleNames = new Set(cfg.roles.map((r) => r.name));
  cfg.services.forEach((s, i) =>
    s.oauthRoles.forEach((name, j) => {
      if (name !== "user" && !roleNames.has(name))
        throw new ConfigError(
          `Invalid configuration${describeConfigSource(source)}:\n  - services[${i}].oauthRoles[${j}] (${s.name}): no role "${name}" in roles (nor the built-in "user")`,
        );
    }),
  );
  const dataDir = resolve(baseDir, cfg.hub.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const secretKey = resolveSecret({
    value: cfg.hub.secretKey,
    file: cfg.hub.secretKeyFile,
    generatedPath: resolve(dataDir, "secret.key"),
    option: "hub.secretKey",
  });
  const authToken = resolveSecret({
    value: cfg.proxy.authToken,
    file: cfg.proxy.authTokenFile,
    generatedPath: resolve(dataDir, "proxy-token"),
    option: "proxy.authToken",
  });
  const databaseUrl = cfg.hub.databaseUrl ?? `file:${resolve(dataDir, "gyre.db")}`;
  const publicUrl = (cfg.hub.publicUrl ?? defaultPublicUrl(cfg.proxy)).replace(/\/+$/, "");
  // Refuses a user domain that cannot work, naming the option.
  resolveOriginPlan({ publicUrl, userDomain: cfg.hub.userDomain });
  const services = cfg.services.map((s, i) => ({
    ...s,
    apiToken: resolveServiceToken({
      value: s.apiToken,
      file: s.apiTokenFile,
      envName: s.apiTokenEnv,
      env,
      secretKey,
      name: s.name,
      option: `services[${i}] (${s.name})`,
    }),
  }));
  return {
    ...cfg,
    hub: { ...cfg.hub, dataDir, secretKey, databaseUrl, publicUrl },
    proxy: { ...cfg.proxy, authToken, hubUrl: cfg.proxy.hubUrl ?? defaultHubUrl(cfg.hub) },
    services,
    source,
  };
}

/** Loads, validates and resolves the configuration. Throws ConfigError (message names the option). */
export function loadConfig<C extends SpawnerCatalog = BuiltInSpawnerCatalog>(
  env: Record<string, string | undefined> = process.env,
  cwd = process.cwd(),
  catalog?: C,
): ResolvedConfig<C> {
  const file = readConfigFile(env, cwd);
  return resolveConfig(parseConfig(file.data, env, file.source, catalog), file.source, file.baseDir, catalog, env);
}
