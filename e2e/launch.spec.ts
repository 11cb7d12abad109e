// Launch links in Chromium, on the local spawner with real Jupyter servers: the agent fetches and
// builds as the user's OS account, pip installs from a wheelhouse the test writes, git serves over
// smart HTTP. GitHub's API is a stand-in (e2e/launch-fixtures.ts says which parts are).
import { test, expect } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createServer, type Server } from "node:http";
import Database from "better-sqlite3";
import { EventSource } from "eventsource";
import WebSocket from "ws";
import { createUser, directServerStatus, login, startGyre, startServerViaApi, type Gyre } from "./harness";
import { activeSequence, recordLaunchPage, startLaunchFixtures, type LaunchFixtures } from "./launch-fixtures";
import { runCellOverWebSocket } from "../spawners/testing/kernel-cell";

const USER = "launcher";
const PASSWORD = "launcher-password-1";

let g: Gyre;
let fx: LaunchFixtures;

test.describe.configure({ mode: "serial" });

/** A page of another origin (a Jupyter Book) that uses a launched server with the /build ready token. */
const BOOK_PORT = 7892;
const BOOK_ORIGIN = `http://127.0.0.1:${BOOK_PORT}`;
let book: Server;

test.beforeAll(async () => {
  fx = await startLaunchFixtures();
  book = createServer((_req, res) =>
    res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>a book</title><p>a page of a Jupyter Book</p>"),
  );
  await new Promise<void>((r) => book.listen(BOOK_PORT, "127.0.0.1", r));
  g = await startGyre({ basePort: 7860, env: { ...fx.env, GYRE_PROXY__TOKEN_CORS_ORIGINS: JSON.stringify([BOOK_ORIGIN]) } });
  await createUser(g, USER, PASSWORD);
});

test.afterAll(async () => {
  await g?.stop();
  await fx?.close();
  await new Promise((r) => book?.close(r));
});

test("a /v2/gh link: live phases, a venv built from the wheelhouse, the repository's notebook opens and its kernel imports the package (GitHub API stand-in)", async ({
  page,
}) => {
  await login(page, g, USER, PASSWORD);
  const seen = await recordLaunchPage(page);
  const t0 = Date.now();
  await page.goto(`${g.url}/v2/gh/org/withreqs/HEAD?urlpath=notebooks/check.ipynb`);
  const server = `withreqs-${fx.repos.withreqs.head().slice(0, 8)}`;
  await page.waitForURL(new RegExp(`/user/${USER}/${server}/notebooks/check.ipynb`), { timeout: 120_000 });
  // the page went through the phases live: resolving first, then fetching, then the build (its
  // log naming the package), then the start, and the last state before the notebook: all done
  expect(activeSequence(seen)).toEqual(["resolving", "fetching", "building", "starting"]);
  expect(seen.some((s) => s.phases.building?.state === "active" && s.buildLog.includes("gyredemo"))).toBe(true);
  const last = seen.at(-1)!;
  expect(last.outcome).toBe("ready");
  expect(Object.keys(last.phases)).toEqual(["resolving", "fetching", "building", "starting", "ready"]);
  for (const p of Object.values(last.phases)) expect(p.state).toBe("done");
  expect(last.phases.building.environment).toBe("built");
  expect(last.server).toBe(server);
  await page.waitForURL(new RegExp(`/user/${USER}/${server}/notebooks/check.ipynb`), { timeout: 60_000 });
  console.log(`launch with a venv build → notebook page: ${Date.now() - t0} ms`);
  await expect(page.locator("#kernel_indicator_icon.kernel_idle_icon")).toBeAttached({ timeout: 60_000 });
  await page.locator(".CodeMirror").first().click();
  await page.keyboard.press("Shift+Enter");
  await expect(page.locator(".output_area .output_subarea").first()).toHaveText("from the wheelhouse True", { timeout: 60_000 });

  // its own named server; the default server was never started
  const model = (await (await g.api(USER, `/hub/api/users/${USER}?include_stopped_servers`)).json()) as { servers: Record<string, { state: string }> };
  expect(Object.keys(model.servers)).toEqual([server]);
  expect(model.servers[server].state).toBe("running");
});

test("a second launch of the same commit skips the environment step (after the server was stopped)", async ({ page }) => {
  const server = `withreqs-${fx.repos.withreqs.head().slice(0, 8)}`;
  const stop = await g.api(USER, `/hub/api/users/${USER}/servers/${server}`, { method: "DELETE" });
  expect([202, 204]).toContain(stop.status);
  await expect
    .poll(
      async () =>
        ((await (await g.api(USER, `/hub/api/users/${USER}?include_stopped_servers`)).json()) as { servers: Record<string, { state: string }> }).servers[server]
          .state,
      { timeout: 30_000 },
    )
    .toBe("stopped");

  await login(page, g, USER, PASSWORD);
  const seen = await recordLaunchPage(page);
  const t0 = Date.now();
  await page.goto(`${g.url}/v2/gh/org/withreqs/HEAD?urlpath=notebooks/check.ipynb`);
  await page.waitForURL(new RegExp(`/user/${USER}/${server}/notebooks/check.ipynb`), { timeout: 60_000 });
  const last = seen.at(-1)!;
  expect(last.outcome).toBe("ready");
  expect(last.phases.building.environment).toBe("reused");
  expect(seen.every((s) => !s.buildLog.includes("gyredemo"))).toBe(true);
  console.log(`second launch (environment reused) → notebook page: ${Date.now() - t0} ms`);
});

test("a bad ref, a private repository, a repository not on the allow-list and a failing build each end with the reason on the page", async ({ page }) => {
  await login(page, g, USER, PASSWORD);
  const before = fx.gh.requests.length;

  await page.goto(`${g.url}/v2/gh/org/withreqs/no-such-branch`);
  await expect(page.getByTestId("launch-status")).toHaveAttribute("data-outcome", "failed", { timeout: 30_000 });
  await expect(page.getByTestId("launch-phase-resolving")).toHaveAttribute("data-state", "failed");
  await expect(page.getByTestId("launch-failed")).toContainText("no-such-branch");

  await page.goto(`${g.url}/v2/gh/org/private/HEAD`);
  await expect(page.getByTestId("launch-failed")).toContainText(/private/i, { timeout: 30_000 });

  // not on the allow-list: refused by /v2 itself, before GitHub (or git) is asked anything
  const denied = await page.goto(`${g.url}/v2/gh/elsewhere/demo/HEAD`);
  expect(denied!.status()).toBe(403);
  await expect(page.locator("body")).toContainText("launch.allow.githubOwners");
  expect(fx.gh.requests.slice(before).some((r) => r.includes("elsewhere"))).toBe(false);
  expect(fx.srv.requests.some((r) => r.includes("elsewhere"))).toBe(false);

  await page.goto(`${g.url}/v2/gh/org/badbuild/HEAD`);
  await expect(page.getByTestId("launch-status")).toHaveAttribute("data-outcome", "failed", { timeout: 90_000 });
  await expect(page.getByTestId("launch-phase-building")).toHaveAttribute("data-state", "failed");
  await expect(page.getByTestId("launch-failed")).toContainText(/no-such-package-gyre|pip/);
  await expect(page.getByTestId("launch-log")).toContainText("no-such-package-gyre");
});

test("a git-pull link clones into the user's folder, then merges upstream changes without losing the user's edit", async ({ page }) => {
  await login(page, g, USER, PASSWORD);
  const link = `${g.url}/hub/user-redirect/git-pull?repo=${encodeURIComponent(`${fx.srv.url}/org/course`)}&urlpath=tree/course`;
  const home = execFileSync("getent", ["passwd", USER], { encoding: "utf8" }).split(":")[5];
  const folder = join(home, "course");
  execFileSync("rm", ["-rf", "--", folder]);

  await page.goto(link);
  await expect(page.getByTestId("git-pull-target")).toHaveText("~/course");
  await page.waitForURL(new RegExp(`/user/${USER}/tree/course`), { timeout: 90_000 });
  await expect(page.locator("body")).toContainText("notes.md");
  expect(readFileSync(join(folder, "notes.md"), "utf8")).toBe("line A\nline B\nline C\n");
  // the files are the user's own
  expect(execFileSync("stat", ["-c", "%U", join(folder, "notes.md")], { encoding: "utf8" }).trim()).toBe(USER);

  // the user edits a line; upstream changes another line and adds a file
  execFileSync("runuser", [
    "-u",
    USER,
    "--",
    "/usr/bin/python3",
    "-c",
    "import sys; open(sys.argv[1], 'w').write('line A, edited by me\\nline B\\nline C\\n')",
    join(folder, "notes.md"),
  ]);
  fx.repos.course.commit({ "notes.md": "line A\nline B\nline C, changed upstream\n", "week2.md": "# week 2\n" }, "week 2");

  await page.goto(link);
  await page.waitForURL(new RegExp(`/user/${USER}/tree/course`), { timeout: 90_000 });
  expect(readFileSync(join(folder, "notes.md"), "utf8")).toBe("line A, edited by me\nline B\nline C, changed upstream\n");
  expect(existsSync(join(folder, "week2.md"))).toBe(true);
  await expect(page.locator("body")).toContainText("week2.md");
});

test.describe("what launch routes refuse", () => {
  const OTHER = "launcher2";
  test.beforeAll(async () => {
    await createUser(g, OTHER, "launcher2-password-1");
  });

  test("the launch POST needs the session's CSRF token and a same-origin request; API tokens need the servers scope", async ({ page }) => {
    await login(page, g, USER, PASSWORD);
    const body = { link: "gh/org/demo/HEAD", query: "" };
    const noToken = await page.request.post(`${g.url}/hub/api/launches`, { data: body, headers: { origin: g.url } });
    expect(noToken.status()).toBe(403);
    expect(await noToken.text()).toContain("CSRF");
    const cross = await page.request.post(`${g.url}/hub/api/launches`, { data: body, headers: { origin: "http://evil.example" } });
    expect(cross.status()).toBe(403);
    // nothing was started by either
    const model = (await (await g.api(USER, `/hub/api/users/${USER}?include_stopped_servers`)).json()) as { servers: Record<string, unknown> };
    expect(Object.keys(model.servers).some((s) => s.startsWith("demo-"))).toBe(false);
    // a token that may only read cannot launch
    const readOnly = (await (
      await g.api(USER, `/hub/api/users/${USER}/tokens`, { method: "POST", body: JSON.stringify({ scopes: ["read:users"] }) })
    ).json()) as { token: string };
    const r = await fetch(`${g.url}/hub/api/launches`, {
      method: "POST",
      headers: { authorization: `token ${readOnly.token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    expect(r.status).toBe(403);
    expect(((await r.json()) as { message: string }).message).toContain('"servers"');
  });

  test("a bad link is a 400, a repository off the allow-list a 403 before anything is contacted, an unknown ref a 404 (GitHub API stand-in)", async () => {
    const before = fx.gh.requests.length;
    const post = (link: string) => g.api(USER, "/hub/api/launches", { method: "POST", body: JSON.stringify({ link, query: "" }) });
    const bad = await post("gh/org");
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toContain("/v2/gh/<owner>/<repo>/<ref>");
    expect((await post("nope/org/x/HEAD")).status).toBe(400);
    expect((await post("gh/-org/x/HEAD")).status).toBe(400);
    expect((await post("git/file%3A%2F%2F%2Fetc%2Fpasswd/HEAD")).status).toBe(400);
    expect((await post(`git/${encodeURIComponent("https://evil.example/x.git")}/HEAD`)).status).toBe(403);
    const denied = await post("gh/elsewhere/x/HEAD");
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { message: string }).message).toContain("launch.allow.githubOwners");
    expect(fx.gh.requests.length).toBe(before);
    expect((await post("gh/org/demo/no-such-ref")).status).toBe(404);
    // GET /v2 refuses the same way, as a page
    const page400 = await fetch(`${g.url}/v2/gh/org`, { headers: { accept: "text/html" }, redirect: "manual" });
    expect(page400.status).toBe(400);
    // other methods: refused by the Origin check when cross-site, else not found
    expect((await fetch(`${g.url}/v2/gh/org/x/HEAD`, { method: "POST", redirect: "manual" })).status).toBe(403);
    expect((await fetch(`${g.url}/v2/gh/org/x/HEAD`, { method: "POST", redirect: "manual", headers: { origin: g.url } })).status).toBe(404);
  });

  test("urlpath cannot lead out of the launched server (no open redirect)", async () => {
    for (const urlpath of ["//evil.example/x", "https://evil.example/x", "../../hub/admin", "/\\evil.example", "%2F%2Fevil.example", "notebooks/index.ipynb"]) {
      const r = await g.api(USER, "/hub/api/launches", {
        method: "POST",
        body: JSON.stringify({ link: "gh/org/demo/HEAD", query: new URLSearchParams({ urlpath }).toString() }),
      });
      expect([200, 202]).toContain(r.status);
      const m = (await r.json()) as { url: string; redirect: string };
      expect(m.url).toMatch(new RegExp(`^/user/${USER}/demo-[0-9a-f]{8}/$`));
      // on the launching user's own origin (per-user origins), inside the launched server, whatever urlpath said
      const userOrigin = new URL(g.userUrl(USER)).origin;
      expect(m.redirect.startsWith(userOrigin + m.url), `${urlpath} → ${m.redirect}`).toBe(true);
      expect(new URL(m.redirect).origin, urlpath).toBe(userOrigin);
      expect(new URL(m.redirect).pathname.startsWith(m.url), urlpath).toBe(true);
      if (urlpath === "notebooks/index.ipynb") expect(m.redirect).toBe(`${userOrigin}${m.url}notebooks/index.ipynb`);
    }
    // the redirect after a /v2 link's login stays on the hub too
    const v2 = await fetch(`${g.url}/v2/gh/org/demo/HEAD?urlpath=${encodeURIComponent("//evil.example")}`, { redirect: "manual" });
    expect(v2.status).toBe(302);
    expect(v2.headers.get("location")).toMatch(/^\/hub\/launch\/v2\/gh\/org\/demo\/HEAD\?/);
  });

  test("another user's launch server, its progress and its launch page are not theirs to use", async ({ page }) => {
    const r = await g.api(USER, "/hub/api/launches", { method: "POST", body: JSON.stringify({ link: "gh/org/demo/HEAD", query: "" }) });
    const m = (await r.json()) as { server: string; url: string; progress_url: string };
    await expect
      .poll(
        async () => ((await (await g.api(USER, `/hub/api/users/${USER}`)).json()) as { servers: Record<string, { ready: boolean }> }).servers[m.server]?.ready,
        { timeout: 60_000 },
      )
      .toBe(true);
    // through the proxy with the other user's token and session
    const viaToken = await g.api(OTHER, `${m.url}api/contents`);
    expect(viaToken.status).toBe(403);
    expect((await g.api(OTHER, m.progress_url)).status).toBe(403);
    await login(page, g, OTHER, "launcher2-password-1");
    // on the first user's origin the other user's browser has no session, and the hub gives it none
    const viaCookie = await page.request.get(`${new URL(g.userUrl(USER)).origin}${m.url}api/contents`, { maxRedirects: 0 });
    expect(viaCookie.status()).toBe(403);
    await page.goto(`${new URL(g.userUrl(USER)).origin}${m.url}tree`);
    await expect(page.getByTestId("origin-login-forbidden")).toBeVisible();
    // the same link launches the other user's own server, never the first user's
    const mine = (await (
      await g.api(OTHER, "/hub/api/launches", { method: "POST", body: JSON.stringify({ link: "gh/org/demo/HEAD", query: "" }) })
    ).json()) as { url: string };
    expect(mine.url).toMatch(new RegExp(`^/user/${OTHER}/demo-`));
  });

  test("/build: event-stream only, login or a token, and a cookie sent by another origin's page launches nothing", async ({ page }) => {
    const noAccept = await fetch(`${g.url}/build/gh/org/demo/HEAD`, { headers: { authorization: `token ${g.token(USER)}` } });
    expect(noAccept.status).toBe(400);
    const anonymous = await fetch(`${g.url}/build/gh/org/demo/HEAD`, { headers: { accept: "text/event-stream" } });
    expect(anonymous.status).toBe(403);
    expect(await anonymous.text()).toContain('"phase":"failed"');
    await login(page, g, USER, PASSWORD);
    const cross = await page.request.get(`${g.url}/build/gh/org/demo/HEAD`, {
      headers: { accept: "text/event-stream", origin: "http://127.0.0.1.nip.io:7860" },
    });
    expect(cross.status()).toBe(403);
    expect(await cross.text()).toContain("Cross-site launch refused");
  });

  test("git-pull: the POST needs the CSRF token; a repository off the allow-list is refused before git runs", async ({ page }) => {
    await login(page, g, USER, PASSWORD);
    const noToken = await page.request.post(`${g.url}/hub/api/git-pull`, {
      data: { query: `repo=${encodeURIComponent(`${fx.srv.url}/org/course`)}` },
      headers: { origin: g.url },
    });
    expect(noToken.status()).toBe(403);
    const before = fx.srv.requests.length;
    const denied = await g.api(USER, "/hub/api/git-pull", { method: "POST", body: JSON.stringify({ query: "repo=https%3A%2F%2Fevil.example%2Fx.git" }) });
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { message: string }).message).toContain("launch.allow.gitHosts");
    const hostile = await g.api(USER, "/hub/api/git-pull", {
      method: "POST",
      body: JSON.stringify({ query: `repo=${encodeURIComponent(`${fx.srv.url}/org/course`)}&targetpath=..%2F..%2Froot` }),
    });
    expect(hostile.status).toBe(400);
    expect(fx.srv.requests.length).toBe(before);
  });
});

test("with launch.enabled off (the default): /v2, /build, the launch API and git-pull links are not there", async () => {
  const off = await startGyre({ basePort: 7880 });
  try {
    await createUser(off, USER, PASSWORD);
    expect((await fetch(`${off.url}/v2/gh/org/demo/HEAD`, { redirect: "manual" })).status).toBe(404);
    expect(
      (await fetch(`${off.url}/build/gh/org/demo/HEAD`, { headers: { accept: "text/event-stream", authorization: `token ${off.token(USER)}` } })).status,
    ).toBe(404);
    expect((await off.api(USER, "/hub/api/launches", { method: "POST", body: JSON.stringify({ link: "gh/org/demo/HEAD", query: "" }) })).status).toBe(404);
    expect(
      (await off.api(USER, "/hub/api/git-pull", { method: "POST", body: JSON.stringify({ query: "repo=https%3A%2F%2Fgithub.com%2Fo%2Fr" }) })).status,
    ).toBe(404);
    // user-redirect keeps its old meaning (the server's own nbgitpuller, if it has one)
    const redirect = await off.api(USER, "/hub/user-redirect/git-pull?repo=x");
    expect(redirect.headers.get("location")).toContain(`/hub/login?next=${encodeURIComponent("/hub/user-redirect/git-pull?repo=x")}`);
  } finally {
    await off.stop();
  }
});

test('the "launch a repository" page writes the link and the badge Markdown, and its badge is served', async ({ page }) => {
  await login(page, g, USER, PASSWORD);
  await page.goto(`${g.url}/hub/home`);
  // The page's scripts are held back until two fields are filled: what is typed before the form is
  // interactive must count once it is (React would reset controlled fields as it hydrates them).
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const scripts = "**/_next/static/chunks/**";
  let held = 0;
  await page.route(scripts, async (route) => {
    held++;
    await released;
    await route.continue();
  });
  await page.getByTestId("launch-a-repository").click();
  await expect(page.getByTestId("launch-allowed")).toContainText("GitHub: org");
  await page.getByTestId("launch-form-repo").fill("org/withreqs");
  await page.getByTestId("launch-form-ref").fill("main");
  expect(held, "the launch page's scripts were held back while the fields were filled").toBeGreaterThan(0);
  release();
  await expect(page.getByTestId("launch-form-url")).toHaveValue(`${g.url}/v2/gh/org/withreqs/main`);
  await page.getByTestId("launch-form-path").fill("check.ipynb");
  await page.getByTestId("launch-form-kind").selectOption("urlpath");
  await page.getByTestId("launch-form-path").fill("notebooks/check.ipynb");
  const url = `${g.url}/v2/gh/org/withreqs/main?urlpath=notebooks%2Fcheck.ipynb`;
  await expect(page.getByTestId("launch-form-url")).toHaveValue(url);
  await expect(page.getByTestId("launch-form-markdown")).toHaveValue(`[![Launch on Gyre](${g.url}/hub/launch-badge.svg)](${url})`);
  const badge = await page.request.get(`${g.url}/hub/launch-badge.svg`);
  expect(badge.status()).toBe(200);
  expect(badge.headers()["content-type"]).toContain("image/svg+xml");
  // the badge link is a launch link like any other
  await page.getByTestId("launch-form-open").click();
  await page.waitForURL(new RegExp(`/user/${USER}/withreqs-[0-9a-f]{8}/notebooks/check.ipynb`), { timeout: 90_000 });
});

test("a launch's server is culled like any other when idle; the next click starts it again in the same folder", async () => {
  const c = await startGyre({
    basePort: 7884,
    env: { ...fx.env, GYRE_CULLING__ENABLED: "true", GYRE_CULLING__TIMEOUT_SECONDS: "4", GYRE_CULLING__EVERY_SECONDS: "1" },
  });
  try {
    await createUser(c, USER, PASSWORD);
    const launch = async () =>
      (await (await c.api(USER, "/hub/api/launches", { method: "POST", body: JSON.stringify({ link: "gh/org/demo/HEAD", query: "" }) })).json()) as {
        server: string;
      };
    const { server } = await launch();
    const model = async () =>
      (
        (await (await c.api(USER, `/hub/api/users/${USER}?include_stopped_servers`)).json()) as {
          servers: Record<string, { state: string; message: string | null; started: string | null }>;
        }
      ).servers[server];
    await expect.poll(model, { timeout: 60_000 }).toMatchObject({ state: "stopped", message: "Stopped after 4 s without activity." });
    const firstStart = (await model()).started;
    expect(firstStart).not.toBeNull();
    // the Launch row outlives its server: the same link starts the same named server again
    expect((await launch()).server).toBe(server);
    await expect.poll(async () => (await model())?.started ?? firstStart, { timeout: 60_000 }).not.toBe(firstStart);
  } finally {
    await c.stop();
  }
});

test("a BinderHub API client (Thebe's event-stream protocol) launches a server and uses it with the ready token; the token reaches that server only, and is not the server's own", async ({
  page,
}) => {
  // what Thebe does: an EventSource on /build/..., JSON data lines, until "ready" with url + token
  const phases: string[] = [];
  const ready = await new Promise<{ url: string; token: string; binder_ref_url: string; binder_launch_host: string; binder_persistent_request: string }>(
    (resolve, reject) => {
      const es = new EventSource(`${g.url}/build/gh/org/demo/HEAD`, {
        fetch: (input, init) => fetch(input, { ...init, headers: { ...init.headers, authorization: `token ${g.token(USER)}` } }),
      });
      const timer = setTimeout(() => reject(new Error(`no ready event: ${phases.join(",")}`)), 120_000);
      es.onmessage = (m: MessageEvent<string>) => {
        const ev = JSON.parse(m.data) as { phase: string; message: string };
        phases.push(ev.phase);
        if (ev.phase === "ready") {
          clearTimeout(timer);
          es.close();
          resolve(ev as never);
        } else if (ev.phase === "failed") {
          clearTimeout(timer);
          es.close();
          reject(new Error(ev.message));
        }
      };
    },
  );
  expect(phases[0]).toBe("waiting");
  expect(phases.at(-1)).toBe("ready");
  // the server on the user's own origin, where a browser goes (the token works there too)
  expect(ready.url).toMatch(new RegExp(`^${new URL(g.userUrl(USER)).origin}/user/${USER}/demo-[0-9a-f]{8}/$`));
  expect(ready.binder_launch_host).toBe(`${g.url}/`);
  expect(ready.binder_persistent_request).toBe(`v2/gh/org/demo/${fx.repos.demo.head()}`);
  const server = new URL(ready.url).pathname.split("/")[3];

  // the token: a hub API token of the user, limited to that one server, short-lived
  const db = new Database(join(g.dataDir, "gyre.db"), { readonly: true });
  const row = db.prepare("SELECT scopes, expiresAt, note FROM ApiToken WHERE prefix = ?").get(ready.token.slice(0, 8)) as {
    scopes: string;
    expiresAt: number | string;
    note: string;
  };
  const serverRow = db.prepare("SELECT s.url FROM Server s JOIN User u ON u.id = s.userId WHERE u.name = ? AND s.name = ?").get(USER, server) as {
    url: string;
  };
  db.close();
  expect(row.scopes).toBe(`access:servers!server=${USER}/${server}`);
  const expiresInMs = (typeof row.expiresAt === "number" ? row.expiresAt : Date.parse(row.expiresAt)) - Date.now();
  expect(expiresInMs).toBeGreaterThan(5 * 3600_000);
  expect(expiresInMs).toBeLessThanOrEqual(6 * 3600_000);
  // not the server's own token: the server itself refuses it (only the proxy knows what it means)
  expect(await directServerStatus(serverRow.url, `/user/${USER}/${server}/api/status`, { authorization: `token ${ready.token}` })).toBe(403);

  // Thebe's calls through the proxy: REST with Authorization, the kernel's WebSocket with ?token=
  const auth = { authorization: `token ${ready.token}` };
  expect((await fetch(`${ready.url}api/contents/index.ipynb`, { headers: auth })).status).toBe(200);
  const kernel = (await (
    await fetch(`${ready.url}api/kernels`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: "{}" })
  ).json()) as { id: string };
  const out = await runCellOverWebSocket(
    `${ready.url.replace(/^http/, "ws")}api/kernels/${kernel.id}/channels?token=${encodeURIComponent(ready.token)}`,
    "print(open('data.txt').read().strip())",
    { username: "thebe" },
  );
  expect(out.trim()).toBe("42");

  // it reaches nothing else: the user's other servers, the hub's API, another user's server
  // (the default server may still run from the git-pull test, depending on the culler's timing)
  const me = (await (await g.api(USER, `/hub/api/users/${USER}`)).json()) as { servers: Record<string, { ready: boolean }> };
  if (!me.servers[""]?.ready) await startServerViaApi(g, USER);
  expect((await fetch(`${g.url}/user/${USER}/api/status`, { headers: auth })).status).toBe(403);
  expect((await fetch(`${g.url}/hub/api/users/${USER}`, { headers: auth })).status).toBe(403);
  expect((await fetch(`${g.url}/hub/api/users/${USER}/tokens`, { headers: auth })).status).toBe(403);
  const wsElsewhere = await new Promise<number>((resolve) => {
    const ws = new WebSocket(`${g.url.replace(/^http/, "ws")}/user/${USER}/api/kernels/x/channels?token=${encodeURIComponent(ready.token)}`);
    ws.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
    ws.once("open", () => resolve(101));
    ws.once("error", () => resolve(-1));
  });
  expect(wsElsewhere).toBe(403);

  // in Chromium, from a page of a configured book origin: CORS preflight, REST and the kernel's
  // WebSocket with the token; the hub's cookie of the same browser opens nothing from there
  await login(page, g, USER, PASSWORD);
  await page.goto(`${BOOK_ORIGIN}/`);
  const fromBook = await page.evaluate(
    async ({ url, token, kernelId }) => {
      const rest = await fetch(`${url}api/contents/index.ipynb`, { headers: { authorization: `token ${token}` } });
      const noToken = await fetch(`${url}api/contents/index.ipynb`, { credentials: "include" }).then(
        (r) => r.status,
        () => "blocked",
      );
      const ws = await new Promise<string>((resolve) => {
        const s = new WebSocket(`${url.replace(/^http/, "ws")}api/kernels/${kernelId}/channels?token=${encodeURIComponent(token)}`);
        s.onopen = () => {
          s.close();
          resolve("open");
        };
        s.onerror = () => resolve("error");
      });
      return { rest: rest.status, noToken, ws };
    },
    { url: ready.url, token: ready.token, kernelId: kernel.id },
  );
  expect(fromBook).toEqual({ rest: 200, noToken: "blocked", ws: "open" });
});
