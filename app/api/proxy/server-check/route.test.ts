// POST /hub/api/proxy/server-check: only the proxy may ask, only for a user and server by name.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { SPAWNER_KINDS } from "@/spawners/catalog";
import { startTestHub, type TestHub } from "@/app/_lib/testing/hub";
import { createApiToken } from "@/app/_lib/auth/api-tokens";
import { POST } from "./route";

let hub: TestHub;
before(async () => {
  hub = await startTestHub({ catalog: SPAWNER_KINDS, config: { spawner: { kind: "local" } } });
});
after(() => hub.close());

const ctx = { params: Promise.resolve({}) };
function ask(body: unknown, authorization?: string): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (authorization) headers.authorization = authorization;
  return POST(new Request("http://hub/hub/api/proxy/server-check", { method: "POST", headers, body: JSON.stringify(body) }), ctx);
}

test("the proxy learns a stopped server's state and reason; everyone else is refused, bad bodies are a 400, unknown servers a 404", async () => {
  const user = await hub.addUser("ada");
  const stoppedAt = new Date("2026-12-03T18:00:00Z");
  await hub.db.server.create({
    data: { userId: user.id, name: "gpu", state: "stopped", spawnerKind: "local", message: "The server stopped: the job was cancelled.", stoppedAt },
  });
  const proxy = `token ${hub.rt.config.proxy.authToken}`;

  const ok = await ask({ user: "ada", server: "gpu" }, proxy);
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { state: "stopped", message: "The server stopped: the job was cancelled.", stoppedAt: stoppedAt.toISOString() });

  assert.equal((await ask({ user: "ada", server: "gpu" })).status, 403, "no token");
  const { token } = await createApiToken(hub.db, user.id, { note: "t" });
  assert.equal((await ask({ user: "ada", server: "gpu" }, `token ${token}`)).status, 403, "a user's API token");
  assert.equal((await ask({ user: "ada", server: "gpu" }, `token ${hub.rt.config.proxy.authToken}x`)).status, 403, "a wrong proxy token");

  for (const bad of [{}, { user: "ada" }, { user: "", server: "" }, { user: "ada", server: "gpu", extra: 1 }, { user: 1, server: "" }, []]) {
    const r = await ask(bad, proxy);
    assert.equal(r.status, 400, JSON.stringify(bad));
    assert.match(((await r.json()) as { message: string }).message, /\w/);
  }
  const missing = await ask({ user: "ada", server: "cpu" }, proxy);
  assert.equal(missing.status, 404);
  assert.match(((await missing.json()) as { message: string }).message, /no server "cpu" of user ada/);
  assert.equal((await ask({ user: "bob", server: "" }, proxy)).status, 404);
});
