import { test } from "node:test";
import assert from "node:assert/strict";
import { githubAuthSchema } from "@/config/auth-section";
import { resolveGitHubSettings } from "./settings";

const gh = (o: object) => githubAuthSchema.parse({ enabled: true, ...o });

test("github.com endpoints, default callback, no scopes for username rules", () => {
  const s = resolveGitHubSettings(gh({ clientId: "id", clientSecret: "sec", allowedUsers: ["alice"] }), "https://hub.example.org/", undefined);
  assert.equal(s.authorizationUrl, "https://github.com/login/oauth/authorize");
  assert.equal(s.tokenUrl, "https://github.com/login/oauth/access_token");
  assert.equal(s.userProfileUrl, "https://api.github.com/user");
  assert.equal(s.callbackUrl, "https://hub.example.org/hub/oauth_callback");
  assert.deepEqual(s.scopes, []);
});

test("GitHub Enterprise Server: web flow and /api/v3 from the base URL; read:org for org rules", () => {
  const s = resolveGitHubSettings(
    gh({ clientId: "id", enterpriseUrl: "https://ghe.example.org/", allowedOrganizations: ["pangeo"], callbackUrl: "https://x.example/hub/oauth_callback" }),
    "http://h",
    "  file-secret\n",
  );
  assert.equal(s.authorizationUrl, "https://ghe.example.org/login/oauth/authorize");
  assert.equal(s.tokenUrl, "https://ghe.example.org/login/oauth/access_token");
  assert.equal(s.apiBase, "https://ghe.example.org/api/v3");
  assert.equal(s.userProfileUrl, "https://ghe.example.org/api/v3/user");
  assert.equal(s.callbackUrl, "https://x.example/hub/oauth_callback");
  assert.equal(s.clientSecret, "file-secret");
  assert.deepEqual(s.scopes, ["read:org"]);
});

test("refuses to start without client id or secret, naming the options", () => {
  assert.throws(() => resolveGitHubSettings(gh({ clientSecret: "s" }), "http://h", undefined), /auth\.github\.clientId is required/);
  assert.throws(
    () => resolveGitHubSettings(gh({ clientId: "i" }), "http://h", undefined),
    /GYRE_AUTH__GITHUB__CLIENT_SECRET or auth\.github\.clientSecretFile/,
  );
});
