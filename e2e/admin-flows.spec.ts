// Control-panel flows in a real Chromium against a real hub and proxy, each through the pages an
// admin and a user click: a group unlocking a spawn profile (real Slurm), a blocked user's open
// notebook tab, bulk-stopping running servers (real Jupyter), and the user page's rename and
// reset link with the group editor. Needs the single-host Slurm of scripts/setup-slurm.sh and its
// `hpctest` OS account (CI sets them up before `npm run e2e`); without them the first part fails.
import { test, expect, type Browser, type Page } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { ADMIN, createUser, login, startGyre, startServerViaApi, type Gyre } from "./harness";

interface UserModel {
  servers: Record<string, { ready: boolean; state: string; message: string | null; user_options: Record<string, unknown> }>;
}

async function userModel(g: Gyre, name: string): Promise<UserModel> {
  const r = await g.api(ADMIN.name, `/hub/api/users/${name}`);
  expect(r.status, `GET user ${name}`).toBe(200);
  return (await r.json()) as UserModel;
}

/** A page of its own browser context (its own cookies), logged in as `name`. */
async function loggedIn(browser: Browser, g: Gyre, name: string, password: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await login(page, g, name, password);
  return page;
}

test.describe("a group unlocks a spawn profile (real Slurm)", () => {
  const MEMBER = "hpctest"; // the non-root OS account scripts/setup-slurm.sh creates: its job runs as it
  const OUTSIDER = "e2e-outsider"; // never gets a job: needs no OS account
  let g: Gyre;
  const slurmJobs = () =>
    execFileSync("squeue", ["-h", "-u", MEMBER, "-o", "%i %j %l"], { encoding: "utf8" })
      .split("\n")
      .filter((l) => /gyre-/.test(l));

  test.beforeAll(async () => {
    test.setTimeout(120_000);
    g = await startGyre({
      basePort: 7906,
      env: {
        GYRE_SPAWNER__KIND: "batch",
        GYRE_SPAWNER__BATCH__SCHEDULER: "slurm",
        GYRE_SPAWNER__BATCH__PORT_RANGE: "7120-7129",
        GYRE_SPAWNER__BATCH__POLL_INTERVAL_SECONDS: "1",
        GYRE_SPAWNER__BATCH__PROFILES: JSON.stringify([
          { name: "small", display: "1 core, 10 min", walltimeSeconds: 600 },
          { name: "long", display: "1 core, 1 h", walltimeSeconds: 3600 },
          { name: "ocean", display: "Ocean team: 1 core, 20 min", walltimeSeconds: 1200, groups: ["ocean"] },
        ]),
      },
    });
    await createUser(g, MEMBER, "hpctest-password-1");
    await createUser(g, OUTSIDER, "outsider-password-1");
  });
  test.afterAll(async () => {
    await g?.stop();
  });

  test("an admin makes a group and adds A: A sees and starts its profile; B does not see it and B's crafted start with it is refused", async ({
    page,
    browser,
  }) => {
    test.setTimeout(180_000);
    // before: nobody but admins has the profile
    const a = await loggedIn(browser, g, MEMBER, "hpctest-password-1");
    await a.goto(`${g.url}/hub/spawn/${MEMBER}`);
    await expect(a.getByTestId("profile-small")).toBeVisible();
    await expect(a.getByTestId("profile-ocean")).toHaveCount(0);

    await login(page, g, ADMIN.name, ADMIN.password);
    await page.goto(`${g.url}/hub/admin/groups`);
    await page.getByLabel("New group").fill("ocean");
    await page.getByTestId("create-group-submit").click();
    await expect(page.getByTestId("group-name")).toHaveText("ocean");
    await expect(page.getByTestId("group-profiles")).toHaveText("Ocean team: 1 core, 20 min");
    await page.getByLabel(/Add members/).fill(MEMBER);
    await page.getByTestId("add-members-submit").click();
    await expect(page.getByTestId("group-info")).toHaveText(`Added ${MEMBER}.`);
    await expect(page.getByTestId("group-members")).toContainText(MEMBER);

    // A (a member) sees the profile and starts with it: Slurm gets the profile's 20-minute limit
    await a.goto(`${g.url}/hub/spawn/${MEMBER}`);
    await expect(a.getByTestId("profile-ocean")).toContainText("Ocean team: 1 core, 20 min");
    await a.getByTestId("profile-ocean").click();
    await a.getByTestId("start-server").click();
    await a.waitForURL(new RegExp(`/user/${MEMBER}/tree`), { timeout: 120_000 });
    expect((await userModel(g, MEMBER)).servers[""].user_options.profile).toBe("ocean");
    const jobs = slurmJobs();
    expect(jobs, "one Slurm job for A").toHaveLength(1);
    expect(jobs[0].split(/\s+/)[2], "the job's time limit is the ocean profile's").toBe("20:00");

    // B (not a member) does not see it…
    const b = await loggedIn(browser, g, OUTSIDER, "outsider-password-1");
    await b.goto(`${g.url}/hub/spawn/${OUTSIDER}`);
    await expect(b.getByTestId("profile-small")).toBeVisible();
    await expect(b.getByTestId("profile-ocean")).toHaveCount(0);
    // …and a start request crafted to choose it (the page's own POST, with B's session and CSRF
    // token, its body rewritten) is refused with the reason; nothing is started
    await b.route(`**/hub/api/users/${OUTSIDER}/server`, (route) =>
      route.request().method() === "POST" ? route.continue({ postData: JSON.stringify({ profile: "ocean" }) }) : route.continue(),
    );
    const [answer] = await Promise.all([
      b.waitForResponse((r) => r.url().endsWith(`/hub/api/users/${OUTSIDER}/server`)),
      b.getByTestId("start-server").click(),
    ]);
    expect(answer.status()).toBe(400);
    await expect(b.getByText('Invalid spawn option "profile": "ocean" is not a profile you may use (yours: small, long)')).toBeVisible();
    await expect(b).toHaveURL(new RegExp(`/hub/spawn/${OUTSIDER}`));
    expect((await userModel(g, OUTSIDER)).servers, "B has no server").toEqual({});

    const stop = await g.api(ADMIN.name, `/hub/api/users/${MEMBER}/server`, { method: "DELETE" });
    expect(stop.status).toBeLessThan(300);
    await expect.poll(() => slurmJobs().length, { timeout: 60_000 }).toBe(0);
  });
});

test.describe("local servers (real Jupyter)", () => {
  let g: Gyre;
  test.beforeAll(async () => {
    test.setTimeout(120_000);
    g = await startGyre({ basePort: 7900 });
  });
  test.afterAll(async () => {
    await g?.stop();
  });

  test("a blocked user's open notebook tab stops working at once: refused at the proxy, the server stops, no new login", async ({ page, browser }) => {
    test.setTimeout(180_000);
    await createUser(g, "e2e-tab", "tab-password-1");
    const tab = await loggedIn(browser, g, "e2e-tab", "tab-password-1");
    await startServerViaApi(g, "e2e-tab");
    await tab.goto(g.userUrl("e2e-tab", "tree"));
    await expect(tab).toHaveURL(/\/user\/e2e-tab\/tree/);
    const fromPage = () => tab.evaluate(async () => (await fetch("api/status", { cache: "no-store", redirect: "manual" })).status);
    expect(await fromPage(), "the notebook's API from its own page, before").toBe(200);

    await login(page, g, ADMIN.name, ADMIN.password);
    await page.goto(`${g.url}/hub/admin/users/e2e-tab`);
    page.once("dialog", (d) => void d.accept());
    await page.getByTestId("edit-blocked").check();
    await page.getByTestId("edit-user-submit").click();
    await expect(page.getByTestId("user-blocked")).toBeVisible();

    // the very next request from the open tab is refused (not after some sync delay)
    expect(await fromPage(), "the notebook's API from its own page, after").toBe(403);
    // reloading the tab does not reach the notebook: the proxy no longer knows the session and
    // sends the browser to log in
    await tab.reload();
    await expect(tab).toHaveURL(/\/hub\/login/);
    // the server stops
    await expect.poll(async () => (await userModel(g, "e2e-tab")).servers[""]?.state ?? "gone", { timeout: 60_000 }).toMatch(/^(stopped|gone)$/);
    // and the right password no longer logs in
    await tab.getByLabel(/user ?name/i).fill("e2e-tab");
    await tab.getByLabel(/password/i).fill("tab-password-1");
    await tab.getByTestId("login-submit").click();
    await expect(tab.getByText("This account is blocked")).toBeVisible();
    await expect(tab.getByTestId("current-user")).toHaveCount(0);
    await tab.context().close();
  });

  const N = 20; // the number
  test(`bulk-stop of ${N} running servers from the users view: per-user results, all end stopped`, async ({ page }) => {
    test.setTimeout(240_000);
    const names = Array.from({ length: N }, (_, i) => `e2e-bulk-${i}`);
    for (const n of names) await createUser(g, n, `${n}-password`);
    const t0 = Date.now();
    await Promise.all(names.map((n) => startServerViaApi(g, n)));
    console.log(`${N} servers running after ${Date.now() - t0} ms`);

    await login(page, g, ADMIN.name, ADMIN.password);
    await page.goto(`${g.url}/hub/admin?q=e2e-bulk-&match=prefix&state=running`);
    await expect(page.getByTestId("users-count")).toContainText(`${N} users match`);
    await page.getByTestId("select-page").check();
    await expect(page.getByTestId("bulk-selection")).toHaveText(`${N} users selected`);
    await page.getByTestId("bulk-action").selectOption("stop");
    await page.getByTestId("bulk-apply").click();
    for (const n of names) await expect(page.getByTestId("bulk-confirm")).toContainText(n);
    const t1 = Date.now();
    await page.getByTestId("bulk-confirm-submit").click();
    await expect(page.getByTestId("bulk-progress")).toHaveAttribute("data-state", "done", { timeout: 60_000 });
    console.log(`bulk stop of ${N}: done in ${Date.now() - t1} ms`);
    await expect(page.getByTestId("bulk-counts")).toHaveText(`${N} of ${N} done · ${N} succeeded · 0 failed`);
    for (const n of names) await expect(page.getByTestId(`bulk-item-${n}`)).toHaveAttribute("data-status", "ok");
    for (const n of names)
      await expect.poll(async () => (await userModel(g, n)).servers[""]?.state ?? "gone", { timeout: 60_000, message: n }).toMatch(/^(stopped|gone)$/);
    await page.goto(`${g.url}/hub/admin?q=e2e-bulk-&match=prefix&state=running`);
    await expect(page.getByTestId("users-empty")).toBeVisible();
  });

  test("user page: rename is refused while a server runs and works once stopped; a reset link works once; the group editor renames, edits and deletes", async ({
    page,
    browser,
  }) => {
    test.setTimeout(180_000);
    await createUser(g, "e2e-ren", "ren-password-1");
    await startServerViaApi(g, "e2e-ren");
    await login(page, g, ADMIN.name, ADMIN.password);
    await page.goto(`${g.url}/hub/admin/users/e2e-ren`);
    // renamed and made an admin in one save: refused as a whole while the server runs
    await page.getByLabel("User name").fill("e2e-renamed");
    await page.getByTestId("edit-admin").check();
    await page.getByTestId("edit-user-submit").click();
    await expect(page.getByTestId("admin-error")).toHaveText(
      "e2e-ren has 1 active server: stop it before renaming (a running server's address contains the user name).",
    );
    expect((await g.api(ADMIN.name, "/hub/api/users/e2e-renamed")).status, "no user under the new name").toBe(404);
    const refused = (await userModel(g, "e2e-ren")) as UserModel & { admin: boolean };
    expect(refused.servers[""].state).toBe("running");
    expect(refused.admin, "a refused save changes nothing").toBe(false);
    await page.reload();
    await expect(page.getByTestId("edit-admin")).not.toBeChecked();

    page.once("dialog", (d) => void d.accept());
    await page.getByTestId("stop-server-default").click();
    await expect.poll(async () => (await userModel(g, "e2e-ren")).servers[""]?.state ?? "gone", { timeout: 60_000 }).toMatch(/^(stopped|gone)$/);
    await page.reload();
    // a reset link made before the rename: it was for the account under its old name
    await page.getByTestId("reset-link-e2e-ren").click();
    const stale = (await page.getByTestId("reset-link-url").textContent())!.trim();
    await page.getByLabel("User name").fill("e2e-renamed");
    await page.getByTestId("edit-user-submit").click();
    await expect(page).toHaveURL(/\/hub\/admin\/users\/e2e-renamed$/);
    expect((await g.api(ADMIN.name, "/hub/api/users/e2e-ren")).status, "the old name is gone").toBe(404);
    // someone new gets the old name: the old link must not set their password
    await createUser(g, "e2e-ren", "newcomer-password-1");
    const holder = await (await browser.newContext()).newPage();
    await holder.goto(stale);
    await expect(holder.getByTestId("setup-error")).toContainText(/already used or expired/);
    await expect(holder.getByTestId("setup-submit")).toHaveCount(0);
    // nor the form posted straight to the hub
    const posted = await holder.request.post(`${g.url}/hub/setup`, {
      form: { token: new URL(stale).searchParams.get("token")!, password: "taken-over-1", password2: "taken-over-1" },
      maxRedirects: 0,
      headers: { origin: g.url },
    });
    expect(posted.status()).toBe(303);
    expect(posted.headers().location).toContain("error=expired");
    await holder.context().close();
    const newcomer = await loggedIn(browser, g, "e2e-ren", "newcomer-password-1");
    await newcomer.context().close();
    await page.goto(`${g.url}/hub/admin/users/e2e-renamed`);

    // a reset link, used once by the user, refused the second time
    await page.getByTestId("reset-link-e2e-renamed").click();
    await expect(page.getByTestId("admin-info")).toContainText("it works once");
    const link = (await page.getByTestId("reset-link-url").textContent())!.trim();
    expect(link).toMatch(/\/hub\/setup\?token=[A-Za-z0-9_-]+$/);
    const user = await (await browser.newContext()).newPage();
    await user.goto(link);
    await expect(user.getByRole("heading", { name: "Set a new password" })).toBeVisible();
    await expect(user.getByLabel(/user ?name/i)).toHaveValue("e2e-renamed");
    await user.getByLabel(/^password$/i).fill("ren-password-new");
    await user.getByLabel(/repeat/i).fill("ren-password-new");
    await user.getByTestId("setup-submit").click();
    await expect(user.getByTestId("current-user")).toContainText("e2e-renamed");
    await user.goto(link);
    await expect(user.getByTestId("setup-error")).toContainText(/already used or expired/);
    await expect(user.getByTestId("setup-submit")).toHaveCount(0);
    await user.context().close();
    const again = await (await browser.newContext()).newPage();
    await login(again, g, "e2e-renamed", "ren-password-new");
    await again.context().close();

    // the group editor: create, add a member, bad JSON refused, properties saved, rename, delete
    await page.goto(`${g.url}/hub/admin/groups`);
    await page.getByLabel("New group").fill("lab-a");
    await page.getByTestId("create-group-submit").click();
    await expect(page.getByTestId("group-name")).toHaveText("lab-a");
    await page.getByLabel(/Add members/).fill("e2e-renamed nobody-such");
    await page.getByTestId("add-members-submit").click();
    await expect(page.getByTestId("group-error")).toContainText("nobody-such");
    await expect(page.getByText("No members.")).toBeVisible();
    await page.getByLabel(/Add members/).fill("e2e-renamed");
    await page.getByTestId("add-members-submit").click();
    await expect(page.getByTestId("group-members")).toContainText("e2e-renamed");
    await page.getByTestId("group-properties").fill("{not json");
    await page.getByTestId("group-properties-save").click();
    await expect(page.getByTestId("group-error")).toContainText("not valid JSON");
    await page.getByTestId("group-properties").fill('{"quota": 5}');
    await page.getByTestId("group-properties-save").click();
    await expect(page.getByTestId("group-info")).toHaveText("Properties saved.");
    await page.getByLabel("Name", { exact: true }).fill("lab-b");
    await page.getByTestId("group-rename-submit").click();
    await expect(page).toHaveURL(/\/hub\/admin\/groups\?open=lab-b$/);
    await expect(page.getByTestId("group-name")).toHaveText("lab-b");
    await expect(page.getByTestId("group-members")).toContainText("e2e-renamed");
    const model = (await (await g.api(ADMIN.name, "/hub/api/groups/lab-b")).json()) as { users: string[]; properties: Record<string, unknown> };
    expect(model).toMatchObject({ users: ["e2e-renamed"], properties: { quota: 5 } });
    expect((await g.api(ADMIN.name, "/hub/api/groups/lab-a")).status).toBe(404);
    page.once("dialog", (d) => void d.accept());
    await page.getByTestId("group-delete").click();
    await expect(page).toHaveURL(/\/hub\/admin\/groups$/);
    await expect(page.getByTestId("group-link-lab-b")).toHaveCount(0);
    expect((await g.api(ADMIN.name, "/hub/api/groups/lab-b")).status).toBe(404);
  });
});
