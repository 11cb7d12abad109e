// User content cannot act as the person viewing it. A hostile page in mallory's own Jupyter server
// (a static file her server serves without Jupyter's sandbox: she configures her own server) tries,
// from the viewer's browser, to read and write another user's server, open its kernel WebSocket,
// find its token, read the hub's CSRF token and make mallory an admin. Each attack runs three times:
// with the default configuration (no origin options: the hub on localhost, each user's servers on
// <name>.localhost; Chromium resolves *.localhost itself) and with the hub on gyre.localhost (its
// users on <name>.gyre.localhost, the same *site* as the hub, as with real domains, so SameSite
// cookies do not help and the Origin checks must hold), where it must fail; and in single-origin
// mode, where the same script shows what that mode cannot stop — so the tests prove that the
// isolation is what stops it.
import { test, expect, type Page } from "@playwright/test";
import { execFileSync } from "node:child_process";
import http from "node:http";
import { mkdirSync, readFileSync, writeFileSync, chownSync, statSync } from "node:fs";
import { ADMIN, SAME_SITE_HUB_HOST, createUser, login, startGyre, startServerViaApi, type Gyre } from "./harness";

// The stand-in below hands Chromium a page the test made, which has no network address of its own:
// Chromium's Local Network Access checks would then block its WebSocket to 127.0.0.1 before Gyre
// sees it. Off here, so that only Gyre decides (the rest as in playwright.config.ts).
test.use({
  launchOptions: {
    executablePath: process.env.GYRE_CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
      "--disable-features=LocalNetworkAccessChecks",
    ],
  },
});

const ATTACKER = "mallory";
const VICTIM = "victor";
const PASSWORD = "origins-password-1";

// The attack: every attempt's outcome goes into #out as JSON ("error: …" when the browser refused).
const ATTACK_PAGE = `<!doctype html><html><head><title>cute plots</title></head><body><pre id="out">running</pre><script>
(async () => {
  const q = new URLSearchParams(location.search);
  const hub = q.get("hub"), victim = q.get("victim"), kernel = q.get("kernel"), hubPage = q.get("hubPage");
  const r = { origin: location.origin, cookies: document.cookie };
  const attempt = async (name, fn) => { try { r[name] = await fn(); } catch (e) { r[name] = "error: " + e; } };
  let csrf = null;
  await attempt("readHub", async () => {
    const res = await fetch(hub + hubPage, { credentials: "include" });
    const text = await res.text();
    const m = text.match(/csrf[^A-Za-z0-9_-]{1,12}([A-Za-z0-9_-]{32})/);
    csrf = m ? m[1] : null;
    return res.status + (csrf ? " csrf-read" : " no-csrf");
  });
  await attempt("promote", async () => {
    const res = await fetch(hub + "/hub/api/users/${ATTACKER}", {
      method: "PATCH", credentials: "include",
      headers: { "content-type": "application/json", "x-gyre-csrf": csrf || "" },
      body: JSON.stringify({ admin: true }),
    });
    return res.status;
  });
  if (victim) {
    await attempt("readVictim", async () => {
      const res = await fetch(victim + "tree", { credentials: "include" });
      const text = await res.text();
      r.victimPage = text;
      return res.status + (text.includes("notebook_list") ? " tree-read" : "");
    });
    await attempt("putVictim", async () => {
      const res = await fetch(victim + "api/contents/pwned.txt", {
        method: "PUT", credentials: "include", headers: { "content-type": "application/json" },
        body: JSON.stringify({ type: "file", format: "text", content: "written by mallory's page" }),
      });
      return res.status;
    });
    await attempt("kernelWs", () => new Promise((resolve) => {
      const ws = new WebSocket(victim.replace(/^http/, "ws") + "api/kernels/" + kernel + "/channels");
      const t = setTimeout(() => resolve("timeout"), 10000);
      ws.onopen = () => { clearTimeout(t); ws.close(); resolve("open"); };
      ws.onerror = () => { clearTimeout(t); resolve("refused"); };
    }));
  }
  document.getElementById("out").textContent = JSON.stringify(r);
})();
</script></body></html>`;

interface AttackResult {
  origin: string;
  cookies: string;
  readHub: string;
  promote: number | string;
  readVictim?: string;
  victimPage?: string;
  putVictim?: number | string;
  kernelWs?: string;
}

/** mallory's home: the attack page, and her server's config serving it without Jupyter's sandbox. */
function plantAttackPage(): void {
  const home = `/home/${ATTACKER}`;
  const { uid, gid } = statSync(home);
  for (const dir of [`${home}/.jupyter`, `${home}/site`]) {
    mkdirSync(dir, { recursive: true });
    chownSync(dir, uid, gid);
  }
  const files: Record<string, string> = {
    [`${home}/site/cute.html`]: ATTACK_PAGE,
    // Her own server, her own config: /user/mallory/static/cute.html is served like Jupyter's own
    // static files (no sandbox, unlike /files/).
    [`${home}/.jupyter/jupyter_server_config.py`]: `c.ServerApp.extra_static_paths = ["${home}/site"]\n`,
  };
  for (const [path, text] of Object.entries(files)) {
    writeFileSync(path, text);
    chownSync(path, uid, gid);
  }
}

/** The server token of `user`'s running server (root reads its environment), to look for it in what the page read. */
function serverToken(user: string): string {
  const pids = execFileSync("pgrep", ["-u", user, "-f", "jupyter"], { encoding: "utf8" }).trim().split("\n");
  for (const pid of pids) {
    const env = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
    const t = env.find((e) => e.startsWith("JUPYTER_TOKEN="));
    if (t) return t.slice("JUPYTER_TOKEN=".length);
  }
  throw new Error(`no server token found for ${user}`);
}

async function startKernel(g: Gyre, user: string): Promise<string> {
  const r = await g.api(user, `/user/${user}/api/kernels`, { method: "POST", body: "{}" });
  expect(r.status).toBe(201);
  return ((await r.json()) as { id: string }).id;
}

async function stopServerViaApi(g: Gyre, user: string): Promise<void> {
  await g.api(user, `/hub/api/users/${user}/server`, { method: "DELETE" });
  await expect
    .poll(
      async () => {
        const m = (await (await g.api(user, `/hub/api/users/${user}`)).json()) as { servers: Record<string, { state: string }> };
        return m.servers[""]?.state ?? "gone";
      },
      { timeout: 60_000 },
    )
    .toMatch(/^(gone|stopped)$/);
}

async function isAdmin(g: Gyre, user: string): Promise<boolean> {
  const r = await g.api(ADMIN.name, `/hub/api/users/${user}`);
  return ((await r.json()) as { admin: boolean }).admin;
}

async function victimFileExists(g: Gyre): Promise<boolean> {
  return (await g.api(VICTIM, `/user/${VICTIM}/api/contents/pwned.txt`)).status === 200;
}

async function readResult(page: Page): Promise<AttackResult> {
  await expect(page.locator("#out")).not.toHaveText("running", { timeout: 30_000 });
  return JSON.parse(await page.locator("#out").innerText()) as AttackResult;
}

function attackUrl(g: Gyre, opts: { hubPage: string; victim?: { url: string; kernel: string } }): string {
  const q = new URLSearchParams({ hub: g.url, hubPage: opts.hubPage, ...(opts.victim ? { victim: opts.victim.url, kernel: opts.victim.kernel } : {}) });
  return g.userUrl(ATTACKER, `static/cute.html?${q}`);
}

const MODES = {
  default: { title: "default config (per-user origins on *.localhost)", options: { basePort: 7760 } },
  "same-site": { title: "per-user origins on the hub's own site (*.gyre.localhost)", options: { basePort: 7775, hubHost: SAME_SITE_HUB_HOST } },
  single: { title: "single-origin mode", options: { basePort: 7765, singleOrigin: true } },
} as const;

for (const [name, setup] of Object.entries(MODES)) {
  const mode = name === "single" ? "single" : "per-user";
  test.describe(`${setup.title}: a hostile page in mallory's server`, () => {
    let g: Gyre;
    let kernel: string;
    test.beforeAll(async () => {
      g = await startGyre(setup.options);
      expect(g.perUserOrigins).toBe(mode === "per-user");
      await createUser(g, ATTACKER, PASSWORD);
      await createUser(g, VICTIM, PASSWORD);
      // Her first start makes her account; she configures her server, then starts it again.
      await startServerViaApi(g, ATTACKER);
      plantAttackPage();
      await stopServerViaApi(g, ATTACKER);
      await startServerViaApi(g, ATTACKER);
      await startServerViaApi(g, VICTIM);
      kernel = await startKernel(g, VICTIM);
      // Home directories outlive a run: start without the file the attack tries to write.
      await g.api(VICTIM, `/user/${VICTIM}/api/contents/pwned.txt`, { method: "DELETE" });
      expect(await victimFileExists(g)).toBe(false);
    });
    test.afterAll(async () => {
      await g?.stop();
    });

    test("victim = a user: following mallory's link never runs her page as them", async ({ page }) => {
      await login(page, g, VICTIM, PASSWORD);
      const res = await page.goto(attackUrl(g, { hubPage: "/hub/home", victim: { url: g.userUrl(VICTIM), kernel } }));
      // Both modes: only mallory (and admins) may open her server, so the page is never served to victor.
      if (mode === "per-user") {
        await expect(page).toHaveURL(new RegExp(`^${g.url}/hub/origin-login\\?`));
        await expect(page.getByTestId("origin-login-forbidden")).toBeVisible();
      } else {
        expect(res?.status()).toBe(403);
      }
      await expect(page.locator("#out")).toHaveCount(0);
    });

    test("victim = a user: mallory's page, running in their browser on her origin, cannot touch their server", async ({ page }) => {
      // Stand-in for any way her HTML reaches victor's browser on her origin (a shared server, a
      // link an admin would open): the browser gets her page for her URL from the test; every
      // request the page makes goes to the real proxy, hub and Jupyter servers.
      const url = attackUrl(g, { hubPage: "/hub/home", victim: { url: g.userUrl(VICTIM), kernel } });
      const attacker = new URL(url);
      await page.route(
        (u) => u.host === attacker.host && u.pathname === attacker.pathname,
        (route) => route.fulfill({ status: 200, contentType: "text/html", body: ATTACK_PAGE }),
      );
      const wsErrors: string[] = [];
      page.on("websocket", (ws) => ws.on("socketerror", (e) => wsErrors.push(e)));
      await login(page, g, VICTIM, PASSWORD);
      // victor has been on his own server: with per-user origins his browser has a session there too.
      await page.goto(g.userUrl(VICTIM, "tree"));
      await expect(page.locator("#notebook_list")).toBeAttached();
      await page.goto(url);
      const r = await readResult(page);
      const token = serverToken(VICTIM);
      expect(r.victimPage ?? "").not.toContain(token);
      if (mode === "per-user") {
        expect(r.origin).toBe(new URL(g.userUrl(ATTACKER)).origin);
        expect(r.readVictim).toMatch(/^error: TypeError/); // no CORS answer: nothing to read
        expect(r.putVictim).toMatch(/^error: TypeError/);
        expect(r.kernelWs).toBe("refused");
        expect(wsErrors.join("\n")).toMatch(/Unexpected response code: 403/); // the proxy's refusal, not the browser's
        expect(r.readHub).toMatch(/^error: TypeError/);
        expect(r.promote).toMatch(/^error: TypeError|^403$/);
        expect(await victimFileExists(g)).toBe(false);
      } else {
        // Single-origin mode: the page is on the hub's origin, as victor. What still holds: the token
        // is cut out of the pages it reads, and victor is no admin, so the hub refuses the PATCH.
        expect(r.origin).toBe(g.url);
        expect(r.readVictim).toBe("200 tree-read");
        expect(r.putVictim).toBe(201);
        expect(r.kernelWs).toBe("open");
        expect(r.readHub).toBe("200 csrf-read");
        expect(r.promote).toBe(403);
        expect(await victimFileExists(g)).toBe(true);
        await g.api(VICTIM, `/user/${VICTIM}/api/contents/pwned.txt`, { method: "DELETE" });
      }
      expect(await isAdmin(g, ATTACKER)).toBe(false);
    });

    test("victim = an admin: opening mallory's page cannot read the hub's CSRF token nor make her an admin", async ({ page }) => {
      await login(page, g, ADMIN.name, ADMIN.password);
      // the admin page says which mode this is: the single-origin warning, naming the option, only there
      await page.goto(`${g.url}/hub/admin`);
      if (mode === "single") await expect(page.getByTestId("single-origin-warning")).toContainText("Admins should not open users' content in this mode");
      else await expect(page.getByTestId("users-count")).toBeVisible();
      await expect(page.getByTestId("single-origin-warning")).toHaveCount(mode === "single" ? 1 : 0);
      await page.goto(attackUrl(g, { hubPage: "/hub/admin" }));
      if (mode === "per-user") {
        // The hub asks first: her pages will run in the admin's browser (on her origin only).
        await expect(page.getByTestId("origin-login-heading")).toContainText(`Open ${ATTACKER}'s server as an admin?`);
        await page.getByTestId("origin-login-continue").click();
      }
      const r = await readResult(page);
      if (mode === "per-user") {
        expect(r.origin).toBe(new URL(g.userUrl(ATTACKER)).origin);
        expect(r.cookies).toBe(""); // the user-origin cookie is HttpOnly; the hub's never comes here
        expect(r.readHub).toMatch(/^error: TypeError/);
        // Without CORS the browser hides the answer; the hub refused it anyway (Origin is hers).
        expect(r.promote).toMatch(/^error: TypeError|^403$/);
        expect(await isAdmin(g, ATTACKER)).toBe(false);
      } else {
        // Single-origin mode cannot stop this: the page runs on the hub's origin as the admin.
        expect(r.origin).toBe(g.url);
        expect(r.readHub).toBe("200 csrf-read");
        expect(r.promote).toBe(200);
        expect(await isAdmin(g, ATTACKER)).toBe(true);
      }
    });
  });
}

// The handshake as the proxy and hub see it, from a Node client that names the Host (Node does not
// resolve *.localhost): codes bound to the browser's state cookie and to their host, the user-origin
// cookie bound to its host and ended by a logout at the hub, and planted hub session cookies.
test.describe("per-user origins: the handshake over HTTP", () => {
  const PORT = 7770;
  const HUB = `${SAME_SITE_HUB_HOST}:${PORT}`;
  let g: Gyre;
  test.beforeAll(async () => {
    g = await startGyre({ basePort: PORT, hubHost: SAME_SITE_HUB_HOST });
    await createUser(g, ATTACKER, PASSWORD);
    await createUser(g, VICTIM, PASSWORD);
    await startServerViaApi(g, ATTACKER);
  });
  test.afterAll(async () => {
    await g?.stop();
  });

  interface Answer {
    status: number;
    location: string;
    cookies: string[];
    body: string;
  }
  function send(host: string, path: string, o: { method?: string; cookie?: string; body?: string; accept?: string; origin?: string } = {}): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { host, accept: o.accept ?? "text/html" };
      if (o.cookie) headers.cookie = o.cookie;
      if (o.origin) headers.origin = o.origin;
      if (o.body !== undefined) headers["content-type"] = "application/x-www-form-urlencoded";
      const req = http.request({ host: "127.0.0.1", port: PORT, path, method: o.method ?? "GET", headers }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, location: String(res.headers.location ?? ""), cookies: res.headers["set-cookie"] ?? [], body }),
        );
      });
      req.on("error", reject);
      req.end(o.body);
    });
  }
  const cookieOf = (a: Answer, name: string) => a.cookies.map((c) => c.split(";")[0]).find((c) => c.startsWith(name + "="))!;
  async function hubSession(user: string): Promise<string> {
    const body = new URLSearchParams({ username: user, password: PASSWORD, next: "/hub/home" }).toString();
    const a = await send(HUB, "/hub/login", { method: "POST", body, origin: `http://${HUB}` });
    expect(a.status).toBe(303);
    return cookieOf(a, "gyre-session");
  }
  /** Steps 1 and 2: the state cookie from the user's origin, the code from the hub. */
  async function startHandshake(session: string, owner: string): Promise<{ state: string; callback: URL }> {
    const first = await send(`${owner}.${HUB}`, `/user/${owner}/tree`);
    expect(first.status).toBe(302);
    expect(first.location).toMatch(new RegExp(`^http://${HUB}/hub/origin-login\\?`));
    const state = cookieOf(first, "gyre-origin-state");
    expect(first.cookies.find((c) => c.startsWith("gyre-origin-state="))).toMatch(/HttpOnly/i);
    expect(first.cookies.find((c) => c.startsWith("gyre-origin-state="))).not.toMatch(/domain=/i);
    const hub = new URL(first.location);
    const second = await send(HUB, hub.pathname + hub.search, { cookie: session });
    expect([302, 303, 307]).toContain(second.status);
    const callback = new URL(second.location);
    expect(callback.host).toBe(`${owner}.${HUB}`);
    expect(callback.pathname).toBe("/_gyre/callback");
    return { state, callback };
  }

  test("a code works once the browser that asked for it brings it to the origin it names; the cookie is host-only and ends with the hub session", async () => {
    const session = await hubSession(ATTACKER);
    const { state, callback } = await startHandshake(session, ATTACKER);
    const path = callback.pathname + callback.search;

    // Without the state cookie (another browser, a link someone was sent): refused.
    expect((await send(callback.host, path)).status).toBe(400);
    // On another user's origin, even with this browser's state cookie: refused.
    expect((await send(`${VICTIM}.${HUB}`, path, { cookie: state })).status).toBe(400);
    // Tampered: refused. A character in the middle of the signature changes: the last one of a
    // base64url SHA-256 carries 2 padding bits, so some changes to it decode to the same bytes.
    const [payload, signature] = callback.searchParams.get("code")!.split(".");
    const mid = Math.floor(signature.length / 2);
    const tampered = `${payload}.${signature.slice(0, mid)}${signature[mid] === "A" ? "B" : "A"}${signature.slice(mid + 1)}`;
    expect((await send(callback.host, `${callback.pathname}?code=${encodeURIComponent(tampered)}`, { cookie: state })).status).toBe(400);

    const done = await send(callback.host, path, { cookie: state });
    expect(done.status).toBe(302);
    expect(done.location).toBe(`/user/${ATTACKER}/tree`);
    const set = done.cookies.find((c) => c.startsWith("gyre-user-origin="))!;
    expect(set).toMatch(/HttpOnly/i);
    expect(set).toMatch(/SameSite=Lax/i);
    expect(set).not.toMatch(/domain=/i);
    const origin = cookieOf(done, "gyre-user-origin");

    const api = { accept: "application/json" };
    expect((await send(callback.host, `/user/${ATTACKER}/api/status`, { ...api, cookie: origin })).status).toBe(200);
    // Bound to its host: the same cookie on another origin identifies nobody.
    expect((await send(`${VICTIM}.${HUB}`, `/user/${VICTIM}/api/status`, { ...api, cookie: origin })).status).toBe(403);
    // Not a hub credential either: /user/ on the hub's origin serves browsers nothing.
    const onHub = await send(HUB, `/user/${ATTACKER}/tree`, { cookie: origin });
    expect(onHub.status).toBe(302);
    expect(onHub.location).toBe(`http://${ATTACKER}.${HUB}/user/${ATTACKER}/tree`);
    expect((await send(HUB, `/user/${ATTACKER}/api/contents/x.txt`, { method: "PUT", cookie: session, ...api })).status).toBe(403);
    // Another user's path on this origin is never served here.
    const other = await send(callback.host, `/user/${VICTIM}/tree`, { cookie: origin });
    expect(other.status).toBe(302);
    expect(other.location).toBe(`http://${VICTIM}.${HUB}/user/${VICTIM}/tree`);

    // Logging out at the hub ends the user-origin session (the proxy's revoked list, synced every second here).
    expect((await send(HUB, "/hub/logout", { cookie: session })).status).toBe(303);
    await expect
      .poll(async () => (await send(callback.host, `/user/${ATTACKER}/api/status`, { ...api, cookie: origin })).status, { timeout: 10_000 })
      .toBe(403);
  });

  test("a hub session cookie planted next to the victim's (cookie tossing) signs nobody in, and both are deleted", async () => {
    const victim = await hubSession(VICTIM);
    const planted = await hubSession(ATTACKER);
    expect((await send(HUB, `/hub/api/users/${VICTIM}`, { cookie: victim, accept: "application/json" })).status).toBe(200);
    for (const cookie of [`${planted}; ${victim}`, `${victim}; ${planted}`]) {
      const a = await send(HUB, "/hub/home", { cookie });
      expect(a.status).toBe(307); // to the login page: two live sessions are none
      expect(a.location).toMatch(/\/hub\/login/);
      expect(a.cookies.filter((c) => /^gyre-session=;/.test(c) && /Max-Age=0/i.test(c)).length).toBeGreaterThan(1);
      expect([401, 403]).toContain((await send(HUB, `/hub/api/users/${VICTIM}`, { cookie, accept: "application/json" })).status);
    }
    // A forged or garbage value next to the real one does not get in the way.
    expect((await send(HUB, `/hub/api/users/${VICTIM}`, { cookie: `gyre-session=forged.value; ${victim}`, accept: "application/json" })).status).toBe(200);
  });

  test("a browser on 127.0.0.1 is sent to the hub's name; API clients with a token are served there", async () => {
    const page = await send(`127.0.0.1:${PORT}`, "/hub/login?next=%2Fhub%2Fhome");
    expect(page.status).toBe(302);
    expect(page.location).toBe(`http://${HUB}/hub/login?next=%2Fhub%2Fhome`);
    expect((await send(`[::1]:${PORT}`, "/hub/home")).location).toBe(`http://${HUB}/hub/home`);
    // not a page load: served where it was sent (the hub's own checks decide)
    expect((await send(`127.0.0.1:${PORT}`, "/hub/api", { accept: "application/json" })).status).toBe(200);
    expect((await g.api(ATTACKER, `/user/${ATTACKER}/api/status`)).status).toBe(200);
  });
});
