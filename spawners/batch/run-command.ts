// Runs scheduler commands: argument arrays through execa, never a shell, with an explicit
// environment (the hub's own environment, which holds its secrets, is never inherited).
import { execa } from "execa";

export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** How the spawner and the poller run commands; tests and the benchmark swap it. */
export type CommandRunner = (
  argv: string[],
  opts?: { input?: string; env?: Record<string, string>; timeoutMs?: number; cwd?: string },
) => Promise<CommandResult>;

/** The real runner: execa with reject:false, no inherited env beyond PATH/LANG. */
export const runCommand: CommandRunner = async (argv, opts = {}) => {
  const [file, ...args] = argv;
  if (!file) throw new Error("empty command");
  const r = await execa(file, args, {
    input: opts.input ?? "",
    env: { PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin", LANG: "C.UTF-8", ...opts.env },
    extendEnv: false,
    reject: false,
    timeout: opts.timeoutMs ?? 60_000,
    cwd: opts.cwd ?? "/",
    stripFinalNewline: false,
  });
  if (r.failed && r.exitCode === undefined) {
    // spawn failure (ENOENT) or timeout: no exit code at all
    return { stdout: String(r.stdout ?? ""), stderr: `${String(r.stderr ?? "")}\n${r.shortMessage}`, exitCode: 127 };
  }
  return { stdout: String(r.stdout ?? ""), stderr: String(r.stderr ?? ""), exitCode: r.exitCode ?? 1 };
};
