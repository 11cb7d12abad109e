import { test } from "node:test";
import assert from "node:assert/strict";
import { describeServerDown } from "./server-down";
import { ServerStatusLookup } from "./server-status";
import { InMemoryHub } from "../testing/in-memory-hub";
import type { ServerCheck } from "../hub/connection";

const base = { who: "ada's server", code: "ECONNREFUSED", user: "ada", server: "", hubUrl: (p: string) => `https://hub.example.org${p}` };
const check = (state: string, message: string | null = null): ServerCheck => ({ state, message, stoppedAt: null });

test("the page says what the hub knows and what to do next", () => {
  assert.deepEqual(describeServerDown({ ...base, check: check("stopped", "The server stopped: Slurm job 42 was cancelled.") }), {
    message: "ada's server has stopped. The server stopped: Slurm job 42 was cancelled.",
    links: [
      { href: "https://hub.example.org/hub/spawn/ada", label: "Start it again" },
      { href: "https://hub.example.org/hub/home", label: "Back to the hub" },
    ],
  });
  const failed = describeServerDown({ ...base, server: "gpu 1", check: check("failed") });
  assert.equal(failed.message, "ada's server has failed. The hub recorded no reason.");
  assert.equal(failed.links[0].href, "https://hub.example.org/hub/spawn/ada/gpu%201");
  assert.equal(describeServerDown({ ...base, check: check("starting") }).links[0].label, "See its progress");
  assert.match(describeServerDown({ ...base, check: check("running") }).message, /not responding \(ECONNREFUSED\)\. The hub still counts it as running/);
  assert.deepEqual(describeServerDown({ ...base, check: null }), {
    message: "ada's server is not responding (ECONNREFUSED). It may be starting or stopped.",
    links: [{ href: "https://hub.example.org/hub/home", label: "Back to the hub" }],
  });
});

test("the lookup asks the hub once per server per TTL, gives up after waitMs, forgets the oldest past maxEntries", async () => {
  const hub = new InMemoryHub("k".repeat(40));
  hub.state.serverChecks["ada/"] = check("stopped", "gone");
  const lookup = new ServerStatusLookup({ hub, ttlMs: 1000, waitMs: 100, maxEntries: 2 });
  const [a, b] = await Promise.all([lookup.check("ada", "", 0), lookup.check("ada", "", 500)]);
  assert.deepEqual(a, check("stopped", "gone"));
  assert.equal(b, a);
  assert.equal(hub.state.serverCheckCalls, 1);
  await lookup.check("ada", "", 1000);
  assert.equal(hub.state.serverCheckCalls, 2, "asked again once the TTL passed");
  assert.equal(await lookup.check("bob", "", 1000), null, "no such server");
  await lookup.check("cy", "", 1000);
  await lookup.check("ada", "", 1001);
  assert.equal(hub.state.serverCheckCalls, 5, "ada was forgotten (two entries at most)");

  hub.down = new Error("hub down");
  assert.equal(await lookup.check("dee", "", 5000), null, "a failing hub: no answer");
  hub.down = null;
  hub.checkServer = () => new Promise(() => {}); // a hub that never answers
  const t0 = Date.now();
  assert.equal(await lookup.check("eve", "", 9000), null);
  assert.ok(Date.now() - t0 >= 90, "waited up to waitMs");
});
