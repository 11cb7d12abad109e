// Debian's jupyterhub-singleuser (JupyterHub 3.0, unchanged) as the local spawner's server command,
// as under JupyterHub: the server is an OAuth client of the hub (jupyterhub-user-<user>-<server>),
// logs its owner in through /hub/api/oauth2/authorize without a consent page, and reports its
// activity to the hub itself (POST /hub/api/users/<name>/activity with its JUPYTERHUB_API_TOKEN).
// What the hub refuses: another user (at the proxy and at authorize), a wrong redirect URI or
// client id, a wrong client secret, and the client once the server is deleted.
import { test, expect, type Page } from "@playwright/test";
import WebSocket from "ws";
import { ADMIN, createUser, login, startGyre, type Gyre } from "./harness";

const SERVER = "su";
const CLIENT = "jupyterhub-user-alice-su";
const CALLBACK = "/user/alice/su/oauth_callback";

let g: Gyre;
test.beforeAll(async () => {
  // The proxy's own activity reports wait an hour here: a newer last_activity can only come from
  // the server's reports.
  g = await startGyre({
    basePort: 7960,
    singleOrigin: true,
    config: { spawner: { local: { command: ["/usr/bin/jupyterhub-singleuser"], env: { JUPYTERHUB_ACTIVITY_INTERVAL: "2" } } } },
    env: { GYRE_PROXY__ACTIVITY_FLUSH_SECONDS: "3600" },
  });
  await createUser(g, "alice", "alice-password-123");
  await createUser(g, "bob", "bob-password-123");
});
test.afterAll(async () => {
  await g?.stop();
});

interface ServerModel {
  ready: boolean;
  state: string;
  message: string | null;
  last_activity: string | null;
}

async function serverOf(user: string, name: string): Promise<ServerModel | undefined> {
  const m = (await (await g.api(ADMIN.name, `/hub/api/users/${user}`)).json()) as { servers: Record<string, ServerModel> };
  return m.servers[name];
}

async function startNamed(user: string, name: string): Promise<ServerModel> {
  const r = await g.api(user, `/hub/api/users/${user}/servers/${name}`, { method: "POST", body: "{}" });
  expect([201, 202]).toContain(r.status);
  const end = Date.now() + 120_000;
  for (;;) {
    const s = await serverOf(user, name);
    if (s?.ready) return s;
    if (s?.state === "failed") throw new Error(`spawn failed: ${s.message}\n${g.logs().slice(-3000)}`);
    if (Date.now() > end) throw new Error(`server did not become ready:\n${g.logs().slice(-3000)}`);
    await new Promise((res) => setTimeout(res, 250));
  }
}

function authorizeUrl(o: { clientId?: string; redirectUri?: string } = {}): string {
  const q = new URLSearchParams({ client_id: o.clientId ?? CLIENT, redirect_uri: o.redirectUri ?? CALLBACK, response_type: "code", state: "s1" });
  return `${g.url}/hub/api/oauth2/authorize?${q}`;
}

/** The browser's requests while it follows `go`. */
async function requestsDuring(page: Page, go: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const on = (r: { url(): string }) => seen.push(new URL(r.url()).pathname);
  page.on("request", on);
  try {
    await go();
  } finally {
    page.off("request", on);
  }
  return seen;
}

test("jupyterhub-singleuser as the server command: OAuth with the hub (no consent for the owner), the notebook UI, activity reports, and what is refused", async ({
  browser,
}) => {
  test.setTimeout(240_000);
  const t0 = Date.now();
  const started = await startNamed("alice", SERVER);
  console.log(`jupyterhub-singleuser ready in ${Date.now() - t0} ms`);
  const readyActivity = Date.parse(started.last_activity ?? "1970-01-01T00:00:00Z");

  // --- the owner: proxy → singleuser → hub's authorize (trusted: straight back) → callback → the tree
  const alice = await browser.newContext();
  const page = await alice.newPage();
  await login(page, g, "alice", "alice-password-123");
  const visitedAt = Date.now();
  const flow = await requestsDuring(page, async () => {
    await page.goto(`${g.url}/user/alice/${SERVER}/tree`);
    await page.waitForURL(/\/user\/alice\/su\/tree/, { timeout: 60_000 });
  });
  expect(flow).toContain("/hub/api/oauth2/authorize");
  expect(flow).toContain(CALLBACK);
  await expect(page.locator("#notebook_list")).toBeAttached({ timeout: 30_000 });
  // singleuser keeps the access token in its own cookie, named after its client
  const cookies = await alice.cookies(`${g.url}/user/alice/${SERVER}/tree`);
  expect(cookies.map((c) => c.name)).toContain(CLIENT);
  // the token the hub issued: alice's, marked with the client, carrying only this server's access scope
  const tokens = (await (await g.api("alice", "/hub/api/users/alice/tokens")).json()) as {
    oauth_tokens: { oauth_client: string; scopes: string[] }[];
  };
  const issued = tokens.oauth_tokens.filter((t) => t.oauth_client === CLIENT);
  expect(issued.length).toBeGreaterThan(0);
  expect(issued[0].scopes).toEqual(["access:servers!server=alice/su"]);

  // --- activity: singleuser's own reports (interval 2 s) move the server's last_activity past the visit
  const end = Date.now() + 30_000;
  let reported: number;
  for (;;) {
    const s = await serverOf("alice", SERVER);
    reported = Date.parse(s?.last_activity ?? "1970-01-01T00:00:00Z");
    if (reported >= visitedAt - 1000 && reported > readyActivity) break;
    if (Date.now() > end) throw new Error(`no activity report from the server: last_activity ${s?.last_activity}, ready at ${started.last_activity}`);
    await new Promise((res) => setTimeout(res, 500));
  }
  console.log(
    `activity reported by jupyterhub-singleuser: last_activity ${new Date(reported).toISOString()} (page visited ${new Date(visitedAt).toISOString()})`,
  );

  // --- another user, shared nothing: the proxy refuses, and so does authorize (no token for alice's server)
  const bobContext = await browser.newContext();
  const bob = await bobContext.newPage();
  await login(bob, g, "bob", "bob-password-123");
  const viaProxy = await bob.goto(`${g.url}/user/alice/${SERVER}/tree`);
  expect(viaProxy?.status()).toBe(403);
  const bobAuthorize = await bob.request.get(authorizeUrl(), { maxRedirects: 0 });
  expect(bobAuthorize.status()).toBe(403);
  expect(await bobAuthorize.text()).toContain("do not have access");

  // --- wrong redirect URI, wrong or unknown client id: 400, never a redirect
  for (const bad of [{ redirectUri: "https://evil.example/cb" }, { redirectUri: "/user/alice/oauth_callback" }, { clientId: "jupyterhub-user-alice-nope" }]) {
    const r = await page.request.get(authorizeUrl(bad), { maxRedirects: 0 });
    expect(r.status(), JSON.stringify(bad)).toBe(400);
  }
  // a code the owner gets (trusted: 302 with the code), exchanged with a wrong secret: invalid_client
  const ok = await page.request.get(authorizeUrl(), { maxRedirects: 0 });
  expect(ok.status()).toBe(302);
  const code = new URL(ok.headers()["location"], g.url).searchParams.get("code")!;
  expect(code).toBeTruthy();
  const wrongSecret = await fetch(`${g.hubUrl}/hub/api/oauth2/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", code, client_id: CLIENT, client_secret: "not-the-server-token", redirect_uri: CALLBACK }),
  });
  expect(wrongSecret.status).toBe(401);
  expect(((await wrongSecret.json()) as { error: string }).error).toBe("invalid_client");

  // --- the server deleted: its client is gone (authorize 400) and the tokens it issued are revoked
  const del = await g.api("alice", `/hub/api/users/alice/servers/${SERVER}`, { method: "DELETE", body: JSON.stringify({ remove: true }) });
  expect([202, 204]).toContain(del.status);
  const gone = Date.now() + 60_000;
  while (await serverOf("alice", SERVER)) {
    if (Date.now() > gone) throw new Error("the server's record was not removed");
    await new Promise((res) => setTimeout(res, 250));
  }
  const afterDelete = await page.request.get(authorizeUrl(), { maxRedirects: 0 });
  expect(afterDelete.status()).toBe(400);
  expect(await afterDelete.text()).toContain("Unknown OAuth client");
  const left = (await (await g.api("alice", "/hub/api/users/alice/tokens")).json()) as { oauth_tokens: { oauth_client: string }[] };
  expect(left.oauth_tokens.filter((t) => t.oauth_client === CLIENT)).toEqual([]);
  await alice.close();
  await bobContext.close();
});

/** Opens a kernel's channels WebSocket and resolves with the reply to a kernel_info_request, or rejects with the refused upgrade's status. */
function kernelInfo(url: string): Promise<{ msg_type: string; status: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const timer = setTimeout(() => (ws.terminate(), reject(new Error("no kernel_info_reply in 60 s"))), 60_000);
    ws.once("unexpected-response", (_req, res) => {
      clearTimeout(timer);
      ws.terminate();
      reject(Object.assign(new Error(`refused ${res.statusCode}`), { status: res.statusCode }));
    });
    ws.once("error", (err) => (clearTimeout(timer), reject(err)));
    ws.once("open", () => {
      const header = { msg_id: "e2e-info-1", msg_type: "kernel_info_request", username: "e2e", session: "e2e", date: new Date().toISOString(), version: "5.3" };
      ws.send(JSON.stringify({ header, parent_header: {}, metadata: {}, content: {}, channel: "shell", buffers: [] }));
    });
    ws.on("message", (data) => {
      const m = JSON.parse((data as Buffer).toString()) as { header: { msg_type: string }; parent_header: { msg_id?: string }; content: { status: string } };
      if (m.parent_header.msg_id !== "e2e-info-1" || m.header.msg_type !== "kernel_info_reply") return;
      clearTimeout(timer);
      ws.close();
      resolve({ msg_type: m.header.msg_type, status: m.content.status });
    });
  });
}

test("an API client's kernel WebSocket with ?token= on jupyterhub-singleuser: the owner's token works (the proxy passes it on as a header, out of the URL), another user's is refused at the proxy", async () => {
  test.setTimeout(240_000);
  await startNamed("alice", "ws");
  const alice = g.token("alice");
  const base = `${g.url}/user/alice/ws`;
  const created = await fetch(`${base}/api/kernels`, {
    method: "POST",
    headers: { authorization: `token ${alice}`, "content-type": "application/json" },
    body: "{}",
  });
  expect(created.status, await created.clone().text()).toBe(201);
  const { id } = (await created.json()) as { id: string };
  const channels = `${base.replace(/^http/, "ws")}/api/kernels/${id}/channels`;
  const t0 = Date.now();
  expect(await kernelInfo(`${channels}?session_id=e2e&token=${alice}`)).toEqual({ msg_type: "kernel_info_reply", status: "ok" });
  console.log(`kernel_info_reply over the ?token= WebSocket in ${Date.now() - t0} ms`);
  // another user's token: refused at the proxy, before the server
  const bob = g.token("bob");
  await expect(kernelInfo(`${channels}?token=${bob}`)).rejects.toMatchObject({ status: 403 });
  // no token at all: refused too
  await expect(kernelInfo(channels)).rejects.toMatchObject({ status: 403 });
  // the token never reached a log (the hub's and the proxy's)
  expect(g.logs()).not.toContain(alice);
  await g.api("alice", "/hub/api/users/alice/servers/ws", { method: "DELETE", body: JSON.stringify({ remove: true }) });
});
