// The agent's dashboard relay for real: Debian's jupyter_server running as one account with
// gyre_agent.jupyter_ext loaded from a copy of the package (as the spawners deliver it), and two
// accounts listening on allowed ports of the same host — the situation of a shared login or compute
// node. The server's own account's port answers through <base>proxy/<port>/; the other account's
// port is refused before any byte of the request reaches it; a WebSocket goes through both ways.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { chmodSync, cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { testAccount } from "@/spawners/testing/os-account";

const PY = "/usr/bin/python3";
const isRoot = process.getuid?.() === 0;
const dir = mkdtempSync(join(tmpdir(), "gyre-dash-"));
const children: ChildProcess[] = [];
let server = 0; // jupyter port
let mine = 0; // the server account's dashboard
let theirs = 0; // another account's page
let idle = 0; // allowed, nothing listens
const token = "dash-test-token-" + Math.random().toString(36).slice(2);

function freePort(): Promise<number> {
  return new Promise((r) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => r(p));
    });
  });
}

function runAs(who: { uid: number; gid: number }, args: string[], env: Record<string, string>, cwd: string): ChildProcess {
  const c = spawn("/usr/bin/setpriv", [`--reuid=${who.uid}`, `--regid=${who.gid}`, "--init-groups", "--", ...args], {
    cwd,
    env: env as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(c);
  return c;
}

async function waitHttp(url: string, headers: Record<string, string> = {}): Promise<void> {
  for (let i = 0; i < 150; i++) {
    try {
      const r = await fetch(url, { headers });
      await r.arrayBuffer();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${url} never answered`);
}

// A page and a WebSocket echo (tornado, from Debian's python3-tornado) that report who serves them.
const PAGE_SERVER = `
import os, sys, tornado.ioloop, tornado.web, tornado.websocket
class Page(tornado.web.RequestHandler):
    def get(self, rest):
        self.write("uid=%d path=%s auth=%s cookie=%s" % (os.getuid(), self.request.uri, self.request.headers.get("Authorization", "-"), self.request.headers.get("Cookie", "-")))
    def post(self, rest):
        self.write("posted %d bytes: %s" % (len(self.request.body), self.request.body.decode()))
class Echo(tornado.websocket.WebSocketHandler):
    def check_origin(self, origin):
        return True
    def on_message(self, m):
        self.write_message("echo:" + m)
tornado.web.Application([(r"/ws", Echo), (r"/(.*)", Page)]).listen(int(sys.argv[1]), address="127.0.0.1")
print("up", flush=True)
tornado.ioloop.IOLoop.current().start()
`;

before(async () => {
  if (!isRoot) throw new Error("this test needs root: it runs servers as two throw-away accounts (gyretest1, gyretest2)");
  const a = testAccount("gyretest1");
  const b = testAccount("gyretest2");
  chmodSync(dir, 0o755);
  // As a spawner does: a copy of the agent package where the server's account can read it.
  cpSync(join(import.meta.dirname, "gyre_agent"), join(dir, "agent", "gyre_agent"), { recursive: true, filter: (src) => !src.includes("__pycache__") });
  writeFileSync(join(dir, "page.py"), PAGE_SERVER);
  execFileSync("chmod", ["-R", "a+rX", dir]);
  [server, mine, theirs, idle] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const env = { PATH: "/usr/bin:/bin", HOME: "/tmp", LANG: "C.UTF-8" };
  runAs(a, [PY, join(dir, "page.py"), String(mine)], env, "/");
  runAs(b, [PY, join(dir, "page.py"), String(theirs)], env, "/");
  const rt = join(dir, "rt");
  execFileSync("install", ["-d", "-m", "700", "-o", String(a.uid), "-g", String(a.gid), rt]);
  runAs(
    a,
    [
      "/usr/bin/jupyter",
      "server",
      `--ServerApp.port=${server}`,
      "--ServerApp.port_retries=0",
      "--ServerApp.ip=127.0.0.1",
      "--ServerApp.base_url=/user/a/",
      "--ServerApp.open_browser=False",
      "--ServerApp.root_dir=/tmp",
      "--ServerApp.jpserver_extensions",
      "gyre_agent.jupyter_ext=True",
    ],
    {
      ...env,
      PYTHONPATH: join(dir, "agent"),
      JUPYTER_TOKEN: token,
      JUPYTER_RUNTIME_DIR: rt,
      GYRE_DASHBOARD_PORTS: `${mine},${theirs},${idle}`,
    },
    "/tmp",
  );
  await waitHttp(`http://127.0.0.1:${mine}/x`);
  await waitHttp(`http://127.0.0.1:${theirs}/x`);
  await waitHttp(`http://127.0.0.1:${server}/user/a/api`);
});

after(() => {
  for (const c of children) c.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

const auth = () => ({ authorization: `token ${token}` });
const url = (p: string) => `http://127.0.0.1:${server}/user/a/${p}`;

test("the server's own account's port answers; the server's token is not passed to it", async () => {
  const r = await fetch(url(`proxy/${mine}/status?x=1`), { headers: { ...auth(), cookie: "bokeh=1" } });
  assert.equal(r.status, 200);
  const body = await r.text();
  assert.match(body, new RegExp(`^uid=${testAccount("gyretest1").uid} path=/status\\?x=1 auth=- cookie=bokeh=1$`));
  // jupyter-server-proxy's /absolute/ form keeps the public prefix
  const abs = await (await fetch(url(`proxy/absolute/${mine}/a/b`), { headers: auth() })).text();
  assert.match(abs, new RegExp(`path=/user/a/proxy/absolute/${mine}/a/b `));
  const post = await fetch(url(`proxy/${mine}/form`), { method: "POST", headers: { ...auth(), "content-type": "text/plain" }, body: "hello" });
  assert.equal(await post.text(), "posted 5 bytes: hello");
});

test("another account's socket on the same host is refused, and never sees the request", async () => {
  const r = await fetch(url(`proxy/${theirs}/steal`), { headers: auth() });
  assert.equal(r.status, 403);
  assert.match(await r.text(), /belongs to another account/);
  const ws = new WebSocket(`ws://127.0.0.1:${server}/user/a/proxy/${theirs}/ws`, { headers: auth() });
  const code = await new Promise<number>((res) => {
    ws.on("unexpected-response", (_req, resp) => res(resp.statusCode ?? 0));
    ws.on("open", () => res(101));
    ws.on("error", () => res(-1));
  });
  assert.equal(code, 403);
});

test("ports outside GYRE_DASHBOARD_PORTS are 404, a missing slash redirects, nothing listening is 503, no token is refused", async () => {
  assert.equal((await fetch(url("proxy/1/x"), { headers: auth() })).status, 404);
  const noSlash = await fetch(url(`proxy/${mine}?a=1`), { headers: auth(), redirect: "manual" });
  assert.equal(noSlash.status, 301);
  assert.equal(noSlash.headers.get("location"), `/user/a/proxy/${mine}/?a=1`);
  assert.equal((await fetch(url(`proxy/${mine}/x`))).status, 403);
  const none = await fetch(url(`proxy/${idle}/x`), { headers: auth() });
  assert.equal(none.status, 503);
  assert.match(await none.text(), /Nothing listens on port/);
});

test("a WebSocket to the account's own port is relayed both ways", async () => {
  const ws = new WebSocket(`ws://127.0.0.1:${server}/user/a/proxy/${mine}/ws`, { headers: auth() });
  await new Promise((res, rej) => ws.once("open", res).once("error", rej));
  // Text frames arrive as one Buffer (ws's default binaryType).
  const got = new Promise<string>((res) => ws.once("message", (m) => res((m as Buffer).toString())));
  ws.send("ping");
  assert.equal(await got, "echo:ping");
  ws.close();
});

test("pure parts: /proc/net/tcp{,6} rows (IPv4, IPv4-mapped IPv6) and port lists, against literal text", () => {
  const check = `
import sys
sys.path.insert(0, ${JSON.stringify(join(import.meta.dirname))})
from gyre_agent.dashboards import find_socket_uid, parse_port_spec, rewrite_response_head, build_request_head
rows = [
  "   0: 0100007F:2253 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1002        0 1 1 0000000000000000 100 0 0 10 0",
  "   1: 0100007F:2253 0100007F:D431 01 00000000:00000000 00:00000000 00000000  1003        0 2 1 0000000000000000 20 4 30 10 -1",
  "   2: 0000000000000000FFFF00000100007F:2254 0000000000000000FFFF00000100007F:D432 01 00000000:00000000 00:00000000 00000000  1004        0 3 1 0 20 4 30 10 -1",
]
assert find_socket_uid(rows, ("127.0.0.1", 8787), ("127.0.0.1", 54321)) == 1003, "established row, not the listener"
assert find_socket_uid(rows, ("127.0.0.1", 8788), ("127.0.0.1", 54322)) == 1004, "IPv4-mapped IPv6"
assert find_socket_uid(rows, ("127.0.0.1", 8787), ("127.0.0.1", 1)) is None
p = parse_port_spec("8787, 9000-9002")
assert [p(x) for x in (8787, 8788, 9000, 9002, 9003)] == [True, False, True, True, False]
for bad in ("9002-9000", "x", "70000"):
    try:
        parse_port_spec(bad)
        raise SystemExit("accepted " + bad)
    except ValueError:
        pass
assert rewrite_response_head(b"HTTP/1.1 200 OK\\r\\nConnection: keep-alive\\r\\nKeep-Alive: timeout=5\\r\\nContent-Length: 2\\r\\n\\r\\n") == b"HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\nConnection: close\\r\\n\\r\\n"
assert rewrite_response_head(b"HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\n\\r\\n").startswith(b"HTTP/1.1 101")
head = build_request_head("GET", "/x", [("Host", "a.localhost"), ("Authorization", "token t"), ("Cookie", "c=1"), ("X-Gyre-Forwarded", "s"), ("Accept", "*/*")], False)
assert head == b"GET /x HTTP/1.1\\r\\nHost: a.localhost\\r\\nCookie: c=1\\r\\nAccept: */*\\r\\nConnection: close\\r\\n", head
print("ok")
`;
  assert.equal(execFileSync(PY, ["-c", check], { encoding: "utf8" }).trim(), "ok");
});
