// Pure: the messages between the hub and its process launcher (spawners/local/launcher/main.ts),
// and the launcher's checks of every request. The hub forks servers and removes their runtime
// directories through the launcher, a small process, instead of forking its own few hundred MB
// for each. The channel is the launcher's IPC pipe to the hub (a socketpair with no name in the
// file system), so only the hub can ask; the checks here are what the launcher still refuses
// from it: anything malformed, a server left running as root by a root launcher, a removal as
// root or outside the hub's temporary directory.

/** Start a detached server process (own session), its output appended to `logFile`. */
export interface SpawnRequest {
  type: "spawn";
  /** the hub's number for this request; the reply carries it */
  id: number;
  /** absolute path of the program (setpriv when the launcher is root) */
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  /** absolute path, opened O_APPEND|O_CREAT|O_NOFOLLOW by the launcher (mode 0640) */
  logFile: string;
}

/** `rm -rf -- <dir>` as uid/gid (the user's runtime directory, removed with the user's rights). */
export interface RemoveRequest {
  type: "remove";
  id: number;
  dir: string;
  uid: number;
  gid: number;
}

export type LauncherRequest = SpawnRequest | RemoveRequest;

export type LauncherReply =
  /** the process runs: its pid and /proc start time (-1 when it was gone before it could be read) */
  | { type: "spawned"; id: number; pid: number; startTime: number }
  /** the program could not be run (ENOENT, EACCES…) or the log file not opened */
  | { type: "spawn-failed"; id: number; message: string }
  /** `rm` ended with this status (null: killed, e.g. after its 30 s limit) */
  | { type: "removed"; id: number; code: number | null }
  /** a request the launcher will not carry out; id is null when the message had none */
  | { type: "refused"; id: number | null; reason: string }
  /** a process the launcher started has ended */
  | { type: "exit"; pid: number; code: number | null; signal: string | null };

/** What the launcher knows of itself, to judge requests. */
export interface LauncherIdentity {
  /** the launcher's uid (the hub's) */
  uid: number;
  /** the directory runtime dirs are made in (os.tmpdir() of the hub, whose environment the launcher has) */
  tmpDir: string;
  /** the setpriv that switches accounts (spawners/local/index.ts) */
  setprivPath: string;
}

export type CheckedRequest = { ok: true; request: LauncherRequest } | { ok: false; id: number | null; reason: string };

/** The directories the hub makes per server or per agent command: gyre-rt-<user>-XXXXXX, gyre-agent-<user>-XXXXXX. */
const REMOVABLE_NAME = /^gyre-(rt|agent)-[A-Za-z0-9_.-]+-[A-Za-z0-9]{6}$/;

/**
 * Validates one message from the hub. Returns the typed request or why it is refused. A launcher
 * running as root starts only `setpriv --reuid=<uid> --regid=<gid> --init-groups -- …` with a
 * uid other than 0, so no request can leave a server running as root; it removes only a direct
 * child of the temporary directory named as the hub names them, as a uid other than 0.
 */
export function checkRequest(message: unknown, self: LauncherIdentity): CheckedRequest {
  if (!isObject(message)) return refuse(null, "not an object");
  const id = message.id;
  if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 0) return refuse(null, "no request id");
  switch (message.type) {
    case "spawn":
      return checkSpawn(message, id, self);
    case "remove":
      return checkRemove(message, id, self);
    default:
      return refuse(id, `unknown request type ${JSON.stringify(message.type)}`);
  }
}

function checkSpawn(m: Record<string, unknown>, id: number, self: LauncherIdentity): CheckedRequest {
  const { file, args, env, cwd, logFile } = m;
  if (typeof file !== "string" || !file.startsWith("/")) return refuse(id, "file must be an absolute path");
  if (!Array.isArray(args) || !args.every((a) => typeof a === "string")) return refuse(id, "args must be strings");
  if (!isObject(env) || !Object.values(env).every((v) => typeof v === "string")) return refuse(id, "env must map names to strings");
  if (Object.keys(env).some((k) => !k || k.includes("=") || k.includes("\0"))) return refuse(id, "env has a bad name");
  if (typeof cwd !== "string" || !cwd.startsWith("/")) return refuse(id, "cwd must be an absolute path");
  if (typeof logFile !== "string" || !logFile.startsWith("/")) return refuse(id, "logFile must be an absolute path");
  const strings = { args, env: env as Record<string, string> };
  if ([file, cwd, logFile, ...strings.args, ...Object.values(strings.env)].some((s) => s.includes("\0"))) return refuse(id, "a NUL byte in a string");
  const request: SpawnRequest = { type: "spawn", id, file, ...strings, cwd, logFile };
  if (self.uid === 0) {
    const reason = rootSwitchProblem(request, self.setprivPath);
    if (reason) return refuse(id, reason);
  }
  return { ok: true, request };
}

/** Why a root launcher's spawn would not end up as an account other than root; null when it would. */
function rootSwitchProblem(r: SpawnRequest, setprivPath: string): string | null {
  const refusal = "the launcher runs as root and starts servers only through setpriv as an account other than root";
  if (r.file !== setprivPath) return refusal;
  const [reuid, regid, groups, dashes] = r.args;
  const uid = /^--reuid=(\d+)$/.exec(reuid ?? "");
  const gid = /^--regid=(\d+)$/.exec(regid ?? "");
  if (!uid || !gid || groups !== "--init-groups" || dashes !== "--" || r.args.length < 5) return refusal;
  if (Number(uid[1]) === 0 || Number(gid[1]) === 0) return refusal;
  return null;
}

function checkRemove(m: Record<string, unknown>, id: number, self: LauncherIdentity): CheckedRequest {
  const { dir, uid, gid } = m;
  if (typeof uid !== "number" || !Number.isSafeInteger(uid) || uid <= 0) return refuse(id, "uid must be a whole number above 0");
  if (typeof gid !== "number" || !Number.isSafeInteger(gid) || gid <= 0) return refuse(id, "gid must be a whole number above 0");
  if (typeof dir !== "string") return refuse(id, "dir must be a string");
  const slash = dir.lastIndexOf("/");
  if (dir.slice(0, slash) !== self.tmpDir.replace(/\/+$/, "") || !REMOVABLE_NAME.test(dir.slice(slash + 1)))
    return refuse(id, `only the hub's own runtime directories in ${self.tmpDir} are removed`);
  return { ok: true, request: { type: "remove", id, dir, uid, gid } };
}

function refuse(id: number | null, reason: string): CheckedRequest {
  return { ok: false, id, reason };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
