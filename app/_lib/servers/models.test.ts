import { test } from "node:test";
import assert from "node:assert/strict";
import { resolveOriginPlan } from "@/proxy/origins/origin-plan";
import { toServerModel, type ServerRow } from "./models";

const row: ServerRow = {
  name: "gpu",
  state: "running",
  spawnerKind: "local",
  spawnerState: "{}",
  url: null,
  options: "{}",
  message: null,
  startedAt: null,
  lastActivity: null,
};

test("full_url: on the user's own origin with per-user origins, on the hub's in single-origin mode; progress always on the hub", () => {
  const perUser = toServerModel("alice", row, {
    publicUrl: "http://localhost:8000",
    origins: resolveOriginPlan({ publicUrl: "http://localhost:8000", userDomain: undefined }),
  });
  assert.equal(perUser.full_url, "http://alice.localhost:8000/user/alice/gpu/");
  assert.equal(perUser.full_progress_url, "http://localhost:8000/hub/api/users/alice/servers/gpu/progress");
  assert.equal(perUser.url, "/user/alice/gpu/");
  const single = toServerModel("alice", row, {
    publicUrl: "https://hub.example.org",
    origins: resolveOriginPlan({ publicUrl: "https://hub.example.org", userDomain: "" }),
  });
  assert.equal(single.full_url, "https://hub.example.org/user/alice/gpu/");
  assert.equal(toServerModel("alice", row, {}).full_url, null);
});
