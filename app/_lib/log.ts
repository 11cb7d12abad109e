// The hub's logger (pino). Secrets are redacted by key name wherever they appear in log objects.
import pino from "pino";

export const REDACT_PATHS = [
  "token", "*.token", "password", "*.password", "secretKey", "*.secretKey", "authToken", "*.authToken",
  "headers.authorization", "headers.cookie", "*.headers.authorization", "*.headers.cookie", "env.JUPYTER_TOKEN",
];

export function createLogger(level: string, name = "gyre-hub") {
  return pino({ name, level, redact: { paths: REDACT_PATHS, censor: "[redacted]" } });
}

export type Logger = ReturnType<typeof createLogger>;
