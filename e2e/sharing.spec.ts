// Sharing a server, in a real Chromium against a real hub, proxy and Jupyter server, with per-user
// origins: alice hands bob a share link; bob accepts it on the hub's page and lands in alice's
// server on alice's origin; when alice revokes the share, bob's open tab is refused at its next
// request and a reload does not get him back in. What it refuses: a forged link, alice accepting
// her own link, a link used up, carol (no share) on alice's origin.
import { test, expect, type Browser, type Page } from "@playwright/test";
import { createUser, login, startGyre, startServerViaApi, type Gyre } from "./harness";

/** A page of its own browser context (its own cookies), logged in as `name`. */
async function loggedIn(browser: Browser, g: Gyre, name: string, password: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await login(page, g, name, password);
  return page;
}

test.describe("sharing a server by a link", () => {
  let g: Gyre;
  test.beforeAll(async () => {
    test.setTimeout(120_000);
    g = await startGyre({ basePort: 7950 });
    for (const n of ["e2e-alice", "e2e-bob", "e2e-carol"]) await createUser(g, n, `${n}-password`);
  });
  test.afterAll(async () => {
    await g?.stop();
  });

  test("bob accepts alice's link, works in her server on her origin, and is refused at once when she revokes it", async ({ browser }) => {
    test.setTimeout(180_000);
    await startServerViaApi(g, "e2e-alice");
    const issued = await g.api("e2e-alice", "/hub/api/share-codes/e2e-alice/", { method: "POST", body: JSON.stringify({ expires_in: 600, max_exchanges: 1 }) });
    expect(issued.status).toBe(200);
    const { accept_url } = (await issued.json()) as { accept_url: string };

    // refusals first: a forged link, and alice's own link for alice
    const alice = await loggedIn(browser, g, "e2e-alice", "e2e-alice-password");
    await alice.goto(`${g.url}${accept_url}`);
    await expect(alice.getByTestId("accept-share-refused")).toContainText("your own server");
    await alice.goto(`${g.url}/hub/accept-share?code=${"A".repeat(43)}`);
    await expect(alice.getByTestId("accept-share-refused")).toContainText("not valid");

    const bob = await loggedIn(browser, g, "e2e-bob", "e2e-bob-password");
    // before accepting, alice's server is not bob's to open
    await bob.goto(g.userUrl("e2e-alice", "tree"));
    await expect(bob.getByTestId("origin-login-forbidden")).toBeVisible();
    await bob.goto(`${g.url}${accept_url}`);
    await expect(bob.getByTestId("accept-share-heading")).toContainText("e2e-alice");
    await bob.getByTestId("accept-share-confirm").click();
    // through the hub's handshake onto alice's origin, into her server
    await expect(bob).toHaveURL(new RegExp(`^${g.userUrl("e2e-alice", "").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
    await bob.goto(g.userUrl("e2e-alice", "tree"));
    await expect(bob).toHaveURL(/\/user\/e2e-alice\/tree/);
    const fromPage = () => bob.evaluate(async () => (await fetch("api/status", { cache: "no-store", redirect: "manual" })).status);
    expect(await fromPage(), "alice's Jupyter API from bob's tab").toBe(200);
    const shared = (await (await g.api("e2e-bob", "/hub/api/users/e2e-bob/shared")).json()) as { items: { server: { url: string } }[] };
    expect(shared.items.map((s) => s.server.url)).toEqual(["/user/e2e-alice/"]);

    // both home pages say so
    const home = await (await browser.newContext()).newPage();
    await login(home, g, "e2e-bob", "e2e-bob-password");
    await expect(home.getByTestId("shared-with-me-e2e-alice-")).toHaveAttribute("href", g.userUrl("e2e-alice", ""));
    await alice.goto(`${g.url}/hub/home`);
    await expect(alice.getByTestId("shared-by-me")).toContainText("e2e-bob");
    await home.context().close();

    // the link allowed one acceptance: carol is turned away, and cannot open alice's server
    const carol = await loggedIn(browser, g, "e2e-carol", "e2e-carol-password");
    await carol.goto(`${g.url}${accept_url}`);
    await expect(carol.getByTestId("accept-share-refused")).toContainText("used as many times");
    await carol.goto(g.userUrl("e2e-alice", "tree"));
    await expect(carol.getByTestId("origin-login-forbidden")).toBeVisible();

    // alice revokes: the very next request from bob's open tab is refused
    const revoked = await g.api("e2e-alice", "/hub/api/shares/e2e-alice/", { method: "PATCH", body: JSON.stringify({ user: "e2e-bob" }) });
    expect(revoked.status).toBe(200);
    expect(await fromPage(), "alice's Jupyter API from bob's tab, after the revocation").toBe(403);
    await bob.reload();
    await expect(bob.getByText("You do not have access to e2e-alice's server")).toBeVisible();
    for (const p of [alice, bob, carol]) await p.context().close();
  });
});
