// The shipped systemd units started by a real systemd: systemd 252 boots as PID 1 of a private
// PID and mount namespace (as in a container), with the units copied unchanged into its /run,
// this checkout bind-mounted at /opt/gyre and a config in /etc/gyre, exactly as docs/hpc.md
// installs them. Hub and proxy are started, stopped and restarted separately; the hardening is
// read back from the running processes. The network namespace is the host's, so the test talks
// to the proxy on loopback. Needs root, the built checkout (scripts/install-deps.sh builds it)
// and the `gyre` account, which the test creates as the guide says if it is missing.
import assert from "node:assert/strict";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { execa, type ResultPromise } from "execa";

const ROOT = resolve(import.meta.dirname, "../..");
const PORTS = { proxy: 7981, api: 7982, hub: 7983 };
const BASE = `http://127.0.0.1:${PORTS.proxy}`;
const UNITS = ["gyre-hub.service", "gyre-proxy.service"] as const;
type Unit = (typeof UNITS)[number];

let work = "";
const CANARY = join(tmpdir(), `gyre-systemd-canary-${process.pid}`);
let boot: ResultPromise | undefined;
let initPid = 0;
const createdDirs: string[] = [];

/** Runs `cmd` inside the booted namespace (systemctl talks to that systemd, not the host's). */
async function inside(cmd: string, args: string[]) {
  return execa("nsenter", ["-t", String(initPid), "-m", "-p", cmd, ...args], { reject: false, timeout: 60_000 });
}
async function systemctl(...args: string[]) {
  const r = await inside("systemctl", ["--no-pager", ...args]);
  return r;
}
async function show(unit: Unit, prop: string): Promise<string> {
  return (await systemctl("show", "-p", prop, "--value", unit)).stdout.trim();
}
/** The host's pid of a unit's main process (nsenter -p shows namespace pids, /proc here the host's). */
async function hostPid(unit: Unit): Promise<number> {
  const nsPid = Number(await show(unit, "MainPID"));
  if (!nsPid) return 0;
  // NSpid in /proc/<host pid>/status lists the pid in each namespace; find the host pid whose last NSpid is nsPid
  const r = await execa("pgrep", ["-u", "gyre"], { reject: false });
  for (const p of r.stdout.split("\n").filter(Boolean)) {
    const status = readFileSync(`/proc/${p}/status`, "utf8");
    const ns = /^NSpid:\s+(.*)$/m.exec(status)?.[1].trim().split(/\s+/) ?? [];
    if (ns.length > 1 && Number(ns.at(-1)) === nsPid) return Number(p);
  }
  return 0;
}
/** Whether `path` is on a read-only mount for process `pid` (the longest mount point that holds it). */
function readOnlyFor(pid: number, path: string): boolean {
  const mounts = readFileSync(`/proc/${pid}/mountinfo`, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => line.split(" "))
    .map((f) => ({ point: f[4], options: f[5].split(",") }));
  const holding = mounts.filter((m) => path === m.point || path.startsWith(m.point === "/" ? "/" : `${m.point}/`));
  const mount = holding.sort((a, b) => b.point.length - a.point.length)[0];
  return mount.options.includes("ro");
}
async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
async function status(path: string): Promise<number | undefined> {
  const res = await fetch(`${BASE}${path}`, { redirect: "manual", signal: AbortSignal.timeout(5000) }).catch(() => undefined);
  return res?.status;
}
// GET /hub/api answers without a token: the hub is up and the proxy routes /hub/ to it
const healthy = () => waitFor("GET /hub/api through the proxy", async () => ((await status("/hub/api")) === 200 ? true : undefined));

before(async () => {
  assert.equal(process.getuid?.(), 0, "needs root (it boots systemd in a namespace)");
  assert.ok(
    existsSync(join(ROOT, ".next/BUILD_ID")) && existsSync(join(ROOT, "dist/proxy/main.mjs")) && existsSync(join(ROOT, "dist/hub/server.mjs")),
    "needs the built checkout (npm run build)",
  );
  if ((await execa("id", ["gyre"], { reject: false })).exitCode !== 0)
    await execa("useradd", ["--system", "--home-dir", "/var/lib/gyre", "--shell", "/usr/sbin/nologin", "gyre"]);
  // Mount points the namespace binds over; made as docs/hpc.md makes them, removed after if new.
  for (const dir of ["/etc/gyre", "/var/lib/gyre"])
    if (!existsSync(dir)) {
      mkdirSync(dir, { recursive: true });
      createdDirs.push(dir);
    }

  work = mkdtempSync(join(tmpdir(), "gyre-systemd-"));
  chmodSync(work, 0o755);
  const etc = join(work, "etc-gyre");
  mkdirSync(etc);
  writeFileSync(join(etc, "hub-secret"), "s".repeat(48));
  writeFileSync(join(etc, "proxy-token"), "p".repeat(48));
  writeFileSync(
    join(etc, "gyre.config.yaml"),
    [
      "hub:",
      `  port: ${PORTS.hub}`,
      "  dataDir: /var/lib/gyre",
      "  secretKeyFile: /etc/gyre/hub-secret",
      "proxy:",
      `  port: ${PORTS.proxy}`,
      `  apiPort: ${PORTS.api}`,
      "  authTokenFile: /etc/gyre/proxy-token",
      "",
    ].join("\n"),
  );
  // install -d -o root -g gyre -m 750 /etc/gyre, files readable by the group only
  await execa("chown", ["-R", "root:gyre", etc]);
  chmodSync(etc, 0o750);
  for (const f of ["hub-secret", "proxy-token", "gyre.config.yaml"]) chmodSync(join(etc, f), 0o640);

  const units = join(work, "units");
  mkdirSync(units);
  for (const u of UNITS) copyFileSync(join(ROOT, "deploy/systemd", u), join(units, u));
  // systemd reads units from this directory only (SYSTEMD_UNIT_PATH): the targets and the slice
  // the units' default dependencies name are empty stand-ins, so nothing of the host's boot
  // (systemd-tmpfiles --remove would empty the host's /tmp, systemd-sysctl would set its kernel's
  // values) runs in the namespace, which shares the host's file systems and kernel.
  for (const t of ["gyre-boot-test", "sysinit", "basic", "shutdown", "network", "network-online", "multi-user"])
    writeFileSync(join(units, `${t}.target`), `[Unit]\nDescription=stand-in ${t}.target\n`);
  writeFileSync(join(units, "system.slice"), "[Unit]\nDescription=stand-in system.slice\n");
  writeFileSync(CANARY, "the host's /tmp must outlive the test\n");

  const script = join(work, "boot.sh");
  writeFileSync(
    script,
    [
      "set -eu",
      "mount --make-rprivate /",
      "mount -t tmpfs tmpfs /run",
      "mkdir /run/gyre-units",
      `cp ${units}/* /run/gyre-units/`,
      "mount -t tmpfs tmpfs /opt",
      "mkdir /opt/gyre",
      `mount --bind ${ROOT} /opt/gyre`,
      `mount --bind ${etc} /etc/gyre`,
      "mount -t tmpfs -o mode=0755 tmpfs /var/lib/gyre",
      // last, as the paths above may be under /tmp: the namespace gets its own /tmp and /var/tmp
      "mount -t tmpfs -o mode=1777 tmpfs /tmp",
      "mount -t tmpfs -o mode=1777 tmpfs /var/tmp",
      "exec env container=gyre-test SYSTEMD_UNIT_PATH=/run/gyre-units /lib/systemd/systemd --system --unit=gyre-boot-test.target --log-target=console",
      "",
    ].join("\n"),
  );
  boot = execa("unshare", ["--pid", "--fork", "--mount", "--mount-proc", "bash", script], { reject: false, all: true, buffer: true });
  initPid = await waitFor("systemd as the namespace's PID 1", async () => {
    const r = await execa("pgrep", ["-P", String(boot!.pid)], { reject: false });
    const pid = Number(r.stdout.trim().split("\n")[0]);
    if (!pid || readFileSync(`/proc/${pid}/comm`, "utf8").trim() !== "systemd") return undefined;
    return (await execa("nsenter", ["-t", String(pid), "-m", "-p", "systemctl", "is-system-running"], { reject: false })).stdout.trim() === "running"
      ? pid
      : undefined;
  });
});

after(async () => {
  if (initPid) await execa("kill", ["-KILL", String(initPid)], { reject: false });
  await boot?.catch(() => undefined);
  // the namespace's processes die with its PID 1; nothing of the gyre account may be left
  await waitFor(
    "no process of the gyre account",
    async () => ((await execa("pgrep", ["-u", "gyre"], { reject: false })).exitCode === 1 ? true : undefined),
    10_000,
  ).catch(() => execa("pkill", ["-KILL", "-u", "gyre"], { reject: false }));
  for (const dir of createdDirs) rmSync(dir, { recursive: true, force: true });
  const hostTmpIntact = existsSync(CANARY);
  rmSync(CANARY, { force: true });
  assert.ok(hostTmpIntact, "the booted systemd left the host's /tmp alone");
  if (work) rmSync(work, { recursive: true, force: true });
});

test("both units start under systemd as the gyre account; the hub answers through the proxy; the data directory is private", async () => {
  const r = await systemctl("start", ...UNITS);
  assert.equal(r.exitCode, 0, r.stderr);
  await healthy();
  for (const u of UNITS) {
    assert.equal(await show(u, "ActiveState"), "active", u);
    const pid = await hostPid(u);
    assert.ok(pid, `${u}: main process found`);
    const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1];
    assert.equal(uid, (await execa("id", ["-u", "gyre"])).stdout.trim(), `${u} runs as gyre`);
  }
  assert.equal(await status("/hub/login"), 200);
  const dataDir = (await inside("stat", ["-c", "%U %a", "/var/lib/gyre"])).stdout.trim();
  assert.equal(dataDir, "gyre 700", "StateDirectory=gyre, StateDirectoryMode=0700");
  assert.ok(
    (await inside("ls", ["/var/lib/gyre"])).stdout.split("\n").some((f) => f.endsWith(".db")),
    "the SQLite database is in the state directory",
  );
});

test("the proxy runs with no privileges: no new privileges, no capabilities, read-only system, private /tmp", async () => {
  const pid = await hostPid("gyre-proxy.service");
  const st = readFileSync(`/proc/${pid}/status`, "utf8");
  assert.match(st, /^NoNewPrivs:\s+1$/m);
  assert.match(st, /^CapBnd:\s+0+$/m);
  assert.match(st, /^Seccomp:\s+2$/m, "SystemCallFilter is in force");
  assert.ok(readOnlyFor(pid, "/usr/bin") && readOnlyFor(pid, "/var/lib"), "ProtectSystem=strict: the whole system read-only");
  assert.ok(readOnlyFor(pid, "/home"), "ProtectHome");
  assert.ok(!readOnlyFor(pid, "/tmp"), "PrivateTmp: its own writable /tmp");
  // the hub keeps what sudo and the local spawner need, but not a writable /usr or /etc
  const hubPid = await hostPid("gyre-hub.service");
  assert.match(readFileSync(`/proc/${hubPid}/status`, "utf8"), /^NoNewPrivs:\s+0$/m, "sudo must keep working for the batch spawner");
  assert.ok(readOnlyFor(hubPid, "/usr/bin") && readOnlyFor(hubPid, "/etc"), "ProtectSystem=full");
  assert.ok(!readOnlyFor(hubPid, "/var/lib/gyre"), "its state directory stays writable");
});

test("restarting the hub alone leaves the proxy running, and the hub answers again through it", async () => {
  const proxyBefore = await hostPid("gyre-proxy.service");
  const hubBefore = await hostPid("gyre-hub.service");
  const r = await systemctl("restart", "gyre-hub.service");
  assert.equal(r.exitCode, 0, r.stderr);
  await healthy();
  assert.equal(await hostPid("gyre-proxy.service"), proxyBefore, "the proxy was not restarted");
  assert.notEqual(await hostPid("gyre-hub.service"), hubBefore, "the hub is a new process");
});

test("stopping the hub alone: the proxy stays up and says the hub is away; starting it brings the hub back", async () => {
  const proxyBefore = await hostPid("gyre-proxy.service");
  assert.equal((await systemctl("stop", "gyre-hub.service")).exitCode, 0);
  assert.equal(await show("gyre-hub.service", "ActiveState"), "inactive");
  const away = await status("/hub/login");
  assert.ok(away !== undefined && away >= 500, `the proxy answers (${away}) while the hub is stopped`);
  assert.equal(await hostPid("gyre-proxy.service"), proxyBefore);
  assert.equal((await systemctl("start", "gyre-hub.service")).exitCode, 0);
  await healthy();
});

test("restarting the proxy alone leaves the hub running; the new proxy loads the route table before it serves", async () => {
  const hubBefore = await hostPid("gyre-hub.service");
  const proxyBefore = await hostPid("gyre-proxy.service");
  assert.equal((await systemctl("restart", "gyre-proxy.service")).exitCode, 0);
  await healthy();
  assert.equal(await hostPid("gyre-hub.service"), hubBefore, "the hub was not restarted");
  assert.notEqual(await hostPid("gyre-proxy.service"), proxyBefore);
});

test("a hub killed with SIGKILL is restarted by systemd (Restart=on-failure)", async () => {
  const before = await hostPid("gyre-hub.service");
  process.kill(before, "SIGKILL");
  const after = await waitFor("a new hub process", async () => {
    const p = await hostPid("gyre-hub.service");
    return p && p !== before ? p : undefined;
  });
  assert.ok(after);
  await healthy();
  assert.ok(Number(await show("gyre-hub.service", "NRestarts")) >= 1);
});

test("stopping both leaves nothing of the gyre account running", async () => {
  assert.equal((await systemctl("stop", ...UNITS)).exitCode, 0);
  for (const u of UNITS) assert.equal(await show(u, "ActiveState"), "inactive", u);
  await waitFor(
    "no process of the gyre account",
    async () => ((await execa("pgrep", ["-u", "gyre"], { reject: false })).exitCode === 1 ? true : undefined),
    15_000,
  );
  assert.equal(await status("/hub/api"), undefined, "nothing listens on the proxy's port");
  assert.ok(existsSync(CANARY), "the host's /tmp is untouched");
});
