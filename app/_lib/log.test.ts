import { test } from "node:test";
import assert from "node:assert/strict";
import pino from "pino";
import { REDACT_PATHS } from "./log";

function capture(obj: object): string {
  const lines: string[] = [];
  const log = pino({ level: "info", redact: { paths: REDACT_PATHS, censor: "[redacted]" } }, { write: (s: string) => void lines.push(s) });
  log.info(obj, "x");
  return lines.join("");
}

test("passport / GitHub secrets, tokens and CSRF values never reach the log", () => {
  const secrets = ["gh-client-secret-1", "gho_accesstoken", "ghr_refreshtoken", "oauth-code-123", "state-xyz", "csrf-abc", "api-token-1", "sess=cookie"];
  const out = capture({
    clientSecret: secrets[0],
    config: { clientSecret: secrets[0] },
    accessToken: secrets[1],
    params: { access_token: secrets[1], refresh_token: secrets[2] },
    refreshToken: secrets[2],
    req: { query: { code: secrets[3], state: secrets[4] }, headers: { cookie: secrets[7], authorization: `token ${secrets[6]}`, "x-gyre-csrf": secrets[5] } },
    session: { csrf: secrets[5] },
    token: secrets[6],
    err: { code: "ECONNREFUSED" },
  });
  for (const s of secrets) assert.ok(!out.includes(s), `${s} leaked: ${out}`);
  assert.ok(out.includes("ECONNREFUSED"), "error codes stay visible");
});
