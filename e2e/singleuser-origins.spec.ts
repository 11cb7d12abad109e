// jupyterhub-singleuser (Debian's JupyterHub 3.0) under per-user origins, Gyre's default: the
// server on http://alice.localhost sends the browser to the hub's authorize on its own origin
// (JUPYTERHUB_HOST is empty, as JupyterHub without subdomains), the proxy takes it to the hub's
// origin, and the code comes back to the server's callback on alice's origin.
import { test, expect } from "@playwright/test";
import { ADMIN, createUser, login, startGyre, type Gyre } from "./harness";

let g: Gyre;
test.beforeAll(async () => {
  g = await startGyre({ basePort: 7966, config: { spawner: { local: { command: ["/usr/bin/jupyterhub-singleuser"] } } } });
  await createUser(g, "alice", "alice-password-123");
});
test.afterAll(async () => {
  await g?.stop();
});

test("per-user origins: the owner goes through the hub's OAuth from her own origin and lands in the notebook tree", async ({ page }) => {
  test.setTimeout(180_000);
  const r = await g.api("alice", "/hub/api/users/alice/servers/su", { method: "POST", body: "{}" });
  expect([201, 202]).toContain(r.status);
  const end = Date.now() + 120_000;
  for (;;) {
    const m = (await (await g.api(ADMIN.name, "/hub/api/users/alice")).json()) as {
      servers: Record<string, { ready: boolean; state: string; message: string }>;
    };
    if (m.servers.su?.ready) break;
    if (m.servers.su?.state === "failed" || Date.now() > end) throw new Error(`spawn: ${m.servers.su?.message}\n${g.logs().slice(-3000)}`);
    await new Promise((res) => setTimeout(res, 250));
  }
  await login(page, g, "alice", "alice-password-123");
  const seen: string[] = [];
  page.on("request", (req) => seen.push(`${new URL(req.url()).host}${new URL(req.url()).pathname}`));
  await page.goto(g.userUrl("alice", "su/tree"));
  await page.waitForURL(/alice\.localhost:7966\/user\/alice\/su\/tree/, { timeout: 60_000 });
  await expect(page.locator("#notebook_list")).toBeAttached({ timeout: 30_000 });
  expect(seen).toContain("localhost:7966/hub/api/oauth2/authorize");
  expect(seen).toContain("alice.localhost:7966/user/alice/su/oauth_callback");
});
