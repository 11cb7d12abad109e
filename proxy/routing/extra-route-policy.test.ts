import { test } from "node:test";
import assert from "node:assert/strict";
import { extraRouteRefusal, EXTRA_ROUTE_MAX_DATA_BYTES } from "./extra-route-policy";

const data = { target: "http://10.0.0.9:3000" };

test("paths the hub owns are refused in every spelling the route trie treats alike; others are allowed", () => {
  for (const p of [
    "/",
    "",
    "//",
    "/user",
    "/user/",
    "/user/alice",
    "/user/alice/gpu/x",
    "//user//alice",
    "/User/alice",
    "/USER",
    "/%75ser/alice",
    "/hub",
    "/hub/login",
    "/Hub/api",
    "/_gyre/callback",
    "/_chp_healthz",
  ]) {
    assert.match(extraRouteRefusal(p, data) ?? "", /the hub's/, p);
    assert.match(extraRouteRefusal(p, undefined) ?? "", /the hub's/, `DELETE ${p}`);
  }
  for (const p of ["/services/grafana", "/services/grafana/", "/users", "/hubble", "/shared/bob", "/api/x", "/%zz"]) {
    assert.equal(extraRouteRefusal(p, data), null, p);
    assert.equal(extraRouteRefusal(p, undefined), null, p);
  }
});

test("data: an object without the hub's spawn_id, and not huge", () => {
  assert.match(extraRouteRefusal("/services/x", { ...data, spawn_id: "s1" }) ?? "", /spawn_id/);
  assert.match(extraRouteRefusal("/services/x", [data]) ?? "", /JSON object/);
  assert.match(extraRouteRefusal("/services/x", null) ?? "", /JSON object/);
  assert.match(extraRouteRefusal("/services/x", { ...data, pad: "x".repeat(EXTRA_ROUTE_MAX_DATA_BYTES) }) ?? "", /larger than/);
  assert.equal(extraRouteRefusal("/services/x", { ...data, user: "bob", service: "grafana" }), null);
});
