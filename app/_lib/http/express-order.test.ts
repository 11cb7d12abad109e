// The hub's Express entry (app/server.ts) serves the REST fast path (rest-fast-path.ts) right after
// its guards, before the routers of login, launch links, origin login and share acceptance. That
// is only right while none of those routers would answer a request the fast path takes: here every
// kind of request the fast path serves (the users list, one user, a server's start and stop, with
// queries and odd names) goes through the routers as the hub builds them (GitHub login on) and
// must come out untouched, while the routers' own paths are still answered by them.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { request, type Server } from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import express from "express";
import { SPAWNER_KINDS } from "@/spawners/catalog";
import { startTestHub, type TestHub } from "@/app/_lib/testing/hub";
import { authRouter } from "./auth-routes";
import { launchRouter } from "./launch-router";
import { originLoginRouter } from "./origin-login-routes";
import { acceptShareRouter } from "./accept-share-routes";

let hub: TestHub;
let server: Server;
let base: string;
let secretDir: string;
const PASSED_ON = 299;

before(async () => {
  secretDir = mkdtempSync(join(tmpdir(), "gyre-express-order-"));
  writeFileSync(join(secretDir, "secret"), "test-secret");
  hub = await startTestHub({
    catalog: SPAWNER_KINDS,
    config: {
      hub: { publicUrl: "https://hub.example.org" },
      auth: { github: { enabled: true, clientId: "test-client", clientSecretFile: join(secretDir, "secret"), allowedUsers: ["alice"] } },
    },
  });
  const app = express();
  // as app/server.ts mounts them after the fast path
  app.use(authRouter());
  app.use(launchRouter({ agentCommands: async () => null }));
  app.use(originLoginRouter());
  app.use(acceptShareRouter());
  app.get("/", (_req, res) => res.redirect(302, "/hub/home"));
  app.use((req, res) => res.status(PASSED_ON).json({ passedOn: `${req.method} ${req.url}` }));
  server = app.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server?.close();
  await hub?.close();
  rmSync(secretDir, { recursive: true, force: true });
});

function send(method: string, path: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { authorization: "token x", origin: "https://hub.example.org" };
    if (body !== undefined) Object.assign(headers, { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) });
    const req = request(`${base}${path}`, { method, headers }, (res) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

test("every request the fast path serves passes through the routers untouched", async () => {
  const names = ["alice", "zo%C3%A9", "a.b-c_d", "hub", "login", "v2", "build", "oauth_callback", "git-pull"];
  const requests: [string, string, string?][] = [
    ["GET", "/hub/api/users"],
    ["GET", "/hub/api/users?offset=5&limit=200&state=active"],
    ["GET", "/hub/api/users?include_stopped_servers"],
  ];
  for (const n of names) {
    requests.push(["GET", `/hub/api/users/${n}`], ["GET", `/hub/api/users/${n}?include_stopped_servers=1`]);
    for (const server of ["server", "servers/gpu", "servers/login"]) {
      requests.push(
        ["POST", `/hub/api/users/${n}/${server}`, "{}"],
        ["DELETE", `/hub/api/users/${n}/${server}`],
        ["DELETE", `/hub/api/users/${n}/${server}`, '{"remove": true}'],
      );
    }
  }
  for (const [method, path, body] of requests) {
    const r = await send(method, path, body);
    assert.equal(r.status, PASSED_ON, `${method} ${path}: ${r.status} ${r.body.slice(0, 200)}`);
    assert.deepEqual(JSON.parse(r.body), { passedOn: `${method} ${path}` });
  }
});

test("the routers still answer their own paths (this test would see a router that stopped matching)", async () => {
  for (const [method, path] of [
    ["POST", "/hub/login"],
    ["GET", "/hub/logout"],
    ["GET", "/hub/oauth_login"],
    ["GET", "/v2/gh/org/repo/main"],
    ["GET", "/build/x"],
    ["POST", "/hub/origin-login"],
    ["POST", "/hub/accept-share"],
    ["GET", "/"],
  ]) {
    const r = await send(method, path);
    assert.notEqual(r.status, PASSED_ON, `${method} ${path} was answered by a router`);
  }
});
