// Configuration problems and how they are reported: one line per bad option, naming it and where
// it came from. Hub and proxy exit with status 2 on a ConfigError.
import type { z } from "zod";

/** A configuration problem; its message names the option. */
export class ConfigError extends Error {
  name = "ConfigError";
}

/** " (config file /etc/gyre.yaml, or its GYRE_* environment overrides)" */
export function describeConfigSource(source: string | null): string {
  return source ? ` (config file ${source}, or its GYRE_* environment overrides)` : " (GYRE_* environment variables)";
}

/** "hub.port: expected number, received string" — one line per problem, then where to look. */
export function formatConfigError(issues: z.core.$ZodIssue[], source: string | null): string {
  const lines = issues.map((i) => {
    const key = i.path.join(".") || "(top level)";
    const extra =
      i.code === "unrecognized_keys"
        ? `unknown option(s) ${(i as { keys: string[] }).keys.map((k) => (i.path.length ? key + "." : "") + k).join(", ")}`
        : i.message;
    return `  - ${i.code === "unrecognized_keys" ? extra : `${key}: ${extra}`}`;
  });
  return `Invalid configuration${describeConfigSource(source)}:\n${lines.join("\n")}\nSee docs/config.md or gyre.config.example.yaml for every option.`;
}
