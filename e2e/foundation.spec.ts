// Issue 2's whole flow in a real Chromium against a real hub, proxy and Jupyter server.
import { test, expect } from "@playwright/test";
import { execFileSync } from "node:child_process";
import WebSocket from "ws";
import { ADMIN, createUser, login, startGyre, startServerViaApi, type Gyre } from "./harness";

let g: Gyre;
test.beforeAll(async () => {
  g = await startGyre({ basePort: 7700 });
});
test.afterAll(async () => {
  await g?.stop();
});

function serverPids(osUser: string): string[] {
  try {
    return execFileSync("pgrep", ["-u", osUser, "-f", "jupyter"], { encoding: "utf8" }).trim().split("\n").filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

test("admin creates a user who starts a server, runs 1+1 in a notebook through the proxy, and stops it", async ({ page, context }) => {
  await login(page, g, ADMIN.name, ADMIN.password);
  await page.goto(`${g.url}/hub/admin`);
  await page.getByLabel("User name").fill("e2e-alice");
  await page.getByLabel("Password", { exact: true }).fill("alice-password-1");
  await page.getByTestId("add-user-submit").click();
  await expect(page.getByTestId("user-row-e2e-alice")).toBeVisible();

  await page.getByTestId("logout-link").click();
  await expect(page.getByTestId("login-info")).toBeVisible();
  await login(page, g, "e2e-alice", "alice-password-1");

  await page.goto(`${g.url}/hub/home`);
  const t0 = Date.now();
  await page.getByTestId("start-server").click();
  await expect(page).toHaveURL(/\/hub\/spawn-pending\/e2e-alice/);
  await expect(page.getByTestId("spawn-progress")).toBeVisible();
  await page.waitForURL(/\/user\/e2e-alice\/tree/, { timeout: 120_000 });
  console.log(`start click → notebook tree: ${Date.now() - t0} ms`);
  expect(serverPids("e2e-alice").length).toBeGreaterThan(0);

  // New notebook from the classic UI's "New" menu; it opens in a new tab.
  await page.locator("#new-dropdown-button").click();
  const [nb] = await Promise.all([context.waitForEvent("page"), page.locator("#kernel-python3 a").click()]);
  await nb.waitForLoadState();
  await expect(nb).toHaveURL(/\/user\/e2e-alice\/notebooks\/Untitled.*\.ipynb/);
  await expect(nb.locator("#kernel_indicator_icon.kernel_idle_icon")).toBeAttached({ timeout: 60_000 });
  await nb.locator(".CodeMirror").first().click();
  await nb.keyboard.type("1+1");
  await nb.keyboard.press("Shift+Enter");
  await expect(nb.locator(".output_area .output_subarea").first()).toHaveText("2", { timeout: 60_000 });

  // The Pangeo core is there: a netCDF dataset the test writes (as the user), opened lazily with
  // xarray + dask chunks, and its mean computed by dask.
  execFileSync("runuser", [
    "-u",
    "e2e-alice",
    "--",
    "/usr/bin/python3",
    "-c",
    "import numpy as np, xarray as xr; xr.Dataset({'sst': (('time', 'lat', 'lon'), np.arange(100.0).reshape(4, 5, 5) * 0.25)}).to_netcdf('/home/e2e-alice/pangeo-e2e.nc')",
  ]);
  await nb.locator(".CodeMirror").nth(1).click();
  await nb.keyboard.type(
    `import xarray as xr; ds = xr.open_dataset("pangeo-e2e.nc", chunks={"time": 2}); print(type(ds.sst.data).__module__.split(".")[0], ds.sst.data.npartitions, float(ds.sst.mean().compute()))`,
  );
  await nb.keyboard.press("Shift+Enter");
  // 0.25 × mean(0..99) = 12.375, from a dask array of 2 chunks
  await expect(nb.locator(".output_area .output_subarea").nth(1)).toHaveText("dask 2 12.375", { timeout: 90_000 });
  await nb.close();

  await page.goto(`${g.url}/hub/home`);
  await page.getByTestId("stop-server").click();
  await expect(page.getByTestId("server-status")).toHaveAttribute("data-state", "stopped", { timeout: 60_000 });
  await expect.poll(() => serverPids("e2e-alice").length, { timeout: 15_000 }).toBe(0);
});

test("a failed spawn shows the reason and the server's log, and leaves nothing running", async ({ page }) => {
  // A second Gyre whose server command is broken (an unknown flag makes Jupyter exit).
  const bad = await startGyre({ basePort: 7720, env: { GYRE_SPAWNER__LOCAL__ARGS: '["--ServerApp.no_such_option_x=1", "--definitely-not-a-flag"]' } });
  try {
    await login(page, bad, ADMIN.name, ADMIN.password);
    await page.goto(`${bad.url}/hub/home`);
    await page.getByTestId("start-server").click();
    await expect(page.getByTestId("spawn-failed")).toBeVisible({ timeout: 60_000 });
    await expect(page.getByTestId("spawn-failed")).toContainText(/exit|failed|status/i);
    await expect(page.getByTestId("spawn-log")).toContainText(/definitely-not-a-flag|unrecognized|error/i);
    expect(serverPids(ADMIN.name).length).toBe(0);
  } finally {
    await bad.stop();
  }
});

test.describe("isolation", () => {
  let kernelId: string;
  test.beforeAll(async () => {
    await createUser(g, "e2e-bob", "bob-password-12");
    await createUser(g, "e2e-carol", "carol-password-12");
    await startServerViaApi(g, "e2e-bob");
    const r = await g.api("e2e-bob", "/user/e2e-bob/api/kernels", { method: "POST", body: "{}" });
    expect(r.status).toBe(201);
    kernelId = ((await r.json()) as { id: string }).id;
  });

  test("another user gets no access to a server, over HTTP or WebSocket", async ({ page }) => {
    await login(page, g, "e2e-carol", "carol-password-12");
    // bob's servers are on bob's origin: the hub will not hand carol a session there
    await page.goto(g.userUrl("e2e-bob", "tree"));
    await expect(page.getByTestId("origin-login-forbidden")).toBeVisible();
    const res = await page.request.get(g.userUrl("e2e-bob", "api/status"));
    expect(res.status()).toBe(403);
    const bobOrigin = new URL(g.userUrl("e2e-bob")).origin;
    const wsPath = `/user/e2e-bob/api/kernels/${kernelId}/channels`;
    const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
    // every cookie carol's browser has (the hub's included), on bob's origin and on the hub's
    expect(await wsHandshake(`${bobOrigin.replace("http", "ws")}${wsPath}`, { cookie, origin: bobOrigin })).toBe(403);
    expect(await wsHandshake(`${g.url.replace("http", "ws")}${wsPath}`, { cookie, origin: g.url })).toBe(403);
    // The owner, same checks: allowed (so the 403s above are about identity, not a broken route).
    expect((await g.api("e2e-bob", "/user/e2e-bob/api/status")).status).toBe(200);
  });

  test("a cross-site POST and a cross-site WebSocket from another origin are refused", async ({ page }) => {
    await login(page, g, "e2e-bob", "bob-password-12");
    // bob on his own server: his browser gets the user-origin cookie there
    await page.goto(g.userUrl("e2e-bob", "tree"));
    await expect(page.locator("#notebook_list")).toBeAttached();
    const bobOrigin = new URL(g.userUrl("e2e-bob")).origin;
    const cookie = (await page.context().cookies(bobOrigin)).map((c) => `${c.name}=${c.value}`).join("; ");
    // Same user, same cookie, same-origin: allowed.
    expect(await wsHandshake(`${bobOrigin.replace("http", "ws")}/user/e2e-bob/api/kernels/${kernelId}/channels`, { cookie, origin: bobOrigin })).toBe(101);
    // A page on another origin (another *.localhost name, so a browser would resolve it too).
    const evil = "http://evil.localhost:7799";
    await page.route(`${evil}/**`, (route) => route.fulfill({ contentType: "text/html", body: "<html><body>evil</body></html>" }));
    await page.goto(`${evil}/attack`);
    const results = await page.evaluate(
      async ({ target, kernel }) => {
        const post = await fetch(`${target}/user/e2e-bob/api/contents`, {
          method: "POST",
          credentials: "include",
          headers: { "content-type": "text/plain" },
          body: "{}",
          mode: "no-cors",
        })
          .then((r) => r.status)
          .catch(() => -1);
        const ws = await new Promise<string>((resolve) => {
          const s = new WebSocket(`${target.replace("http", "ws")}/user/e2e-bob/api/kernels/${kernel}/channels`);
          s.onopen = () => resolve("open");
          s.onerror = () => resolve("error");
        });
        return { post, ws };
      },
      { target: bobOrigin, kernel: kernelId },
    );
    expect(results.ws).toBe("error");
    // no-cors hides the status from the page, so check the server: no notebook was created.
    const listing = (await (await g.api("e2e-bob", "/user/e2e-bob/api/contents")).json()) as { content: { name: string }[] };
    expect(listing.content.filter((c) => c.name.startsWith("Untitled"))).toEqual([]);
    // And the proxy's answer to such a request, seen directly:
    const direct = await fetch(`${bobOrigin}/user/e2e-bob/api/contents`, {
      method: "POST",
      headers: { cookie, origin: evil, "content-type": "text/plain" },
      body: "{}",
    });
    expect(direct.status).toBe(403);
  });

  test("restarting the hub while a server runs keeps it reachable and adopted", async () => {
    // With the hub down the proxy honours a token whose owner the hub confirmed within
    // proxy.tokenGraceSeconds (proxy/auth/identity.ts); bob's token is used once before the kill so
    // the proxy has confirmed it.
    expect((await g.api("e2e-bob", "/user/e2e-bob/api/status")).status).toBe(200);
    await g.killHub("SIGKILL");
    // The proxy keeps serving while the hub is down.
    expect((await g.api("e2e-bob", "/user/e2e-bob/api/status")).status).toBe(200);
    await g.startHub();
    const m = (await (await g.api("e2e-bob", "/hub/api/users/e2e-bob")).json()) as { servers: Record<string, { ready: boolean }> };
    expect(m.servers[""].ready).toBe(true);
    expect((await g.api("e2e-bob", "/user/e2e-bob/api/status")).status).toBe(200);
    expect(g.logs()).toContain("adopted running server");
  });

  test("restarting the proxy restores every route from the hub", async () => {
    await g.killProxy("SIGKILL");
    const t0 = Date.now();
    await g.startProxy();
    expect((await g.api("e2e-bob", "/user/e2e-bob/api/status")).status).toBe(200);
    console.log(`proxy restart → route served: ${Date.now() - t0} ms`);
  });
});

function wsHandshake(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on("open", () => {
      ws.close();
      resolve(101);
    });
    ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
    ws.on("error", () => resolve(-1));
  });
}

test("the idle culler stops a server nobody uses and tells its owner why", async () => {
  const c = await startGyre({ basePort: 7730, env: { GYRE_CULLING__ENABLED: "true", GYRE_CULLING__TIMEOUT_SECONDS: "4", GYRE_CULLING__EVERY_SECONDS: "1" } });
  try {
    await startServerViaApi(c, ADMIN.name);
    await expect
      .poll(
        async () =>
          (
            (await (await c.api(ADMIN.name, `/hub/api/users/${ADMIN.name}?include_stopped_servers`)).json()) as {
              servers: Record<string, { state: string; message: string | null }>;
            }
          ).servers[""],
        { timeout: 30_000 },
      )
      .toMatchObject({ state: "stopped", message: "Stopped after 4 s without activity." });
    expect(serverPids(ADMIN.name).length).toBe(0);
  } finally {
    await c.stop();
  }
});
