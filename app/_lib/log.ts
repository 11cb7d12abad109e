// The hub's logger (pino). Secrets are redacted by key name wherever they appear in log objects.
import pino from "pino";

export const REDACT_PATHS = [
  "token",
  "*.token",
  "password",
  "*.password",
  "secretKey",
  "*.secretKey",
  "authToken",
  "*.authToken",
  "headers.authorization",
  "headers.cookie",
  "*.headers.authorization",
  "*.headers.cookie",
  "env.JUPYTER_TOKEN",
  // passport / GitHub OAuth: the app's secret, access and refresh tokens, authorization codes, state
  "clientSecret",
  "*.clientSecret",
  "client_secret",
  "*.client_secret",
  "accessToken",
  "*.accessToken",
  "access_token",
  "*.access_token",
  "refreshToken",
  "*.refreshToken",
  "refresh_token",
  "*.refresh_token",
  "params.access_token",
  // (authorization codes and states only as request fields: a bare "code" key is an errno elsewhere)
  "query.code",
  "*.query.code",
  "query.state",
  "*.query.state",
  "body.code",
  "*.body.code",
  // hub sessions and CSRF
  "csrf",
  "*.csrf",
  "_csrf",
  "*._csrf",
  'headers["x-gyre-csrf"]',
  '*.headers["x-gyre-csrf"]',
  'headers["x-gyre-token"]',
  '*.headers["x-gyre-token"]',
  'headers["set-cookie"]',
  '*.headers["set-cookie"]',
];

export function createLogger(level: string, name = "gyre-hub") {
  return pino({ name, level, redact: { paths: REDACT_PATHS, censor: "[redacted]" } });
}

export type Logger = ReturnType<typeof createLogger>;
