// I/O: `git ls-remote` run by the hub to resolve a ref of a plain git URL (argument list, the
// protections of git-safety.ts, a time limit). Answers the output or throws a LaunchError.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { LaunchError } from "./launch-error";
import { gitSafetyArgs, gitSafetyEnv } from "./git-safety";

export interface LsRemoteOptions {
  url: string;
  ref: string;
  allowHttp: boolean;
  timeoutSeconds: number;
}

export async function gitLsRemote(opts: LsRemoteOptions): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), "gyre-ls-remote-"));
  // "<tag>^{}" too: ls-remote lists the commit an annotated tag points to only when asked for it
  const patterns = opts.ref === "HEAD" ? ["HEAD"] : [opts.ref, `${opts.ref}^{}`];
  // git runs git-remote-http as a child: its own process group, so the time limit ends both
  const child = execa("git", [...gitSafetyArgs(opts.allowHttp), "ls-remote", "--", opts.url, ...patterns], {
    env: gitSafetyEnv(process.env, { allowHttp: opts.allowHttp, emptyHome: home }),
    extendEnv: false,
    reject: false,
    detached: true,
    stdin: "ignore",
    maxBuffer: 16 * 1024 * 1024,
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // already gone
    }
  }, opts.timeoutSeconds * 1000);
  try {
    const r = await child;
    if (timedOut) throw new LaunchError("unreachable", `${opts.url} did not answer within ${opts.timeoutSeconds} seconds.`);
    if (r.exitCode !== 0) {
      const stderr = String(r.stderr);
      const last = stderr.trim().split("\n").pop() ?? "";
      if (/not found|does not exist|could not read Username|Authentication failed|terminal prompts disabled|\b40[134]\b/i.test(stderr)) {
        throw new LaunchError("not-found", `${opts.url} could not be read: it does not exist or is private.`);
      }
      throw new LaunchError("unreachable", `git could not reach ${opts.url}: ${last.replace(/^fatal:\s*/, "").slice(0, 300) || `exit ${r.exitCode}`}`);
    }
    return String(r.stdout);
  } finally {
    clearTimeout(timer);
    await rm(home, { recursive: true, force: true });
  }
}
