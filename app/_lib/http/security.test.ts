import { test } from "node:test";
import assert from "node:assert/strict";
import express from "express";
import type { AddressInfo } from "node:net";
import { resolveOriginPlan } from "@/proxy/origins/origin-plan";
import { hubContentSecurityPolicy, isSameOrigin, oauthRedirectOrigin, securityHeaders, OAUTH_AUTHORIZE_PATH } from "./security";

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

test("the OAuth consent page's form may be answered with a redirect to its client's origin, and only to it", () => {
  const plan = resolveOriginPlan({ publicUrl: "http://localhost:8000", userDomain: "localhost" });
  const csp = (uri: string, owner?: string) => hubContentSecurityPolicy(plan, OAUTH_AUTHORIZE_PATH, [oauthRedirectOrigin(plan, uri, owner)]);
  // a service elsewhere: its own origin (path and query never in the policy)
  assert.match(csp("https://grafana.example.org/login/generic_oauth?x=1"), /form-action 'self' https:\/\/grafana\.example\.org;/);
  // a service's callback under /services/ on the hub: the hub's own
  assert.match(csp("/services/whoami/oauth_callback"), /form-action 'self';/);
  // a server's callback: its owner's origin, not every user's
  assert.match(csp("/user/alice/su/oauth_callback", "alice"), /form-action 'self' http:\/\/alice\.localhost:8000;/);
  assert.match(
    hubContentSecurityPolicy(pub, OAUTH_AUTHORIZE_PATH, [oauthRedirectOrigin(pub, "/user/alice/su/oauth_callback", "alice")]),
    /form-action 'self';/,
  );
  // without a client (its errors, the login redirect): the hub's own policy
  assert.match(hubContentSecurityPolicy(plan, OAUTH_AUTHORIZE_PATH), /form-action 'self';/);
});

test("Express: the authorize route's own policy reaches the browser as Next writes it; its other answers and every other path get the hub's", async () => {
  const plan = resolveOriginPlan({ publicUrl: "http://localhost:8000", userDomain: "localhost" });
  const own = hubContentSecurityPolicy(plan, OAUTH_AUTHORIZE_PATH, ["https://grafana.example.org"]);
  const app = express();
  app.use(securityHeaders(plan));
  // as Next's sendResponse: headers appended only when absent, then the body written
  app.use((req, res) => {
    if (req.query.page === "consent" && res.getHeader("content-security-policy") === undefined) res.appendHeader("content-security-policy", own);
    res.statusCode = req.query.page === "consent" ? 200 : 400;
    res.end("x");
  });
  const server = app.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const csp = async (path: string) => (await fetch(base + path)).headers.get("content-security-policy");
  try {
    assert.equal(await csp(`${OAUTH_AUTHORIZE_PATH}?page=consent`), own);
    assert.equal(await csp(`${OAUTH_AUTHORIZE_PATH}/?page=consent`), own);
    assert.equal(await csp(OAUTH_AUTHORIZE_PATH), hubContentSecurityPolicy(plan, OAUTH_AUTHORIZE_PATH));
    // elsewhere the hub's policy is set first, and a handler's own is not appended to it
    assert.equal(await csp("/hub/home?page=consent"), hubContentSecurityPolicy(plan, "/hub/home"));
  } finally {
    await new Promise((r) => server.close(r));
  }
});
