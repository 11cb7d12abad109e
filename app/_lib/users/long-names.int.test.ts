// User names of JupyterHub's limits against a real Gyre (hub + proxy processes, local spawner with
// real Jupyter servers; e2e/harness.ts): a 40- and a 255-character user made through the REST API,
// the 40-character one's server started and reached through the proxy, a rename, and what the API
// refuses. Then BinderHub's launcher — not packaged here, so a stand-in makes its calls (read from
// binderhub/launcher.py: unique_name_from_repo, POST users/<name>, POST users/<name>/tokens,
// POST users/<name>/servers/<server_name> with user options, poll GET users/<name>) for a default
// and a named server, with the names it generates (a digit first, dots, up to 41 characters).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { ADMIN, startGyre, type Gyre } from "@/e2e/harness";
import { resolveOsAccount } from "./os-account";

let g: Gyre;
before(async () => {
  g = await startGyre({ basePort: 7910 });
});
after(async () => {
  await g?.stop();
});

const NAME_40 = "binder-examples-requirements-abcd1234567";
const NAME_255 = "x".repeat(200) + ".y-z_" + "0".repeat(50);
const asRoot = process.getuid?.() === 0;
/** OS accounts this file made (the hub runs useradd as root): removed at the end. */
const madeAccounts = new Set<string>();
after(() => {
  for (const a of madeAccounts) spawnSync("userdel", ["-r", "--", a], { stdio: "ignore" });
});

type ServerModel = { name: string; ready: boolean; state: string; message: string | null; url: string; stopped: boolean };

/** Waits until `user`'s server `server` is ready, through the new GET of one server. */
async function waitReady(user: string, server: string, as = ADMIN.name): Promise<ServerModel> {
  const path = `/hub/api/users/${encodeURIComponent(user)}/${server ? `servers/${encodeURIComponent(server)}` : "server"}`;
  const end = Date.now() + 120_000;
  for (;;) {
    const r = await g.api(as, path);
    if (r.status === 200) {
      const s = (await r.json()) as ServerModel;
      if (s.ready) return s;
      if (s.state === "failed") throw new Error(`spawn failed: ${s.message}`);
    } else await r.arrayBuffer();
    if (Date.now() > end) throw new Error(`${user}/${server} did not become ready:\n${g.logs().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** An OS account the hub will use for `user` (the default template), noted for removal. */
function expectedAccount(user: string): string {
  const account = resolveOsAccount({ userName: user, mapping: { template: "{username}" } });
  if (asRoot && spawnSync("getent", ["passwd", account]).status !== 0) madeAccounts.add(account);
  return account;
}

test("a 40- and a 255-character user through the REST API; the 40-character one's server runs and answers through the proxy", async () => {
  assert.equal(NAME_40.length, 40);
  assert.equal(NAME_255.length, 255);
  for (const name of [NAME_40, NAME_255]) {
    const r = await g.api(ADMIN.name, `/hub/api/users/${name}`, { method: "POST", body: "{}" });
    assert.equal(r.status, 201, await r.clone().text());
    assert.equal(((await r.json()) as { name: string }).name, name);
    const read = await g.api(ADMIN.name, `/hub/api/users/${name}`);
    assert.equal(read.status, 200);
    assert.equal(((await read.json()) as { name: string }).name, name);
  }
  const listed = (await (await g.api(ADMIN.name, "/hub/api/users")).json()) as { name: string }[];
  assert.ok(listed.some((u) => u.name === NAME_255));

  const account = expectedAccount(NAME_40);
  assert.match(account, /^binder-exampl--[0-9a-f]{16}$/, "a 40-character name gets a derived OS account");
  const start = await g.api(NAME_40, `/hub/api/users/${NAME_40}/server`, { method: "POST", body: "{}" });
  assert.equal(start.status, 202, await start.clone().text());
  const model = await waitReady(NAME_40, "", NAME_40);
  assert.equal(model.url, `/user/${NAME_40}/`);
  if (asRoot) {
    const entry = spawnSync("getent", ["passwd", account], { encoding: "utf8" });
    assert.equal(entry.status, 0, `the derived account ${account} was created`);
  }

  // through the proxy, with the user's API token: Jupyter's own API answers
  const status = await fetch(`http://127.0.0.1:7910/user/${NAME_40}/api/status`, {
    headers: { authorization: `token ${g.token(NAME_40)}` },
    redirect: "manual",
  });
  assert.equal(status.status, 200, await status.clone().text());
  assert.ok("started" in ((await status.json()) as object), "jupyter_server's /api/status");
  // another user's token does not reach it
  const other = await fetch(`http://127.0.0.1:7910/user/${NAME_40}/api/status`, {
    headers: { authorization: `token ${g.token(NAME_255)}` },
    redirect: "manual",
  });
  assert.equal(other.status, 403);
  await other.arrayBuffer();

  // JupyterHub's PATCH rename: refused while the server runs
  const busy = await g.api(ADMIN.name, `/hub/api/users/${NAME_40}`, { method: "PATCH", body: JSON.stringify({ name: "renamed.40" }) });
  assert.equal(busy.status, 409, await busy.clone().text());
  const stop = await g.api(NAME_40, `/hub/api/users/${NAME_40}/server`, { method: "DELETE" });
  assert.equal(stop.status, 204);
  const stopped = (await (await g.api(ADMIN.name, `/hub/api/users/${NAME_40}/server`)).json()) as ServerModel;
  assert.equal(stopped.stopped, true, "GET of a stopped default server: its model, stopped");
});

test("PATCH /hub/api/users/{name} renames (JupyterHub's rename); names past JupyterHub's limits, with '..' or not ours are refused", async () => {
  const taken = await g.api(ADMIN.name, `/hub/api/users/${NAME_40}`, { method: "PATCH", body: JSON.stringify({ name: NAME_255 }) });
  assert.equal(taken.status, 409);
  const renamed = await g.api(ADMIN.name, `/hub/api/users/${NAME_40}`, { method: "PATCH", body: JSON.stringify({ name: "Renamed.40" }) });
  assert.equal(renamed.status, 200, await renamed.clone().text());
  assert.equal(((await renamed.json()) as { name: string }).name, "renamed.40", "ASCII capitals lower-cased, as JupyterHub's default normalisation");
  assert.equal((await g.api(ADMIN.name, `/hub/api/users/${NAME_40}`)).status, 404);
  assert.equal((await g.api(ADMIN.name, "/hub/api/users/renamed.40")).status, 200);

  const refused: Array<[string, number]> = [
    ["x".repeat(256), 400],
    ["a..b", 400],
    ["-a", 400],
    ["_a", 400],
    [".a", 400],
    ["a%2Fb", 400],
    ["a%40b", 400],
    ["%C3%A4dmin", 400],
  ];
  for (const [segment, code] of refused) {
    const r = await g.api(ADMIN.name, `/hub/api/users/${segment}`, { method: "POST", body: "{}" });
    assert.equal(r.status, code, `${segment}: ${await r.text()}`);
  }
  for (const bad of ["x".repeat(256), "a..b", "..", "a/b"]) {
    const r = await g.api(ADMIN.name, "/hub/api/users/renamed.40", { method: "PATCH", body: JSON.stringify({ name: bad }) });
    assert.equal(r.status, 400, bad);
    await r.arrayBuffer();
  }
  // a server name past the limit or with '..' is refused before anything starts
  for (const server of ["x".repeat(256), "a..b", "proxy"]) {
    const r = await g.api(ADMIN.name, `/hub/api/users/renamed.40/servers/${server}`, { method: "POST", body: "{}" });
    assert.equal(r.status, 400, server);
    await r.arrayBuffer();
  }
  // GET of a server that has no record: JSON 404
  const none = await g.api(ADMIN.name, `/hub/api/users/renamed.40/servers/nope`);
  assert.equal(none.status, 404);
  assert.match(none.headers.get("content-type") ?? "", /application\/json/);
  await none.arrayBuffer();
  // a user may not read another user's server
  const foreign = await g.api(NAME_255, "/hub/api/users/renamed.40/server");
  assert.equal(foreign.status, 403);
  await foreign.arrayBuffer();
});

/** BinderHub's launcher.py unique_name_from_repo (its SUFFIX_LENGTH 8, lower-case letters and digits). */
function uniqueNameFromRepo(repoUrl: string, suffix: string): string {
  let prefix = new URL(repoUrl).pathname
    .replace(/^\/+|\/+$/g, "")
    .replaceAll("/", "-")
    .toLowerCase();
  if (prefix.endsWith(".git")) prefix = prefix.slice(0, -4);
  if (prefix.length > 32) prefix = `${prefix.slice(0, 15)}-${prefix.slice(-15)}`;
  return `${prefix}-${suffix}`;
}

test("BinderHub's launcher calls (stand-in; BinderHub is not packaged): its generated names, a default and a named server", async () => {
  const launches = [
    { repo: "https://github.com/2i2c-org/2i2c-org.github.io.git", suffix: "k3x9p2a7", server: "" },
    { repo: "https://github.com/binder-examples/requirements-and-a-long-repository-name", suffix: "0a1b2c3d", server: "binder.v1" },
  ];
  for (const { repo, suffix, server } of launches) {
    const username = uniqueNameFromRepo(repo, suffix);
    expectedAccount(username);
    // 1. create the user (empty body), 2. a token for it, 3. start the server with the image's options
    const created = await g.api(ADMIN.name, `/hub/api/users/${username}`, { method: "POST", body: "" });
    assert.equal(created.status, 201, `${username}: ${await created.clone().text()}`);
    const tok = await g.api(ADMIN.name, `/hub/api/users/${username}/tokens`, { method: "POST", body: JSON.stringify({ note: "BinderHub", expires_in: 3600 }) });
    assert.equal(tok.status, 201, await tok.clone().text());
    const token = ((await tok.json()) as { token: string }).token;
    const spawn = await fetch(`${g.hubUrl}/hub/api/users/${username}/servers/${server}`, {
      method: "POST",
      headers: { authorization: `token ${g.token(ADMIN.name)}`, "content-type": "application/json" },
      body: JSON.stringify({}),
    });
    assert.ok([201, 202].includes(spawn.status), `${username}/${server}: ${spawn.status} ${await spawn.clone().text()}`);
    await spawn.arrayBuffer();
    // 4. the launcher polls the user model until the server is ready
    const end = Date.now() + 120_000;
    for (;;) {
      const u = (await (await g.api(ADMIN.name, `/hub/api/users/${username}`)).json()) as { servers: Record<string, ServerModel> };
      if (u.servers[server]?.ready) break;
      if (u.servers[server]?.state === "failed") throw new Error(`spawn failed: ${u.servers[server].message}`);
      if (Date.now() > end) throw new Error(`${username}/${server} did not become ready`);
      await new Promise((r) => setTimeout(r, 250));
    }
    // 5. the user is sent to <hub>/user/<name>/<server>/?token=…: the server answers through the proxy
    const url = `http://127.0.0.1:7910/user/${username}/${server ? `${server}/` : ""}api/status`;
    const r = await fetch(url, { headers: { authorization: `token ${token}` }, redirect: "manual" });
    assert.equal(r.status, 200, `${url}: ${await r.clone().text()}`);
    await r.arrayBuffer();
    const del = await g.api(ADMIN.name, `/hub/api/users/${username}/${server ? `servers/${server}` : "server"}`, { method: "DELETE" });
    assert.equal(del.status, 204);
  }
  assert.equal(uniqueNameFromRepo(launches[1].repo, "0a1b2c3d").length, 40);
});
