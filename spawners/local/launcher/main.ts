// The hub's process launcher: a small long-lived child of the hub (spawners/local/launcher/client.ts
// starts it, bundled as dist/hub/launcher.mjs) that forks the local spawner's servers and removes
// their runtime directories, so the hub's few hundred MB are not copied by a fork for each. It
// takes requests only over its IPC channel to the hub (protocol.ts checks each) and listens on
// nothing. When the hub goes, the channel closes and the launcher exits; the servers it started
// run on (detached, their own sessions), as they did when the hub forked them.
import { spawn } from "node:child_process";
import { closeSync, constants as fsc, existsSync, openSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { checkRequest, type LauncherReply, type LauncherIdentity, type RemoveRequest, type SpawnRequest } from "./protocol";
import { parseProcStat } from "../proc-stat";
import { removeAsUser } from "./remove";

/** Passed by the hub (client.ts): the setpriv it builds server commands with. */
const SETPRIV_ARG = process.argv.find((a) => a.startsWith("--setpriv="));

const self: LauncherIdentity = {
  uid: process.getuid?.() ?? -1,
  tmpDir: tmpdir(),
  setprivPath: SETPRIV_ARG ? SETPRIV_ARG.slice("--setpriv=".length) : "/usr/bin/setpriv",
};

if (!process.send) {
  process.stderr.write("gyre launcher: started without an IPC channel to the hub; it takes requests only from the hub that starts it\n");
  process.exit(2);
}

function reply(message: LauncherReply): void {
  process.send?.(message);
}

process.on("message", (message: unknown) => {
  const checked = checkRequest(message, self);
  if (!checked.ok) {
    process.stderr.write(`gyre launcher: refused a request: ${checked.reason}\n`);
    reply({ type: "refused", id: checked.id, reason: checked.reason });
    return;
  }
  if (checked.request.type === "spawn") startServer(checked.request);
  else removeDir(checked.request);
});

// the hub is gone (exited, killed, or closed the channel): so is the reason to run
process.on("disconnect", () => process.exit(0));

function startServer(r: SpawnRequest): void {
  let fd: number;
  try {
    // opened here and handed over as stdout/stderr, so the server needs no write access to the
    // hub's log dir, and no pipe ties it to the hub or the launcher
    fd = openSync(r.logFile, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_APPEND | fsc.O_NOFOLLOW, 0o640);
  } catch (e) {
    reply({ type: "spawn-failed", id: r.id, message: `the log file ${r.logFile} could not be opened (${(e as NodeJS.ErrnoException).code ?? String(e)})` });
    return;
  }
  try {
    // the cast: Next's types make NODE_ENV a required member of ProcessEnv; the hub's allow-list has none
    const env = r.env as unknown as NodeJS.ProcessEnv;
    const child = spawn(r.file, r.args, { cwd: existsSync(r.cwd) ? r.cwd : "/", env, detached: true, stdio: ["ignore", fd, fd] });
    child.once("error", (e: NodeJS.ErrnoException) => reply({ type: "spawn-failed", id: r.id, message: e.code ?? e.message }));
    child.once("spawn", () => {
      const pid = child.pid!;
      reply({ type: "spawned", id: r.id, pid, startTime: startTimeOf(pid) });
      child.once("exit", (code, signal) => reply({ type: "exit", pid, code, signal }));
    });
  } finally {
    closeSync(fd);
  }
}

function removeDir(r: RemoveRequest): void {
  // the directory belongs to the user: removed with the user's rights, not root's (remove.ts:
  // in this process as the user, no fork per stop; a large tree by `rm -rf` as the user)
  removeAsUser(r, (code) => reply({ type: "removed", id: r.id, code }));
}

function startTimeOf(pid: number): number {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, "latin1"))?.startTime ?? -1;
  } catch {
    return -1;
  }
}
