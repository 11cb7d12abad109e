// The secrets hub and proxy share: from the config, a file, or generated once into the data
// directory (0600), so a hub and a proxy started from one config agree without any set-up.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createHmac, randomBytes } from "node:crypto";
import { dirname } from "node:path";
import { ConfigError } from "./errors";

export interface SecretSource {
  /** the value written in the config (or a GYRE_* variable) */
  value: string | undefined;
  /** the <option>File setting */
  file: string | undefined;
  /** where a generated secret is kept */
  generatedPath: string;
  /** the option's name, for messages ("hub.secretKey") */
  option: string;
}

/** The value, else the file's contents (≥ 16 characters), else the generated secret. */
export function resolveSecret(s: SecretSource): string {
  if (s.value) return s.value;
  if (s.file) {
    let text: string;
    try {
      text = readFileSync(s.file, "utf8").trim();
    } catch (e) {
      throw new ConfigError(`Invalid configuration: ${s.option}File: cannot read ${s.file} (${(e as Error).message}).`);
    }
    if (text.length < 16) throw new ConfigError(`Invalid configuration: ${s.option}File ${s.file} holds fewer than 16 characters.`);
    return text;
  }
  if (existsSync(s.generatedPath)) return readFileSync(s.generatedPath, "utf8").trim();
  mkdirSync(dirname(s.generatedPath), { recursive: true, mode: 0o700 });
  const secret = randomBytes(32).toString("hex");
  writeFileSync(s.generatedPath, secret + "\n", { mode: 0o600 });
  chmodSync(s.generatedPath, 0o600);
  return secret;
}

/**
 * A service's API token: written in the config, read from a file or from an environment variable
 * of the hub, else derived from hub.secretKey and the service's name (every hub replica derives the
 * same one, and a restart keeps it). `option` names the service's entry in messages.
 */
export function resolveServiceToken(s: {
  value: string | undefined;
  file: string | undefined;
  envName: string | undefined;
  env: Record<string, string | undefined>;
  secretKey: string;
  name: string;
  option: string;
}): string {
  if (s.value) return s.value;
  if (s.file) return resolveSecret({ value: undefined, file: s.file, generatedPath: "", option: `${s.option}.apiToken` });
  if (s.envName) {
    const v = s.env[s.envName]?.trim();
    if (!v || v.length < 16)
      throw new ConfigError(`Invalid configuration: ${s.option}.apiTokenEnv: the environment variable ${s.envName} is unset or shorter than 16 characters.`);
    return v;
  }
  return createHmac("sha256", s.secretKey).update(`service-api-token:${s.name}`).digest("base64url");
}
