// Gyre's server extension as a Kubernetes pod gets it, run for real on this host: the extension's
// ConfigMap (buildExtensionConfigMap, the repository's files) laid out as a kubelet lays out the
// pod's volume (each item's key → its path, which puts the files into gyre_agent/, mode 0444, owned
// by root), then the pod's exact argv — the /bin/sh wrapper, the command, Gyre's flags — with the
// mount path, port and home mapped to local ones (no container here), as the pod's non-root uid.
// Debian's `jupyter server` (jupyter_server 1.23) loads the extension and its dashboard relay
// answers; Debian's jupyterhub-singleuser (JupyterHub 3.0) loads it with the busy-kernel rule.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { V1Pod } from "@kubernetes/client-node";
import { EXTENSION_FILES, loadExtensionFiles } from "../agent/agent-bundle";
import { kubernetesSpawnerConfigSchema } from "./config";
import { EXTENSION_MOUNT_PATH, EXTENSION_VOLUME_NAME, buildExtensionConfigMap } from "./extension-manifests";
import { buildPodManifest } from "./manifests";

const POD_UID = 1000;
const POD_GID = 100;
const asRoot = process.getuid?.() === 0;
const work = mkdtempSync(join(tmpdir(), "gyre-ext-layout-"));
// the pod's uid must traverse it (mkdtemp makes 0700 directories)
chmodSync(work, 0o755);
const children: ChildProcess[] = [];
/** set by after(): the children's late output is no longer written to `work` */
let tornDown = false;
let files: Record<string, string>;

function freePort(): Promise<number> {
  return new Promise((r) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => r(p));
    });
  });
}

/** argv as the pod's uid (when the test runs as root, as a kubelet would start the container). */
function asPodUser(argv: string[]): string[] {
  return asRoot ? ["/usr/bin/setpriv", `--reuid=${POD_UID}`, `--regid=${POD_GID}`, "--clear-groups", "--", ...argv] : argv;
}

function start(argv: string[], env: Record<string, string>, cwd: string, log: string): ChildProcess {
  const full = asPodUser(argv);
  const child = spawn(full[0], full.slice(1), { env: env as unknown as NodeJS.ProcessEnv, cwd, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const out: Buffer[] = [];
  const write = (b: Buffer) => {
    // output still in the pipe when after() killed the children and removed `work` arrives later
    if (tornDown) return;
    out.push(b);
    writeFileSync(log, Buffer.concat(out));
  };
  child.stdout.on("data", write);
  child.stderr.on("data", write);
  children.push(child);
  return child;
}

async function waitForLog(log: string, pattern: RegExp, child: ChildProcess): Promise<string> {
  for (const end = Date.now() + 60_000; ; await new Promise((r) => setTimeout(r, 200))) {
    let text = "";
    try {
      text = readFileSync(log, "utf8");
    } catch {
      /* not written yet */
    }
    if (pattern.test(text)) return text;
    if (child.exitCode !== null || Date.now() > end) throw new Error(`no ${pattern} in the server's log (exit ${child.exitCode}):\n${text.slice(-4000)}`);
  }
}

/** The pod for `command`, its ConfigMap laid out under a fresh directory as a kubelet would, and that directory. */
function podAndMount(name: string, command: string[]): { pod: V1Pod; mountDir: string; home: string } {
  const dir = join(work, name);
  const home = join(dir, "home");
  mkdirSync(home, { recursive: true });
  if (asRoot) chownSync(home, POD_UID, POD_GID);
  chmodSync(dir, 0o755);
  const ref = { userName: "alice", serverName: "", namespace: "gyre-users" };
  const configMap = buildExtensionConfigMap({ ...ref, spawnId: "sp-1", files });
  const pod = buildPodManifest({
    ...ref,
    baseUrl: "/user/alice/",
    spawnId: "sp-1",
    settings: kubernetesSpawnerConfigSchema.parse({ command }),
    profileName: null,
    env: {},
    extension: { configMapName: configMap.metadata!.name!, fileNames: Object.keys(configMap.data!) },
  });
  const volume = pod.spec!.volumes!.find((v) => v.name === EXTENSION_VOLUME_NAME)!.configMap!;
  assert.equal(volume.name, configMap.metadata!.name);
  const mountDir = join(dir, "mount");
  for (const item of volume.items!) {
    const file = join(mountDir, item.path);
    mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
    writeFileSync(file, configMap.data![item.key], { mode: volume.defaultMode });
  }
  return { pod, mountDir, home };
}

/** The container's argv and environment with the mount path, port, address and home mapped to this host. */
function localRun(pod: V1Pod, mountDir: string, home: string, port: number): { argv: string[]; env: Record<string, string> } {
  const c = pod.spec!.containers[0];
  const argv = [
    ...c.command!.map((a) => (a === EXTENSION_MOUNT_PATH ? mountDir : a)),
    ...c.args!.map((a) =>
      a.startsWith("--ServerApp.port=")
        ? `--ServerApp.port=${port}`
        : a.startsWith("--ServerApp.ip=")
          ? "--ServerApp.ip=127.0.0.1"
          : a.startsWith("--ServerApp.root_dir=")
            ? `--ServerApp.root_dir=${home}`
            : a,
    ),
  ];
  const env: Record<string, string> = { PATH: "/usr/local/bin:/usr/bin:/bin", LANG: "C.UTF-8", HOME: home, JUPYTER_RUNTIME_DIR: join(home, ".runtime") };
  for (const e of c.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
  return { argv, env };
}

before(async () => {
  files = await loadExtensionFiles();
});

after(() => {
  tornDown = true;
  for (const c of children) {
    try {
      process.kill(-c.pid!, "SIGKILL");
    } catch {
      /* gone */
    }
  }
  rmSync(work, { recursive: true, force: true });
});

test("the laid-out volume is the package gyre_agent with exactly the extension's files, read-only to the pod's uid", () => {
  const { mountDir } = podAndMount("files", ["/usr/bin/jupyter", "server"]);
  const pkg = join(mountDir, "gyre_agent");
  for (const f of EXTENSION_FILES) assert.equal(readFileSync(join(pkg, f), "utf8"), files[f]);
  // nothing else on this host provides the package: what the servers below load is these files
  assert.notEqual(
    spawnSync("/usr/bin/python3", ["-c", "import gyre_agent"], { cwd: "/", env: { PATH: "/usr/bin:/bin" } as unknown as NodeJS.ProcessEnv, stdio: "ignore" })
      .status,
    0,
  );
  if (asRoot) {
    // the pod's uid can read but not change the files (a kubelet also mounts the volume read-only)
    const r = spawnSyncAs(["/bin/sh", "-c", `cat ${pkg}/jupyter_ext.py >/dev/null && echo x >> ${pkg}/jupyter_ext.py`]);
    assert.notEqual(r, 0);
  }
});

function spawnSyncAs(argv: string[]): number | null {
  const full = asPodUser(argv);
  return spawnSync(full[0], full.slice(1), { stdio: "ignore" }).status;
}

test("jupyter server with the pod's argv: the extension loads from the mounted files and its dashboard relay answers with the server's token (and refuses without)", async () => {
  const { pod, mountDir, home } = podAndMount("server", ["/usr/bin/jupyter", "server"]);
  const [port, dashPort] = [await freePort(), await freePort()];
  const { argv, env } = localRun(pod, mountDir, home, port);
  assert.deepEqual(argv.slice(0, 7), ["/bin/sh", "-c", pod.spec!.containers[0].command![2], "gyre-extension", mountDir, "/usr/bin/jupyter", "server"]);
  assert.ok(argv.includes("--ServerApp.jpserver_extensions=gyre_agent.jupyter_ext=True"));
  // a dashboard of the pod's own uid (the relay only reaches sockets of the server's account)
  const site = join(home, "site");
  mkdirSync(site);
  writeFileSync(join(site, "status.html"), "dask dashboard here\n");
  if (asRoot) chownSync(site, POD_UID, POD_GID);
  const dash = start(
    ["/usr/bin/python3", "-u", "-m", "http.server", String(dashPort), "--bind", "127.0.0.1", "--directory", site],
    { PATH: "/usr/bin:/bin" },
    site,
    join(work, "dash.log"),
  );
  const token = "layout-test-token";
  const log = join(work, "server.log");
  const server = start(argv, { ...env, JUPYTER_TOKEN: token, GYRE_DASHBOARD_PORTS: String(dashPort) }, home, log);
  // jupyter_server's own word that it loaded the module from the mounted files, then the extension's
  const text = await waitForLog(log, /gyre_agent\.jupyter_ext \| extension was successfully loaded/, server);
  assert.match(text, /gyre: dashboard relay at \/user\/alice\/proxy\/<port>\//);
  await waitForLog(log, /Jupyter Server .* is running at/, server);
  await waitForLog(join(work, "dash.log"), /Serving HTTP/, dash);
  const url = `http://127.0.0.1:${port}/user/alice/proxy/${dashPort}/status.html`;
  const ok = await fetch(url, { headers: { Authorization: `token ${token}` } });
  assert.equal(ok.status, 200);
  assert.equal(await ok.text(), "dask dashboard here\n");
  const anonymous = await fetch(url, { redirect: "manual" });
  assert.ok([302, 403].includes(anonymous.status), `without the token: ${anonymous.status}`);
  await anonymous.arrayBuffer();
});

test("jupyterhub-singleuser with the pod's argv: the extension loads from the mounted files and lends the busy-kernel rule to its activity reports", async () => {
  const { pod, mountDir, home } = podAndMount("singleuser", ["jupyterhub-singleuser"]);
  const port = await freePort();
  const { argv, env } = localRun(pod, mountDir, home, port);
  assert.deepEqual(argv.slice(4, 6), [mountDir, "jupyterhub-singleuser"]);
  assert.ok(argv.includes("--ServerApp.jpserver_extensions=gyre_agent.jupyter_ext=True"));
  const log = join(work, "singleuser.log");
  // the hub's environment of a server (no hub answers here: the server logs its version check as failed and runs on)
  const server = start(
    argv,
    {
      ...env,
      JUPYTERHUB_API_TOKEN: "layout-test-api-token",
      JUPYTERHUB_API_URL: "http://127.0.0.1:9/hub/api",
      JUPYTERHUB_BASE_URL: "/",
      JUPYTERHUB_CLIENT_ID: "jupyterhub-user-alice",
      JUPYTERHUB_OAUTH_CALLBACK_URL: "/user/alice/oauth_callback",
      JUPYTERHUB_SERVICE_PREFIX: "/user/alice/",
      JUPYTERHUB_USER: "alice",
      JUPYTERHUB_SERVER_NAME: "",
    },
    home,
    log,
  );
  const text = await waitForLog(log, /gyre_agent\.jupyter_ext \| extension was successfully loaded/, server);
  assert.match(text, /gyre: dashboard relay at \/user\/alice\/proxy\/<port>\//);
  assert.match(text, /gyre: jupyterhub-singleuser reports activity; a busy kernel counts as activity now/);
});
