// The image scripts/build-image.sh builds, run as shipped: the hub (its default command) and the
// proxy (the chart's proxy.command) start from it under Debian's buildah (`buildah run`, chroot
// isolation: the host's network, no Docker engine), as the image's non-root user, on SQLite. The
// hub answers its version API and the login page, the proxy forwards to it, and both refuse what
// they must (the route API without its token, a login with a wrong password). Needs root and the
// image: `bash scripts/build-image.sh` (CI builds it before the integration suite); fails, never
// skips, without it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import { parse } from "yaml";
import { PROXY_NODE_FLAGS } from "@/proxy/node-flags";
import { HUB_ENV, HUB_NODE_FLAGS } from "@/app/node-flags";
import { HUB_BUNDLE } from "@/app/hub-command";

const ROOT = resolve(import.meta.dirname, "../..");
const values = parse(readFileSync(join(ROOT, "charts/gyre/values.yaml"), "utf8")) as {
  image: { repository: string };
  proxy: { command: string[] };
  hub: { command: string[] };
};
const chart = parse(readFileSync(join(ROOT, "charts/gyre/Chart.yaml"), "utf8")) as { appVersion: string };
const IMAGE = `${values.image.repository}:${chart.appVersion}`;
const BUILDAH_ENV = { ...process.env, BUILDAH_ISOLATION: "chroot" };
/** Where scripts/build-image.sh stores images (Debian's buildah 1.28 reads the driver from this flag, not from $STORAGE_DRIVER). */
const STORAGE = ["--storage-driver", "vfs"];

let container = "";
const children: ChildProcess[] = [];
const configDir = mkdtempSync(join(tmpdir(), "gyre-image-test-"));

function buildah(args: string[]): string {
  const r = spawnSync("buildah", [...STORAGE, ...args], { env: BUILDAH_ENV, encoding: "utf8" });
  assert.equal(r.status, 0, `buildah ${args.join(" ")}: ${r.stderr}`);
  return r.stdout.trim();
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** `buildah run` in the test's container, in its own process group so that the whole tree can be stopped. */
function runInImage(env: Record<string, string>, command: string[]): { child: ChildProcess; output: () => string } {
  const envArgs = Object.entries(env).flatMap(([k, v]) => ["--env", `${k}=${v}`]);
  const child = spawn(
    "buildah",
    [...STORAGE, "run", "--isolation", "chroot", "--volume", `${configDir}:/etc/gyre/config:ro`, ...envArgs, container, "--", ...command],
    {
      env: BUILDAH_ENV,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  children.push(child);
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  return { child, output: () => output };
}

async function waitFor(url: string, run: { child: ChildProcess; output: () => string }, seconds: number): Promise<Response> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    if (run.child.exitCode !== null) assert.fail(`exited with ${run.child.exitCode}:\n${run.output()}`);
    try {
      return await fetch(url, { redirect: "manual" });
    } catch {
      if (Date.now() > deadline) assert.fail(`${url} did not answer within ${seconds} s:\n${run.output()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

before(() => {
  assert.equal(process.getuid?.(), 0, "buildah (vfs, chroot isolation) needs root here");
  const r = spawnSync("buildah", [...STORAGE, "inspect", "--type", "image", IMAGE], { env: BUILDAH_ENV, encoding: "utf8" });
  assert.equal(r.status, 0, `image ${IMAGE} not found: run \`bash scripts/build-image.sh\` first (${r.stderr.trim()})`);
  container = buildah(["from", "--pull-never", "--name", `gyre-image-test-${randomBytes(3).toString("hex")}`, IMAGE]);
});

after(() => {
  for (const c of children) if (c.exitCode === null && c.pid) process.kill(-c.pid, "SIGKILL");
  if (container) spawnSync("buildah", [...STORAGE, "rm", container], { env: BUILDAH_ENV });
  rmSync(configDir, { recursive: true, force: true });
});

test("the image's name and tag are the chart's; its user is not root", () => {
  const buildScript = readFileSync(join(ROOT, "scripts/build-image.sh"), "utf8");
  assert.match(buildScript, new RegExp(`^REPOSITORY=${values.image.repository.replace(/\./g, "\\.")}$`, "m"));
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
  assert.equal(chart.appVersion, pkg.version, "Chart.yaml appVersion = package.json version = the image tag");
  const image = JSON.parse(buildah(["inspect", "--type", "image", IMAGE])) as { OCIv1: { config: { User: string; Cmd: string[]; Env: string[] } } };
  const config = image.OCIv1.config;
  assert.equal(config.User, "1000:1000");
  assert.deepEqual(config.Cmd, values.hub.command, "the image's default command is the chart's hub.command");
  assert.deepEqual(values.hub.command, ["node", ...HUB_NODE_FLAGS, HUB_BUNDLE], "the chart's hub command is the bundle under its node flags");
  for (const [k, v] of Object.entries(HUB_ENV)) assert.ok(config.Env.includes(`${k}=${v}`), `the image sets ${k}`);
  assert.equal(buildah(["run", "--isolation", "chroot", container, "--", "id", "-u"]), "1000");
  assert.match(buildah(["run", "--isolation", "chroot", container, "--", "node", "-v"]), /^v20\./);
  // optional peers npm prune keeps, nothing at run time loads (deploy/image/prune-modules.ts)
  const devTools = ["typescript", "prisma", "effect", "@playwright/test", "playwright", "playwright-core"];
  const found = buildah([
    "run",
    "--isolation",
    "chroot",
    container,
    "--",
    "node",
    "-e",
    `for (const p of ${JSON.stringify(devTools)}) if (require("node:fs").existsSync("node_modules/" + p)) console.log(p);`,
  ]);
  assert.equal(found, "", "development tools in the image");
});

test("hub and proxy run from the image on SQLite: health, login page, proxied hub; refusals", { timeout: 240_000 }, async () => {
  const [hubPort, proxyPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const authToken = randomBytes(24).toString("hex");
  writeFileSync(join(configDir, "gyre.config.yaml"), "hub:\n  dataDir: /srv/gyre/data\nspawner:\n  kind: kubernetes\n", { mode: 0o644 });
  chmodSync(configDir, 0o755); // the image's user (1000) reads it; dataDir as the chart sets it
  const env = {
    GYRE_CONFIG: "/etc/gyre/config/gyre.config.yaml",
    GYRE_HUB__PORT: String(hubPort),
    GYRE_HUB__SECRET_KEY: randomBytes(32).toString("hex"),
    GYRE_HUB__LOG_LEVEL: "warn",
    GYRE_PROXY__AUTH_TOKEN: authToken,
    GYRE_PROXY__PORT: String(proxyPort),
    GYRE_PROXY__API_PORT: String(apiPort),
    GYRE_PROXY__HUB_URL: `http://127.0.0.1:${hubPort}`,
  };
  const t0 = Date.now();
  const hub = runInImage(env, values.hub.command);
  const version = await waitFor(`http://127.0.0.1:${hubPort}/hub/api`, hub, 180);
  assert.equal(version.status, 200);
  assert.ok(((await version.json()) as { version?: string }).version);
  console.log(`[image] hub answered ${((Date.now() - t0) / 1000).toFixed(1)} s after buildah run`);
  const login = await fetch(`http://127.0.0.1:${hubPort}/hub/login`);
  assert.equal(login.status, 200);
  assert.match(await login.text(), /<form[^>]*>[\s\S]*password/i);

  assert.deepEqual(values.proxy.command.slice(1, -1), PROXY_NODE_FLAGS, "the chart's proxy command is the bundle under its node flags");
  const proxy = runInImage(env, values.proxy.command);
  const health = await waitFor(`http://127.0.0.1:${apiPort}/health`, proxy, 60);
  assert.equal(health.status, 200);
  const viaProxy = await waitFor(`http://127.0.0.1:${proxyPort}/hub/login`, proxy, 30);
  assert.equal(viaProxy.status, 200);

  // refusals: the route API without its token, a login with a wrong password
  assert.equal((await fetch(`http://127.0.0.1:${apiPort}/api/routes`)).status, 403);
  assert.equal((await fetch(`http://127.0.0.1:${apiPort}/api/routes`, { headers: { authorization: `token ${authToken}` } })).status, 200);
  const wrong = await fetch(`http://127.0.0.1:${proxyPort}/hub/login`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: `http://127.0.0.1:${proxyPort}` },
    body: "username=nobody&password=wrong-password-123",
  });
  assert.ok(wrong.status >= 400 || (wrong.headers.get("location") ?? "").includes("error"), `a wrong password is refused (${wrong.status})`);
});
