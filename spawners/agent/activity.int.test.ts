// Activity reports for real: Debian's jupyter_server with gyre_agent.jupyter_ext loaded (as the
// spawners load it) and JupyterHub's environment, posting to the hub's activity route handler
// (served here by node:http over a real SQLite hub database) with the server's own API token. A
// kernel busy in a time.sleep loop with no browser connected keeps the server's last activity
// fresh, so the culler would not cull it; the server's token is refused for another user.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { chmodSync, cpSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { SPAWNER_KINDS } from "@/spawners/catalog";
import { startTestHub, type TestHub } from "@/app/_lib/testing/hub";
import { deriveServerApiToken, issueServerApiToken } from "@/app/_lib/servers/server-api-token";
import * as activityRoute from "@/app/api/users/[name]/activity/route";
import { testAccount } from "@/spawners/testing/os-account";

const isRoot = process.getuid?.() === 0;
const INTERVAL_SECONDS = 1;
const dir = mkdtempSync(join(tmpdir(), "gyre-activity-"));
const children: ChildProcess[] = [];
const jupyterToken = "activity-test-" + Math.random().toString(36).slice(2);
let hub: TestHub;
let api: Server;
let apiPort = 0;
let jupyterPort = 0;
let serverId = 0;
let apiToken = "";
const posts: { status: number; user: string; body?: string }[] = [];

/** The hub's activity route as the hub serves it, on a free port. */
async function serveActivityRoute(): Promise<number> {
  api = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        const m = /^\/hub\/api\/users\/([^/]+)\/activity$/.exec(req.url ?? "");
        if (!m || req.method !== "POST") return res.writeHead(404).end();
        const request = new Request(`http://127.0.0.1:${apiPort}${req.url}`, {
          method: "POST",
          headers: req.headers as Record<string, string>,
          body: Buffer.concat(chunks),
        });
        const answer = await activityRoute.POST(request, { params: Promise.resolve({ name: m[1] }) });
        posts.push({ status: answer.status, user: m[1], body: Buffer.concat(chunks).toString() });
        res.writeHead(answer.status).end(await answer.text());
      })();
    });
  });
  await new Promise<void>((r) => api.listen(0, "127.0.0.1", r));
  return (api.address() as { port: number }).port;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function waitHttp(url: string, headers: Record<string, string>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      const r = await fetch(url, { headers });
      await r.arrayBuffer();
      if (r.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} never answered`);
}

const lastActivity = async () => (await hub.db.server.findUniqueOrThrow({ where: { id: serverId } })).lastActivity!;

before(async () => {
  if (!isRoot) throw new Error("this test needs root: the server runs as the throw-away account gyretest1");
  hub = await startTestHub({ catalog: SPAWNER_KINDS });
  const user = await hub.addUser("acty");
  await hub.addUser("other");
  const spawnId = "activity-int-" + Math.random().toString(36).slice(2);
  serverId = (await hub.db.server.create({ data: { userId: user.id, name: "", state: "running", spawnId, lastActivity: new Date(Date.now() - 3600_000) } })).id;
  apiToken = deriveServerApiToken(hub.rt.config.hub.secretKey, spawnId);
  await issueServerApiToken(hub.db, { userId: user.id, user: "acty", server: "", token: apiToken });
  apiPort = await serveActivityRoute();

  const a = testAccount("gyretest1");
  chmodSync(dir, 0o755);
  cpSync(join(import.meta.dirname, "gyre_agent"), join(dir, "agent", "gyre_agent"), { recursive: true, filter: (src) => !src.includes("__pycache__") });
  execFileSync("chmod", ["-R", "a+rX", dir]);
  const rt = join(dir, "rt");
  execFileSync("install", ["-d", "-m", "700", "-o", String(a.uid), "-g", String(a.gid), rt]);
  jupyterPort = await freePort();
  const apiUrl = `http://127.0.0.1:${apiPort}/hub/api`;
  const serverEnv: Record<string, string> = {
    PATH: "/usr/bin:/bin",
    HOME: "/tmp",
    LANG: "C.UTF-8",
    PYTHONPATH: join(dir, "agent"),
    JUPYTER_TOKEN: jupyterToken,
    JUPYTER_RUNTIME_DIR: rt,
    // what the hub gives every server (see the spawn worker's context)
    JUPYTERHUB_API_URL: apiUrl,
    JUPYTERHUB_ACTIVITY_URL: `${apiUrl}/users/acty/activity`,
    JUPYTERHUB_API_TOKEN: apiToken,
    JUPYTERHUB_USER: "acty",
    JUPYTERHUB_SERVER_NAME: "",
    JUPYTERHUB_ACTIVITY_INTERVAL: String(INTERVAL_SECONDS),
  };
  const child = spawn(
    "/usr/bin/setpriv",
    [
      `--reuid=${a.uid}`,
      `--regid=${a.gid}`,
      "--init-groups",
      "--",
      "/usr/bin/jupyter",
      "server",
      `--ServerApp.port=${jupyterPort}`,
      "--ServerApp.port_retries=0",
      "--ServerApp.ip=127.0.0.1",
      "--ServerApp.base_url=/user/acty/",
      "--ServerApp.open_browser=False",
      "--ServerApp.root_dir=/tmp",
      "--ServerApp.jpserver_extensions",
      "gyre_agent.jupyter_ext=True",
    ],
    {
      cwd: "/tmp",
      stdio: ["ignore", "ignore", "pipe"],
      env: serverEnv as NodeJS.ProcessEnv,
    },
  );
  children.push(child);
  await waitHttp(`http://127.0.0.1:${jupyterPort}/user/acty/api/status`, { authorization: `token ${jupyterToken}` });
});

after(async () => {
  for (const c of children) c.kill("SIGKILL");
  await new Promise((r) => api?.close(r));
  await hub?.close();
  rmSync(dir, { recursive: true, force: true });
});

test("a kernel busy in a time.sleep loop with no browser connected keeps the server's last activity fresh", async () => {
  const headers = { authorization: `token ${jupyterToken}`, "content-type": "application/json" };
  const base = `http://127.0.0.1:${jupyterPort}/user/acty`;
  const kernel = (await (await fetch(`${base}/api/kernels`, { method: "POST", headers, body: JSON.stringify({ name: "python3" }) })).json()) as { id: string };
  // Run the loop over the kernel's channels, as a browser would, then go away.
  const ws = new WebSocket(`ws://127.0.0.1:${jupyterPort}/user/acty/api/kernels/${kernel.id}/channels?token=${jupyterToken}`);
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  // jupyter_server "nudges" a new connection with kernel_info requests on the shell AND control
  // channels; a control request answered while the loop runs would set the kernel's tracked
  // execution_state to idle again (a known limit: see docs/jupyterhub-compat.md, "Activity of
  // servers"). Let the nudge finish before the loop starts.
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
      // busy for OUR request: the server's own kernel_info "nudge" on connect also goes busy, and
      // closing the socket before the loop started would leave an idle kernel behind
      if (msg.msg_type === "status" && msg.content.execution_state === "busy" && msg.parent_header?.msg_id === msgId) resolve();
    }),
  );
  ws.send(
    JSON.stringify({
      header: { msg_id: msgId, username: "acty", session: "s-" + msgId, msg_type: "execute_request", version: "5.3", date: new Date().toISOString() },
      parent_header: {},
      metadata: {},
      content: {
        code: "import time\nwhile True:\n    time.sleep(0.2)",
        silent: false,
        store_history: false,
        user_expressions: {},
        allow_stdin: false,
        stop_on_error: true,
      },
      channel: "shell",
      buffers: [],
    }),
  );
  await busy;
  ws.close();
  // the last thing a browser or the proxy could have seen
  const quietSince = new Date();
  // reports every second say "now" while the kernel is busy; a loaded machine may delay a few
  let seen = await lastActivity();
  for (const deadline = Date.now() + 30_000; seen.getTime() <= quietSince.getTime() + INTERVAL_SECONDS * 2000 && Date.now() < deadline;) {
    await new Promise((r) => setTimeout(r, 500));
    seen = await lastActivity();
  }
  assert.ok(
    seen.getTime() > quietSince.getTime() + INTERVAL_SECONDS * 2000,
    `last activity ${seen.toISOString()} should be well after the browser left at ${quietSince.toISOString()}; reports: ${JSON.stringify(posts.slice(-8))}`,
  );
  assert.ok(posts.length >= 3 && posts.every((p) => p.status === 200), JSON.stringify(posts));
  // and once the kernel is interrupted, the server is idle again: reports stop moving the time
  await fetch(`${base}/api/kernels/${kernel.id}/interrupt`, { method: "POST", headers });
  await new Promise((r) => setTimeout(r, (INTERVAL_SECONDS * 2 + 1) * 1000));
  const idleAt = await lastActivity();
  await new Promise((r) => setTimeout(r, (INTERVAL_SECONDS * 3 + 1) * 1000));
  assert.deepEqual(await lastActivity(), idleAt, "an idle server's last activity stands still");
});

test("the server's API token reports only its own user's activity", async () => {
  const post = (name: string) =>
    activityRoute.POST(
      new Request(`http://127.0.0.1:${apiPort}/hub/api/users/${name}/activity`, {
        method: "POST",
        headers: { authorization: `token ${apiToken}`, "content-type": "application/json" },
        body: JSON.stringify({ last_activity: new Date().toISOString() }),
      }),
      { params: Promise.resolve({ name }) },
    );
  assert.equal((await post("other")).status, 403);
  assert.equal((await post("acty")).status, 200);
});
