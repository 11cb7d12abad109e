// The hub's process launcher (main.ts) as the hub runs it: a child with an IPC channel. What it
// refuses (malformed messages, a root launcher's server left as root, removals outside the hub's
// runtime dirs), that no other account can reach it, and that what it starts and removes runs as
// the user's account. Needs root (it switches accounts); uses the throw-away account gyrelaunch1.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  lchownSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launcherCommand } from "./client";
import type { LauncherReply } from "./protocol";
import { testAccount } from "@/spawners/testing/os-account";
import { parseProcStat } from "../proc-stat";
import { signal, waitFor } from "../processes";

const SETPRIV = "/usr/bin/setpriv";
const ACCOUNT = "gyrelaunch1";
const isRoot = process.getuid?.() === 0;
const logDir = mkdtempSync(join(tmpdir(), "gyre-launcher-test-"));
const started: number[] = [];

let launcher: ChildProcess;
const replies: LauncherReply[] = [];

/** Sends `message` and resolves with the first reply from then on that `match` accepts. */
async function ask(message: unknown, match: (r: LauncherReply) => boolean): Promise<LauncherReply> {
  const seen = replies.length;
  launcher.send(message as object);
  return nextReply(match, seen);
}

/** The first reply from index `from` on that `match` accepts. */
async function nextReply(match: (r: LauncherReply) => boolean, from = 0): Promise<LauncherReply> {
  let found: LauncherReply | undefined;
  assert.ok(await waitFor(async () => !!(found = replies.slice(from).find(match)), 10_000, 20), "the awaited reply came");
  return found!;
}
const byId = (id: number | null) => (r: LauncherReply) => r.type !== "exit" && r.id === id;

before(() => {
  const { file, args } = launcherCommand();
  launcher = spawn(file, [...args, `--setpriv=${SETPRIV}`], { stdio: ["ignore", "inherit", "ignore", "ipc"] });
  launcher.on("message", (m: LauncherReply) => replies.push(m));
});

after(() => {
  launcher.disconnect();
  for (const pid of started) signal(-pid, "SIGKILL");
  rmSync(logDir, { recursive: true, force: true });
});

test("malformed messages are refused with the reason, and the launcher keeps serving", async () => {
  assert.deepEqual(await ask("run /bin/sh", byId(null)), { type: "refused", id: null, reason: "not an object" });
  assert.deepEqual(await ask({ type: "spawn", file: "/bin/true" }, byId(null)), { type: "refused", id: null, reason: "no request id" });
  assert.deepEqual(await ask({ type: "exec", id: 1 }, byId(1)), { type: "refused", id: 1, reason: 'unknown request type "exec"' });
  const r = await ask({ type: "spawn", id: 2, file: "/bin/sh", args: ["-c", "id"], env: {}, cwd: "relative", logFile: join(logDir, "x.log") }, byId(2));
  assert.equal(r.type, "refused");
  assert.equal(launcher.exitCode, null, "still running");
});

test(
  "as root it refuses a server that would run as root, and removals as root or outside the hub's runtime dirs",
  { skip: !isRoot && "needs root" },
  async () => {
    const log = join(logDir, "root.log");
    const asRoot = { type: "spawn", id: 10, file: "/bin/sleep", args: ["30"], env: { PATH: "/usr/bin:/bin" }, cwd: "/", logFile: log };
    const refused = await ask(asRoot, byId(10));
    assert.equal(refused.type, "refused");
    assert.match((refused as { reason: string }).reason, /only through setpriv as an account other than root/);
    const toRoot = { ...asRoot, id: 11, file: SETPRIV, args: ["--reuid=0", "--regid=0", "--init-groups", "--", "/bin/sleep", "30"] };
    assert.equal((await ask(toRoot, byId(11))).type, "refused");
    assert.ok(!existsSync(log) || readFileSync(log, "utf8") === "", "nothing ran");
    assert.equal((await ask({ type: "remove", id: 12, dir: "/tmp/gyre-rt-x-Ab12Cd", uid: 0, gid: 0 }, byId(12))).type, "refused");
    assert.equal((await ask({ type: "remove", id: 13, dir: "/etc", uid: 1000, gid: 1000 }, byId(13))).type, "refused");
  },
);

test(
  "no other account can send it anything: it listens on nothing, and its channel cannot be opened through /proc",
  { skip: !isRoot && "needs root" },
  async () => {
    const pid = launcher.pid!;
    const sockets = readdirSync(`/proc/${pid}/fd`)
      .map((fd) => readlinkSync(`/proc/${pid}/fd/${fd}`))
      .flatMap((l) => /^socket:\[(\d+)\]$/.exec(l)?.[1] ?? []);
    assert.ok(sockets.length >= 1, "the IPC channel is a socket");
    // no TCP/UDP socket at all, and every unix socket is unnamed (a socketpair, not a path or an abstract name)
    for (const table of ["tcp", "tcp6", "udp", "udp6"]) {
      const inodes = readFileSync(`/proc/net/${table}`, "utf8")
        .split("\n")
        .slice(1)
        .map((l) => l.trim().split(/\s+/)[9]);
      for (const s of sockets) assert.ok(!inodes.includes(s), `socket ${s} is not in /proc/net/${table}`);
    }
    const unix = readFileSync("/proc/net/unix", "utf8").split("\n").slice(1);
    for (const s of sockets) {
      const line = unix.find((l) => l.trim().split(/\s+/)[6] === s);
      assert.ok(line, `socket ${s} is a unix socket`);
      assert.equal(line.trim().split(/\s+/).length, 7, `socket ${s} has no name: ${line}`);
    }
    // another account cannot list or open the launcher's descriptors
    const account = testAccount(ACCOUNT);
    const probe = `import os, sys
fds = "/proc/${pid}/fd"
try:
    names = os.listdir(fds)
except PermissionError:
    names = None
print("list-refused" if names is None else "listed")
opened = 0
for fd in range(0, 64):
    try:
        os.close(os.open(f"{fds}/{fd}", os.O_WRONLY))
        opened += 1
    except OSError:
        pass
print(f"opened {opened}")`;
    const out = execFileSync(SETPRIV, [`--reuid=${account.uid}`, `--regid=${account.gid}`, "--init-groups", "--", "/usr/bin/python3", "-c", probe], {
      encoding: "utf8",
    });
    assert.deepEqual(out.trim().split("\n"), ["list-refused", "opened 0"]);
  },
);

test(
  "a server started through setpriv runs as the account in its own session with the log as output; its exit is reported",
  { skip: !isRoot && "needs root" },
  async () => {
    const account = testAccount(ACCOUNT);
    const log = join(logDir, "server.log");
    const request = {
      type: "spawn",
      id: 20,
      file: SETPRIV,
      args: [
        `--reuid=${account.uid}`,
        `--regid=${account.gid}`,
        "--init-groups",
        "--",
        "/bin/sh",
        "-c",
        'echo "up as $(id -u) in $PWD with $GYRE_SPAWN_ID"; exec sleep 60',
      ],
      env: { PATH: "/usr/bin:/bin", GYRE_SPAWN_ID: "launcher-test" },
      cwd: "/tmp",
      logFile: log,
    };
    const reply = await ask(request, byId(20));
    assert.equal(reply.type, "spawned", JSON.stringify(reply));
    const { pid, startTime } = reply as { pid: number; startTime: number };
    started.push(pid);
    const stat = parseProcStat(readFileSync(`/proc/${pid}/stat`, "utf8"))!;
    assert.equal(stat.startTime, startTime);
    assert.equal(stat.pgrp, pid, "detached: its own process group");
    assert.ok(await waitFor(async () => readFileSync(log, "utf8").includes("up as"), 5000, 20));
    // read once the command has written (setpriv switches after its exec: read before, it can still be root)
    assert.match(
      readFileSync(`/proc/${pid}/status`, "utf8"),
      new RegExp(`^Uid:\\s+${account.uid}\\s+${account.uid}\\s+${account.uid}\\s+${account.uid}$`, "m"),
    );
    assert.equal(readFileSync(log, "utf8").trim(), `up as ${account.uid} in /tmp with launcher-test`);
    process.kill(pid, "SIGTERM");
    assert.deepEqual(await nextReply((r) => r.type === "exit" && r.pid === pid), { type: "exit", pid, code: null, signal: "SIGTERM" });
    // a program that cannot be run
    const missing = await ask(
      { ...request, id: 22, args: [`--reuid=${account.uid}`, `--regid=${account.gid}`, "--init-groups", "--", "/nonexistent"] },
      byId(22),
    );
    assert.equal(missing.type, "spawned", "setpriv itself runs; it then fails to exec and exits");
    const exit = await nextReply((r) => r.type === "exit" && r.pid === (missing as { pid: number }).pid);
    assert.ok(exit.type === "exit" && exit.signal === null && (exit.code === 126 || exit.code === 127), JSON.stringify(exit));
    // the launcher's own refusal to run a program: a path that is not there (a non-root launcher runs it directly)
    const direct = await ask({ ...request, id: 24, file: "/nonexistent/jupyter", args: [] }, byId(24));
    assert.equal(direct.type, "refused", "as root, only setpriv");
  },
);

test("a runtime dir is removed with the account's rights: its own dir goes, a root-owned one inside it stays", { skip: !isRoot && "needs root" }, async () => {
  const account = testAccount(ACCOUNT);
  const dir = mkdtempSync(join(tmpdir(), "gyre-rt-launchertest-"));
  chownSync(dir, account.uid, account.gid);
  writeFileSync(join(dir, "kernel.json"), "{}");
  chownSync(join(dir, "kernel.json"), account.uid, account.gid);
  // links the user planted: to a directory where the user could delete (0777) and to a file of its own there
  const target = mkdtempSync(join(tmpdir(), "gyre-launcher-target-"));
  chmodSync(target, 0o777);
  writeFileSync(join(target, "keep"), "user's, outside the runtime dir");
  chownSync(join(target, "keep"), account.uid, account.gid);
  symlinkSync(target, join(dir, "planted-dir"));
  lchownSync(join(dir, "planted-dir"), account.uid, account.gid);
  symlinkSync(join(target, "keep"), join(dir, "planted-file"));
  try {
    const mine = await ask({ type: "remove", id: 30, dir, uid: account.uid, gid: account.gid }, byId(30));
    assert.deepEqual(mine, { type: "removed", id: 30, code: 0 });
    assert.equal(existsSync(dir), false);
    assert.equal(readFileSync(join(target, "keep"), "utf8"), "user's, outside the runtime dir", "no link was followed");
  } finally {
    rmSync(target, { recursive: true, force: true });
  }

  const guarded = mkdtempSync(join(tmpdir(), "gyre-rt-launchertest-"));
  chownSync(guarded, account.uid, account.gid);
  const rootOnly = join(guarded, "root-only");
  execFileSync("mkdir", ["-m", "0755", rootOnly]);
  writeFileSync(join(rootOnly, "keep"), "root's");
  try {
    const r = await ask({ type: "remove", id: 31, dir: guarded, uid: account.uid, gid: account.gid }, byId(31));
    assert.equal(r.type, "removed");
    assert.notEqual((r as { code: number | null }).code, 0, "rm as the account cannot delete root's files");
    assert.equal(readFileSync(join(rootOnly, "keep"), "utf8"), "root's");
  } finally {
    rmSync(guarded, { recursive: true, force: true });
  }
});
