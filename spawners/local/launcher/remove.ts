// How the launcher removes a server's runtime directory as the user: inside the launcher itself,
// with its effective uid, gid and groups switched to the user's for the synchronous walk, so no
// process is forked per stop (an `rm -rf` fork per stopped server was the launcher's share of a
// stop storm). Safety comes from the identity, not from the walk: every unlink, rmdir and readdir
// is done with the user's rights, so a symlink the user planted, or a directory swapped for one
// during the walk, reaches only what the user could remove anyway. The walk itself never follows
// a symlink (entries are typed by readdir, links are unlinked). A tree larger than `maxEntries`,
// or any error, is left to `rm -rf` as the user, as before (what it reports is the answer).
import { spawn } from "node:child_process";
import { lstatSync, readdirSync, rmdirSync, unlinkSync } from "node:fs";

/** Entries removed in the launcher at most; more is a tree a user filled, left to a forked rm. */
export const MAX_ENTRIES_IN_PROCESS = 2000;
const RM_TIMEOUT_MS = 30_000;

export interface RemoveTarget {
  dir: string;
  uid: number;
  gid: number;
}

/** What the removal uses of the process; tests count forks and identity switches through it. */
export interface RemoveDeps {
  /** `rm -rf -- dir` as uid/gid (no shell); `done` gets its exit status, null when it was killed or not run */
  forkRm(target: RemoveTarget, done: (code: number | null) => void): void;
  /** runs `fn` synchronously with the effective identity of uid/gid (no supplementary groups), then root's again */
  asUser<T>(uid: number, gid: number, fn: () => T): T;
  /** whether the identity can be switched (the launcher runs as root) */
  canSwitch: boolean;
}

export const processDeps: RemoveDeps = {
  forkRm(t, done) {
    const rm = spawn("rm", ["-rf", "--", t.dir], { uid: t.uid, gid: t.gid, stdio: "ignore", timeout: RM_TIMEOUT_MS, killSignal: "SIGKILL" });
    rm.once("error", () => done(null));
    rm.once("exit", (code) => done(code));
  },
  asUser: (uid, gid, fn) => asEffectiveUser(uid, gid, fn),
  canSwitch: process.geteuid?.() === 0,
};

/**
 * Removes `t.dir` as t.uid/t.gid: in this process when it can switch its effective identity and
 * the tree is small, else by a forked `rm -rf`. `done` gets 0 when removed (or already gone),
 * else rm's status.
 */
export function removeAsUser(t: RemoveTarget, done: (code: number | null) => void, deps: RemoveDeps = processDeps, maxEntries = MAX_ENTRIES_IN_PROCESS): void {
  if (deps.canSwitch && t.uid > 0 && t.gid > 0) {
    let removed = false;
    try {
      removed = deps.asUser(t.uid, t.gid, () => removeTree(t.dir, maxEntries));
    } catch {
      // a file the user may not remove, a tree changing under the walk: rm says what is left
    }
    if (removed) {
      done(0);
      return;
    }
  }
  deps.forkRm(t, done);
}

/**
 * Removes `dir` and everything under it without following symlinks: true when it is gone, false
 * when it holds more than `maxEntries` entries (part of it may be removed). Throws what the
 * file system refused.
 */
export function removeTree(dir: string, maxEntries: number): boolean {
  let budget = maxEntries;
  const walk = (path: string): boolean => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      if (--budget < 0) return false;
      const child = `${path}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!walk(child)) return false;
        rmdirSync(child);
      } else {
        // files, sockets, fifos and symlinks (the link itself, never its target)
        unlinkSync(child);
      }
    }
    return true;
  };
  let top;
  try {
    top = lstatSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return true;
    throw e;
  }
  if (!top.isDirectory()) {
    unlinkSync(dir);
    return true;
  }
  if (!walk(dir)) return false;
  rmdirSync(dir);
  return true;
}

/** The identity calls of the process that asEffectiveUser makes; tests count them through a stand-in. */
export interface IdentityCalls {
  getgroups(): number[];
  setgroups(groups: number[]): void;
  getegid(): number;
  setegid(gid: number): void;
  seteuid(uid: number): void;
}

/**
 * Runs `fn` with the effective uid and gid of the user and no supplementary groups (what `rm`
 * forked with uid/gid had: libuv drops them), then switches back to root's uid and gid. Only for
 * synchronous work: nothing else of this process runs meanwhile. If root's identity cannot be
 * taken back the launcher exits rather than serve another request as the user.
 *
 * Each of these calls is a setxid broadcast in glibc: every thread of the process is signalled to
 * make the same system call (POSIX wants one identity per process), which was a third of the
 * launcher's CPU in a stop storm (bench/README.md, phase 3t). So the supplementary groups are
 * dropped the first time and not given back: a root launcher starts nothing but
 * `setpriv --init-groups` (protocol.ts), which sets the account's own, and root needs none of its
 * groups to open log files. Four calls per removal instead of six.
 */
export function asEffectiveUser<T>(uid: number, gid: number, fn: () => T, ids: IdentityCalls = processIdentity): T {
  if (ids.getgroups().length) ids.setgroups([]);
  const egid = ids.getegid();
  try {
    ids.setegid(gid);
    ids.seteuid(uid);
    return fn();
  } finally {
    try {
      ids.seteuid(0);
      ids.setegid(egid);
    } catch (e) {
      process.stderr.write(`gyre launcher: could not switch back to root after a removal (${String(e)}); exiting\n`);
      process.exit(70);
    }
  }
}

const processIdentity: IdentityCalls = {
  getgroups: () => process.getgroups!(),
  setgroups: (groups) => process.setgroups!(groups),
  getegid: () => process.getegid!(),
  setegid: (gid) => process.setegid!(gid),
  seteuid: (uid) => process.seteuid!(uid),
};
