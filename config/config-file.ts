// Finding and reading the config file: $GYRE_CONFIG, else gyre.config.yaml in the working
// directory (optional). Shared by the hub's loader and the proxy's.
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { ConfigError } from "./errors";

export interface ConfigFile {
  /** the parsed file with the GYRE_* overrides still to apply; {} without a file */
  data: Record<string, unknown>;
  /** absolute path of the file, or null when there is none */
  source: string | null;
  /** relative paths in the config (hub.dataDir) are relative to this directory */
  baseDir: string;
}

/** Reads the config file; throws ConfigError for a missing $GYRE_CONFIG, bad YAML or a non-mapping. */
export function readConfigFile(env: Record<string, string | undefined>, cwd: string): ConfigFile {
  const explicit = env.GYRE_CONFIG;
  const path = explicit ? resolve(cwd, explicit) : resolve(cwd, "gyre.config.yaml");
  if (!existsSync(path)) {
    if (explicit) throw new ConfigError(`Invalid configuration: GYRE_CONFIG points to ${path}, which does not exist.`);
    return { data: {}, source: null, baseDir: cwd };
  }
  let data: unknown;
  try {
    data = parseYaml(readFileSync(path, "utf8"));
  } catch (e) {
    throw new ConfigError(`Invalid configuration: ${path} is not valid YAML: ${(e as Error).message}`);
  }
  return { data: checkSections(data, path), source: path, baseDir: dirname(path) };
}

/** The top level must be a mapping of sections (an empty file is one without any). */
export function checkSections(data: unknown, source: string | null): Record<string, unknown> {
  if (data === null || data === undefined) return {};
  if (typeof data !== "object" || Array.isArray(data)) {
    throw new ConfigError(`Invalid configuration: ${source} must contain a mapping of sections (hub:, proxy:, auth:, spawner:).`);
  }
  return data as Record<string, unknown>;
}
