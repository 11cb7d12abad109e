// JupyterHub's token model from a stored row: every field JupyterHub 5 has, session_id included.
import assert from "node:assert/strict";
import { test } from "node:test";
import { toTokenModel } from "./api-tokens";

const row = {
  id: 7,
  prefix: "abcdefgh",
  note: "OAuth: whoami",
  scopes: "access:services!service=whoami",
  createdAt: new Date("2026-12-04T10:00:00Z"),
  expiresAt: new Date("2026-12-05T10:00:00Z"),
  lastUsed: null,
};

test("the token model has JupyterHub's fields: an OAuth token names its client, session_id is null (no session is recorded)", () => {
  assert.deepEqual(toTokenModel({ ...row, oauthClient: "service-whoami" }, "alice"), {
    id: "a7",
    kind: "api_token",
    user: "alice",
    note: "OAuth: whoami",
    scopes: ["access:services!service=whoami"],
    roles: [],
    prefix: "abcdefgh",
    created: "2026-12-04T10:00:00.000Z",
    expires_at: "2026-12-05T10:00:00.000Z",
    last_activity: null,
    oauth_client: "service-whoami",
    session_id: null,
  });
  const api = toTokenModel({ ...row, scopes: "", oauthClient: null }, "alice");
  assert.deepEqual([api.scopes, api.oauth_client, api.session_id], [["inherit"], null, null]);
});
