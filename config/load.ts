// Loads gyre.config.yaml (or $GYRE_CONFIG), applies GYRE_* environment overrides, validates
// against the schema and resolves secrets. A bad option stops the process with a message that
// names it (see formatConfigError).
import { readFileSync, existsSync, writeFileSync, mkdirSync, chmodSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { resolve, dirname } from "node:path";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { buildConfigSchema, configSchema, type ConfigFor } from "./schema";
import { SPAWNER_KINDS, type BuiltInSpawnerCatalog } from "@/spawners/catalog";
import type { SpawnerCatalog } from "@/spawners/kind";

import { ConfigError } from "./errors";
import { findMovedOptions } from "./moved-options";

export { ConfigError };

/**
 * The config with secrets resolved and paths absolute. `C` is the spawner catalog it was validated
 * for; hub code works with any catalog (a test's adds kinds), so it takes the default, in which
 * `spawner.kind` is a string and `spawner.<kind>` is unknown: only the kind's own code reads it.
 */
export type ResolvedConfig<C extends SpawnerCatalog = SpawnerCatalog> = ConfigFor<C> & {
  hub: ConfigFor<C>["hub"] & { secretKey: string; databaseUrl: string; publicUrl: string };
  proxy: ConfigFor<C>["proxy"] & { authToken: string };
  /** file the config came from, if any */
  source: string | null;
};

/**
 * GYRE_HUB__PORT=9000 → { hub: { port: 9000 } }. Path segments are SCREAMING_SNAKE for camelCase
 * keys; values are parsed as JSON when they look like JSON (numbers, booleans, arrays, objects),
 * else taken as strings. Unknown keys are then rejected by the strict schema, naming the variable.
 */
export function applyEnvOverrides(base: Record<string, unknown>, env: Record<string, string | undefined>): Record<string, unknown> {
  const out = structuredClone(base);
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith("GYRE_") || raw === undefined || name === "GYRE_CONFIG") continue;
    const path = name.slice(5).split("__").map(snakeToCamel);
    let node = out as Record<string, unknown>;
    for (const seg of path.slice(0, -1)) {
      if (typeof node[seg] !== "object" || node[seg] === null) node[seg] = {};
      node = node[seg] as Record<string, unknown>;
    }
    node[path[path.length - 1]] = parseEnvValue(raw);
  }
  return out;
}

function snakeToCamel(s: string): string {
  return s.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function parseEnvValue(raw: string): unknown {
  if (/^(-?\d+(\.\d+)?|true|false|null)$/.test(raw) || /^[[{"]/.test(raw)) {
    try {
      return JSON.parse(raw);
    } catch {
      return raw;
    }
  }
  return raw;
}

/** "hub.port: expected number, received string (from gyre.config.yaml)" — one line per problem. */
function describeSource(source: string | null): string {
  return source ? ` (config file ${source}, or its GYRE_* environment overrides)` : " (GYRE_* environment variables)";
}

export function formatConfigError(issues: z.core.$ZodIssue[], source: string | null): string {
  const where = describeSource(source);
  const lines = issues.map((i) => {
    const key = i.path.join(".") || "(top level)";
    const extra = i.code === "unrecognized_keys" ? `unknown option(s) ${(i as { keys: string[] }).keys.map((k) => (i.path.length ? key + "." : "") + k).join(", ")}` : i.message;
    return `  - ${i.code === "unrecognized_keys" ? extra : `${key}: ${extra}`}`;
  });
  return `Invalid configuration${where}:\n${lines.join("\n")}\nSee docs/config.md or gyre.config.example.yaml for every option.`;
}

/**
 * Validates a parsed config file with its environment overrides against the schema of `catalog`.
 * Throws ConfigError naming every bad option.
 */
export function parseConfig<C extends SpawnerCatalog = BuiltInSpawnerCatalog>(fileData: unknown, env: Record<string, string | undefined>, source: string | null, catalog?: C): ConfigFor<C> {
  if (fileData !== null && fileData !== undefined && (typeof fileData !== "object" || Array.isArray(fileData))) {
    throw new ConfigError(`Invalid configuration: ${source} must contain a mapping of sections (hub:, proxy:, auth:, spawner:).`);
  }
  const gh = ((fileData as { auth?: { github?: Record<string, unknown> } } | null)?.auth?.github) ?? {};
  if (typeof gh === "object" && gh && "clientSecret" in gh) {
    throw new ConfigError(`Invalid configuration: auth.github.clientSecret must not be written in ${source ?? "the config file"}; use auth.github.clientSecretFile or the GYRE_AUTH__GITHUB__CLIENT_SECRET environment variable.`);
  }
  const merged = applyEnvOverrides((fileData as Record<string, unknown>) ?? {}, env);
  const moved = findMovedOptions(merged);
  if (moved.length) throw new ConfigError(`Invalid configuration${describeSource(source)}:\n${moved.join("\n")}\nSee docs/config.md.`);
  const schema = catalog && (catalog as SpawnerCatalog) !== SPAWNER_KINDS ? buildConfigSchema(catalog) : configSchema;
  const result = schema.safeParse(merged);
  if (!result.success) throw new ConfigError(formatConfigError(result.error.issues, source));
  return result.data as ConfigFor<C>;
}

/** Reads a secret from a file, or the data directory's generated one (created 0600 on first use). */
function resolveSecret(value: string | undefined, file: string | undefined, generatedPath: string, option: string): string {
  if (value) return value;
  if (file) {
    try {
      const s = readFileSync(file, "utf8").trim();
      if (s.length < 16) throw new ConfigError(`Invalid configuration: ${option}File ${file} holds fewer than 16 characters.`);
      return s;
    } catch (e) {
      if (e instanceof ConfigError) throw e;
      throw new ConfigError(`Invalid configuration: ${option}File: cannot read ${file} (${(e as Error).message}).`);
    }
  }
  if (existsSync(generatedPath)) return readFileSync(generatedPath, "utf8").trim();
  mkdirSync(dirname(generatedPath), { recursive: true });
  const s = randomBytes(32).toString("hex");
  writeFileSync(generatedPath, s + "\n", { mode: 0o600 });
  chmodSync(generatedPath, 0o600);
  return s;
}

/**
 * Makes paths absolute, resolves secrets, and lets the configured spawner kind check what its
 * schema cannot (SpawnerKind.checkConfig: paths on this host). Throws ConfigError.
 */
export function resolveConfig<C extends SpawnerCatalog>(cfg: ConfigFor<C>, source: string | null, baseDir = process.cwd(), catalog: SpawnerCatalog = SPAWNER_KINDS): ResolvedConfig<C> {
  const kind = cfg.spawner.kind;
  const problem = Object.hasOwn(catalog, kind) ? catalog[kind].checkConfig?.((cfg.spawner as Record<string, unknown>)[kind]) : null;
  if (problem) throw new ConfigError(`Invalid configuration: ${problem}`);
  const dataDir = resolve(baseDir, cfg.hub.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const secretKey = resolveSecret(cfg.hub.secretKey, cfg.hub.secretKeyFile, resolve(dataDir, "secret.key"), "hub.secretKey");
  const authToken = resolveSecret(cfg.proxy.authToken, cfg.proxy.authTokenFile, resolve(dataDir, "proxy-token"), "proxy.authToken");
  const databaseUrl = cfg.hub.databaseUrl ?? `file:${resolve(dataDir, "gyre.db")}`;
  const publicHost = cfg.proxy.bindHost === "0.0.0.0" || cfg.proxy.bindHost === "::" ? "127.0.0.1" : cfg.proxy.bindHost;
  const publicUrl = (cfg.hub.publicUrl ?? `http://${publicHost}:${cfg.proxy.port}`).replace(/\/+$/, "");
  return {
    ...cfg,
    hub: { ...cfg.hub, dataDir, secretKey, databaseUrl, publicUrl },
    proxy: { ...cfg.proxy, authToken },
    source,
  };
}

/** Loads, validates and resolves the configuration. Throws ConfigError (message names the option). */
export function loadConfig<C extends SpawnerCatalog = BuiltInSpawnerCatalog>(env: Record<string, string | undefined> = process.env, cwd = process.cwd(), catalog?: C): ResolvedConfig<C> {
  const explicit = env.GYRE_CONFIG;
  const path = explicit ? resolve(cwd, explicit) : resolve(cwd, "gyre.config.yaml");
  let data: unknown = {};
  let source: string | null = null;
  if (existsSync(path)) {
    source = path;
    try {
      data = parseYaml(readFileSync(path, "utf8"));
    } catch (e) {
      throw new ConfigError(`Invalid configuration: ${path} is not valid YAML: ${(e as Error).message}`);
    }
  } else if (explicit) {
    throw new ConfigError(`Invalid configuration: GYRE_CONFIG points to ${path}, which does not exist.`);
  }
  return resolveConfig(parseConfig(data, env, source, catalog), source, source ? dirname(path) : cwd, catalog);
}
