// Gyre's server extension inside Debian's jupyterhub-singleuser (JupyterHub 3.0, unchanged), as the
// local spawner runs it (spawner.local.command): hub + proxy processes (e2e/harness), the server
// started through the REST API. A kernel busy in a time.sleep loop with no browser keeps the
// server's last_activity moving through jupyterhub-singleuser's own activity reports (the proxy's
// reports are held back an hour, so only the server's count), and the dashboard relay under
// <base>proxy/<port>/ answers the owner with the page a process of the server's account serves;
// another user is refused.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createServer } from "node:net";
import WebSocket from "ws";
import { ADMIN, createUser, startGyre, type Gyre } from "@/e2e/harness";

const BASE_PORT = 7940;
let g: Gyre;
let dashPort = 0;

function freePort(): Promise<number> {
  return new Promise((r) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => r(p));
    });
  });
}

interface ServerModel {
  ready: boolean;
  state: string;
  message: string | null;
  last_activity: string | null;
}

async function serverOf(user: string): Promise<ServerModel | undefined> {
  const m = (await (await g.api(ADMIN.name, `/hub/api/users/${user}`)).json()) as { servers: Record<string, ServerModel> };
  return m.servers[""];
}

before(async () => {
  if (process.getuid?.() !== 0) throw new Error("this test needs root: servers run as the users' own accounts");
  dashPort = await freePort();
  g = await startGyre({
    basePort: BASE_PORT,
    singleOrigin: true,
    config: {
      spawner: { local: { command: ["/usr/bin/jupyterhub-singleuser"], env: { JUPYTERHUB_ACTIVITY_INTERVAL: "1" } } },
      proxy: { dashboardPorts: [dashPort] },
    },
    env: { GYRE_PROXY__ACTIVITY_FLUSH_SECONDS: "3600" },
  });
  await createUser(g, "suext", "suext-password-123");
  await createUser(g, "suother", "suother-password-123");
  const r = await g.api("suext", "/hub/api/users/suext/server", { method: "POST", body: "{}" });
  assert.ok([201, 202].includes(r.status), `start: ${r.status} ${await r.text()}`);
  for (const end = Date.now() + 120_000; ;) {
    const s = await serverOf("suext");
    if (s?.ready) break;
    if (s?.state === "failed") throw new Error(`spawn failed: ${s.message}\n${g.logs().slice(-3000)}`);
    if (Date.now() > end) throw new Error(`server did not become ready:\n${g.logs().slice(-3000)}`);
    await new Promise((res) => setTimeout(res, 250));
  }
});

/**
 * A token of `user` with `access:servers!user=<user>`, as JupyterHub's clients ask for: a token
 * without a scope list shows as ["inherit"] in GET /hub/api/user (docs/jupyterhub-compat.md), and
 * jupyterhub-singleuser then refuses it for missing access scopes.
 */
async function accessToken(user: string): Promise<string> {
  const r = await g.api(user, `/hub/api/users/${user}/tokens`, {
    method: "POST",
    body: JSON.stringify({ scopes: [`access:servers!user=${user}`], note: "singleuser test" }),
  });
  assert.equal(r.status, 201, await r.clone().text());
  return ((await r.json()) as { token: string }).token;
}

after(async () => {
  await g?.stop();
});

test("jupyterhub-singleuser with Gyre's extension: a busy kernel with no browser keeps last_activity moving; the dashboard relay answers the owner only", async (t) => {
  const token = await accessToken("suext");
  const headers = { authorization: `token ${token}`, "content-type": "application/json" };
  const base = `${g.url}/user/suext`;
  const created = await fetch(`${base}/api/kernels`, { method: "POST", headers, body: JSON.stringify({ name: "python3" }) });
  assert.equal(created.status, 201, await created.clone().text());
  const kernel = (await created.json()) as { id: string };
  // through the proxy, as a browser's kernel connection (the caller's API token goes on to the
  // server, which checks it with the hub)
  const ws = new WebSocket(`${base.replace(/^http/, "ws")}/api/kernels/${kernel.id}/channels`, { headers: { authorization: `token ${token}` } });
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  // let jupyter_server's kernel_info "nudge" of a new connection finish first (a control-channel
  // answer while the loop runs would mark the kernel idle: docs/jupyterhub-compat.md, known limit)
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 5000);
    const onMessage = (data: Buffer) => {
      const msg = JSON.parse(data.toString()) as { msg_type: string; content: { execution_state?: string } };
      if (msg.msg_type === "status" && msg.content.execution_state === "idle") {
        ws.off("message", onMessage);
        clearTimeout(timer);
        setTimeout(resolve, 500);
      }
    };
    ws.on("message", onMessage);
  });
  const msgId = "exec-" + Math.random().toString(36).slice(2);
  const busy = new Promise<void>((resolve) =>
    ws.on("message", (data: Buffer) => {
      const msg = JSON.parse(data.toString()) as { msg_type: string; parent_header?: { msg_id?: string }; content: { execution_state?: string } };
      if (msg.msg_type === "status" && msg.content.execution_state === "busy" && msg.parent_header?.msg_id === msgId) resolve();
    }),
  );
  // a "dashboard" served by the kernel (the server's own account), then a long silent computation
  const code = [
    "import http.server, threading, time",
    "class H(http.server.BaseHTTPRequestHandler):",
    "    def do_GET(self):",
    "        body = b'dashboard of ' + self.path.encode()",
    "        self.send_response(200); self.send_header('Content-Length', str(len(body))); self.end_headers(); self.wfile.write(body)",
    "    def log_message(self, *a): pass",
    `threading.Thread(target=http.server.HTTPServer(('127.0.0.1', ${dashPort}), H).serve_forever, daemon=True).start()`,
    "while True:",
    "    time.sleep(0.2)",
  ].join("\n");
  ws.send(
    JSON.stringify({
      header: { msg_id: msgId, username: "suext", session: "s-" + msgId, msg_type: "execute_request", version: "5.3", date: new Date().toISOString() },
      parent_header: {},
      metadata: {},
      content: { code, silent: false, store_history: false, user_expressions: {}, allow_stdin: false, stop_on_error: true },
      channel: "shell",
      buffers: [],
    }),
  );
  await busy;
  ws.close();

  // the relay: the owner reaches the account's own page; another user and no token do not
  let page: Response | undefined;
  for (const end = Date.now() + 20_000; Date.now() < end; await new Promise((r) => setTimeout(r, 250))) {
    page = await fetch(`${base}/proxy/${dashPort}/status`, { headers: { authorization: `token ${token}` }, redirect: "manual" });
    if (page.status !== 503) break; // the kernel's thread may not listen yet
    await page.arrayBuffer();
  }
  assert.equal(page?.status, 200, `relay: ${page?.status}`);
  assert.equal(await page.text(), "dashboard of /status");
  const other = await fetch(`${base}/proxy/${dashPort}/status`, { headers: { authorization: `token ${g.token("suother")}` }, redirect: "manual" });
  assert.equal(other.status, 403, "another user's token");
  await other.arrayBuffer();
  const anonymous = await fetch(`${base}/proxy/${dashPort}/status`, { redirect: "manual" });
  assert.ok([302, 401, 403].includes(anonymous.status), `no credentials: ${anonymous.status}`);
  await anonymous.arrayBuffer();

  // nothing reaches the server from here on: only the busy rule can move last_activity
  const quietSince = Date.now();
  let seen = 0;
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 500))) {
    seen = Date.parse((await serverOf("suext"))?.last_activity ?? "") || 0;
    if (seen > quietSince + 3000) break;
  }
  t.diagnostic(`last_activity ${new Date(seen).toISOString()}, ${seen - quietSince} ms after the last request`);
  assert.ok(
    seen > quietSince + 3000,
    `last_activity ${new Date(seen).toISOString()} should be well after the last request at ${new Date(quietSince).toISOString()}`,
  );

  // once the kernel is interrupted the server is idle: its reports stop moving the time
  const interrupted = await fetch(`${base}/api/kernels/${kernel.id}/interrupt`, { method: "POST", headers });
  assert.equal(interrupted.status, 204);
  await new Promise((r) => setTimeout(r, 3000));
  const idleAt = (await serverOf("suext"))?.last_activity;
  await new Promise((r) => setTimeout(r, 4000));
  assert.equal((await serverOf("suext"))?.last_activity, idleAt, "an idle server's last_activity stands still");
});
