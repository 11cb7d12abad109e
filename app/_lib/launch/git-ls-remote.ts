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
  try {
    const r = await execa("git", [...gitSafetyArgs(opts.allowHttp), "ls-remote", "--", opts.url, opts.ref], {
      env: gitSafetyEnv(process.env, { allowHttp: opts.allowHttp, emptyHome: home }),
      extendEnv: false,
      reject: false,
      timeout: opts.timeoutSeconds * 1000,
      stdin: "ignore",
      maxBuffer: 16 * 1024 * 1024,
    });
    if (r.timedOut) throw new LaunchError("unreachable", `${opts.url} did not answer within ${opts.timeoutSeconds} seconds.`);
    if (r.exitCode !== 0) {
      const last = String(r.stderr).trim().split("\n").pop() ?? "";
      if (/not found|does not exist|could not read Username|Authentication failed|terminal prompts disabled|40[134]/i.test(String(r.stderr))) {
        throw new LaunchError("not-found", `${opts.url} could not be read: it does not exist or is private.`);
      }
      throw new LaunchError("unreachable", `git could not reach ${opts.url}: ${last.replace(/^fatal:\s*/, "").slice(0, 300) || `exit ${r.exitCode}`}`);
    }
    return String(r.stdout);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}
