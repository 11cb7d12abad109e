// The secrets hub and proxy share: from the config, a file, or generated once into the data
// directory (0600), so a hub and a proxy started from one config agree without any set-up.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
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
