import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError } from "@/config/errors";
import { classifyHost, defaultPublicUrl, hostnameOf, resolveOriginPlan, singleOriginWarning, userOrigin, userUrl } from "./origin-plan";

test("plans, one row per configuration", () => {
  const cases: Array<[publicUrl: string, userDomain: string | undefined, want: string]> = [
    ["http://localhost:8000", undefined, "per-user localhost http://alice.localhost:8000"],
    ["http://Gyre.LOCALHOST:8000", undefined, "per-user gyre.localhost http://alice.gyre.localhost:8000"],
    ["http://notlocalhost:8000", undefined, "single (unset) http://notlocalhost:8000"],
    ["http://localhost.example.org:8000", undefined, "single (unset) http://localhost.example.org:8000"],
    ["http://localhost:8000", "localhost", "per-user localhost http://alice.localhost:8000"],
    ["http://LOCALHOST:8000/", "LocalHost", "per-user localhost http://alice.localhost:8000"],
    ["http://localhost:8000", "", "single (disabled) http://localhost:8000"],
    ["https://hub.example.org", undefined, "single (unset) https://hub.example.org"],
    ["https://hub.example.org", "hub.example.org", "per-user hub.example.org https://alice.hub.example.org"],
    ["https://hub.example.org", "Users.Example.ORG.", "per-user users.example.org https://alice.users.example.org"],
    ["https://hub.example.org:8443", "hub.example.org", "per-user hub.example.org https://alice.hub.example.org:8443"],
    ["http://127.0.0.1:8000", undefined, "single (ip-address) http://127.0.0.1:8000"],
    ["http://[::1]:8000", undefined, "single (ip-address) http://[::1]:8000"],
    ["http://10.0.0.5:8000", "users.example.org", "per-user users.example.org http://alice.users.example.org:8000"],
    ["http://127.0.0.1:8000", "localhost", "per-user localhost http://alice.localhost:8000"],
  ];
  for (const [publicUrl, userDomain, want] of cases) {
    const p = resolveOriginPlan({ publicUrl, userDomain });
    const got = p.mode === "per-user" ? `per-user ${p.userDomain} ${userOrigin(p, "alice")}` : `single (${p.singleReason}) ${userOrigin(p, "alice")}`;
    assert.equal(got, want, `${publicUrl} + ${String(userDomain)}`);
  }
});

test("bad combinations stop start-up with a message naming the option", () => {
  const cases: Array<[publicUrl: string, userDomain: string | undefined, message: RegExp]> = [
    ["http://localhost:8000", "10.0.0.5", /hub\.userDomain must be a domain name .* not an IP address/],
    ["http://localhost:8000", "[::1]", /hub\.userDomain must be a domain name .* not an IP address/],
    ["http://localhost:8000", "https://hub.example.org", /hub\.userDomain "https:\/\/hub\.example\.org" is not a domain name/],
    ["http://localhost:8000", "hub.example.org:8443", /hub\.userDomain .* is not a domain name/],
    ["http://localhost:8000", "hub_x.example.org", /hub\.userDomain .* is not a domain name/],
    ["https://hub.example.org", "example.org", /the hub's host hub\.example\.org \(hub\.publicUrl\) lies under hub\.userDomain example\.org/],
    ["ftp://hub.example.org", undefined, /hub\.publicUrl must be an http:\/\/ or https:\/\/ URL/],
  ];
  for (const [publicUrl, userDomain, message] of cases) {
    assert.throws(
      () => resolveOriginPlan({ publicUrl, userDomain }),
      (e: Error) => e instanceof ConfigError && message.test(e.message),
      `${publicUrl} + ${userDomain}`,
    );
  }
});

test("Host headers: the hub, a user origin, or an unknown name under the user domain", () => {
  const p = resolveOriginPlan({ publicUrl: "https://hub.example.org", userDomain: "hub.example.org" });
  const cases: Array<[host: string | undefined, want: string]> = [
    ["hub.example.org", "hub"],
    ["HUB.example.org:443", "hub"],
    [undefined, "hub"],
    ["127.0.0.1:8000", "hub"],
    ["[::1]:8000", "hub"],
    ["other.example.org", "hub"],
    ["alice.hub.example.org", "user alice"],
    ["Alice.Hub.Example.Org.", "user alice"],
    ["alice.hub.example.org:8443", "user alice"],
    ["alice-smith--0123456789abcdef0123.hub.example.org", "user alice-smith--0123456789abcdef0123"],
    ["a.b.hub.example.org", "unknown"],
    ["-a.hub.example.org", "unknown"],
    [".hub.example.org", "unknown"],
    ["xhub.example.org", "hub"],
  ];
  for (const [host, want] of cases) {
    const c = classifyHost(p, host);
    assert.equal(c.kind === "user" ? `user ${c.label}` : c.kind, want, String(host));
  }
  const single = resolveOriginPlan({ publicUrl: "https://hub.example.org", userDomain: "" });
  assert.deepEqual(classifyHost(single, "alice.hub.example.org"), { kind: "hub" });
});

test("links: absolute on the user's origin in per-user mode, the path itself in single-origin mode", () => {
  const per = resolveOriginPlan({ publicUrl: "http://localhost:8000", userDomain: "localhost" });
  assert.equal(userUrl(per, "alice", "/user/alice/tree"), "http://alice.localhost:8000/user/alice/tree");
  assert.match(userUrl(per, "alice_smith", "/user/alice_smith/"), /^http:\/\/alice-smith--[0-9a-f]{20}\.localhost:8000\/user\/alice_smith\/$/);
  const single = resolveOriginPlan({ publicUrl: "http://localhost:8000", userDomain: "" });
  assert.equal(userUrl(single, "alice", "/user/alice/tree"), "/user/alice/tree");
});

test("hostnameOf strips port and trailing dot", () => {
  assert.equal(hostnameOf("Alice.Localhost:8000"), "alice.localhost");
  assert.equal(hostnameOf("alice.localhost."), "alice.localhost");
  assert.equal(hostnameOf("[::1]:8000"), "[::1]");
});

test("the default public URL: localhost for a proxy on loopback, 127.0.0.1 when it listens everywhere, else its address", () => {
  assert.equal(defaultPublicUrl({ bindHost: "127.0.0.1", port: 8000 }), "http://localhost:8000");
  assert.equal(defaultPublicUrl({ bindHost: "127.0.0.2", port: 8000 }), "http://localhost:8000");
  assert.equal(defaultPublicUrl({ bindHost: "::1", port: 8000 }), "http://localhost:8000");
  assert.equal(defaultPublicUrl({ bindHost: "localhost", port: 8000 }), "http://localhost:8000");
  assert.equal(defaultPublicUrl({ bindHost: "0.0.0.0", port: 8000 }), "http://127.0.0.1:8000");
  assert.equal(defaultPublicUrl({ bindHost: "::", port: 9000 }), "http://127.0.0.1:9000");
  assert.equal(defaultPublicUrl({ bindHost: "10.1.2.3", port: 8000 }), "http://10.1.2.3:8000");
  assert.equal(defaultPublicUrl({ bindHost: "fd00::1", port: 8000 }), "http://[fd00::1]:8000");
});

test("single-origin mode warns, saying what it cannot protect and how to turn per-user origins on", () => {
  const w = singleOriginWarning(resolveOriginPlan({ publicUrl: "http://10.0.0.5:8000", userDomain: undefined }))!;
  assert.match(w, /hub\.publicUrl is an IP address \(10\.0\.0\.5\)/);
  assert.match(w, /runs as whoever opens it/);
  assert.match(w, /set hub\.userDomain/);
  assert.match(
    singleOriginWarning(resolveOriginPlan({ publicUrl: "https://hub.example.org", userDomain: undefined }))!,
    /hub\.example\.org, which is not localhost, and hub\.userDomain is unset/,
  );
  assert.match(singleOriginWarning(resolveOriginPlan({ publicUrl: "http://localhost:8000", userDomain: "" }))!, /hub\.userDomain is set to an empty string/);
  assert.equal(singleOriginWarning(resolveOriginPlan({ publicUrl: "http://localhost:8000", userDomain: undefined })), null);
  assert.equal(singleOriginWarning(resolveOriginPlan({ publicUrl: "http://localhost:8000", userDomain: "localhost" })), null);
});
