// Runs the agent the way spawners will: Debian's Python fed the bootstrap (with the agent's zip
// inside) on stdin, as a throw-away non-root account when the tests run as root (setpriv, as the
// local spawner does), with a clean environment. The spec goes into a folder that account owns,
// so nothing depends on the checkout (possibly in a 0700 folder) being readable by it.
import { chownSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { buildAgentBootstrap } from "../agent-bootstrap";
import { loadAgentZip } from "../agent-bundle";
import { LineSplitter, parseAgentLine, type AgentEvent } from "../agent-phases";

export const PYTHON = "/usr/bin/python3";

export interface TestAccount {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

const isRoot = process.getuid?.() === 0;

/** The account agents run as: `name` (created with useradd -m when missing) as root, else ourselves. */
export async function testAccount(name: string): Promise<TestAccount> {
  if (!isRoot) return { name: process.env.USER ?? "me", uid: process.getuid!(), gid: process.getgid!(), home: process.env.HOME ?? tmpdir() };
  await execa("useradd", ["-m", "-s", "/bin/bash", "--", name], { reject: false });
  const line = (await execa("getent", ["passwd", name])).stdout.trim().split(":");
  return { name, uid: Number(line[2]), gid: Number(line[3]), home: line[5] };
}

/** A fresh folder owned by the account (0700). */
export function accountDir(account: TestAccount, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (isRoot) chownSync(dir, account.uid, account.gid);
  return dir;
}

export interface AgentRun {
  exitCode: number;
  events: AgentEvent[];
  /** lines that were not phase lines */
  text: string[];
  ms: number;
}

/** Runs `python3 - <command> --spec-file <dir>/spec-N.json` as the account. */
export async function runAgent(opts: {
  account: TestAccount;
  dir: string;
  command: "prepare" | "git-pull" | "version";
  spec?: object;
  env?: Record<string, string>;
  extraArgs?: string[];
}): Promise<AgentRun> {
  const args: string[] = [opts.command];
  if (opts.spec) {
    const specFile = join(opts.dir, `spec-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(specFile, JSON.stringify(opts.spec), { mode: 0o600 });
    if (isRoot) chownSync(specFile, opts.account.uid, opts.account.gid);
    args.push("--spec-file", specFile);
  }
  args.push(...(opts.extraArgs ?? []));
  const bootstrap = buildAgentBootstrap(await loadAgentZip());
  const env = { PATH: "/usr/local/bin:/usr/bin:/bin", HOME: opts.account.home, LANG: "C.UTF-8", ...opts.env };
  const [file, argv] = isRoot
    ? ["/usr/bin/setpriv", ["--reuid", String(opts.account.uid), "--regid", String(opts.account.gid), "--init-groups", "--", PYTHON, "-", ...args]]
    : [PYTHON, ["-", ...args]];
  const t0 = performance.now();
  const r = await execa(file, argv, { input: bootstrap, env, extendEnv: false, reject: false, cwd: opts.dir, timeout: 600_000 });
  const ms = performance.now() - t0;
  const events: AgentEvent[] = [];
  const text: string[] = [];
  const splitter = new LineSplitter();
  for (const line of [...splitter.push(String(r.stderr) + "\n"), ...splitter.end()]) {
    const e = parseAgentLine(line);
    if (e) events.push(e);
    else if (line.trim()) text.push(line);
  }
  if (String(r.stdout).trim()) text.push(...String(r.stdout).trim().split("\n"));
  return { exitCode: r.exitCode ?? -1, events, text, ms };
}

/** The last event of a phase. */
export function lastOf<P extends AgentEvent["phase"]>(run: AgentRun, phase: P): Extract<AgentEvent, { phase: P }> | undefined {
  return run.events.filter((e): e is Extract<AgentEvent, { phase: P }> => e.phase === phase).at(-1);
}
