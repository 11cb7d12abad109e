import { test } from "node:test";
import assert from "node:assert/strict";
import { resolveOriginPlan } from "@/proxy/origins/origin-plan";
import { hubContentSecurityPolicy, isSameOrigin } from "./security";

const pub = resolveOriginPlan({ publicUrl: "http://hub.example:8000", userDomain: "" });

test("same-origin requests pass, cross-site ones do not", () => {
  assert.equal(isSameOrigin({ origin: "http://hub.example:8000", host: "hub.example:8000" }, pub), true);
  assert.equal(isSameOrigin({ origin: "http://127.0.0.1:9000", host: "127.0.0.1:9000" }, pub), true);
  assert.equal(isSameOrigin({ origin: "http://evil.example", host: "hub.example:8000" }, pub), false);
  assert.equal(isSameOrigin({ origin: "null", host: "hub.example:8000" }, pub), false);
  assert.equal(isSameOrigin({ referer: "http://hub.example:8000/hub/home", host: "hub.example:8000" }, pub), true);
  assert.equal(isSameOrigin({ referer: "http://evil.example/x", host: "hub.example:8000" }, pub), false);
  assert.equal(isSameOrigin({ host: "hub.example:8000" }, pub), false);
  assert.equal(isSameOrigin({ host: "hub.example:8000", authorization: "token abc" }, pub), true);
});

test("per-user origins: a user's origin is never the hub's, even when the request says Host is that origin", () => {
  const plan = resolveOriginPlan({ publicUrl: "http://hub.example:8000", userDomain: "hub.example" });
  assert.equal(isSameOrigin({ origin: "http://hub.example:8000", host: "hub.example:8000" }, plan), true);
  assert.equal(isSameOrigin({ origin: "http://alice.hub.example:8000", host: "hub.example:8000" }, plan), false);
  // A request that reached the hub with a user origin's Host (not through the proxy, which sends those elsewhere).
  assert.equal(isSameOrigin({ origin: "http://alice.hub.example:8000", host: "alice.hub.example:8000" }, plan), false);
  assert.equal(isSameOrigin({ referer: "http://alice.hub.example:8000/user/alice/files/x.html", host: "hub.example:8000" }, plan), false);
  // The hub by another name (its address) is still the hub.
  assert.equal(isSameOrigin({ origin: "http://127.0.0.1:8000", host: "127.0.0.1:8000" }, plan), true);
});

test("only the confirmation pages (an admin's origin login, a share link's acceptance) may send a form on to users' origins", () => {
  const plan = resolveOriginPlan({ publicUrl: "http://localhost:8000", userDomain: "localhost" });
  assert.match(hubContentSecurityPolicy(plan, "/hub/origin-login"), /form-action 'self' http:\/\/\*\.localhost:8000;/);
  assert.match(hubContentSecurityPolicy(plan, "/hub/accept-share"), /form-action 'self' http:\/\/\*\.localhost:8000;/);
  assert.match(hubContentSecurityPolicy(plan, "/hub/home"), /form-action 'self';/);
  assert.match(hubContentSecurityPolicy(plan, "/hub/origin-login-other"), /form-action 'self';/);
  assert.match(hubContentSecurityPolicy(pub, "/hub/origin-login"), /form-action 'self';/);
});
