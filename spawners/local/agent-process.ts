// I/O: one run of the launch agent as a local process (argv from command.ts buildAgentLaunch):
// its own process group, stdout and stderr appended to a log file, its phase lines read as they
// come (AgentProgressReader). Used for a launch's `prepare` before the server starts and for
// git-pull links.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, constants as fsc, existsSync, openSync } from "node:fs";
import { appendFile } from "node:fs/promises";
import { SpawnError, type ProgressEvent } from "../types";
import { LineSplitter } from "../agent/agent-phases";
import { AgentProgressReader } from "../agent/agent-progress";

export interface AgentProcessOptions {
  launch: { file: string; args: string[]; env: Record<string, string>; cwd: string };
  /** where the agent's whole output goes (phase lines included), or null for nowhere */
  logFile: string | null;
  reader: AgentProgressReader;
  /** each progress event, as it comes */
  onProgress(event: ProgressEvent): void;
  /** the agent's pid once it runs (to stop it) */
  onSpawn?(pid: number): void;
  /** SIGKILL to its process group after this long (the agent's own limits come first) */
  timeoutMs?: number;
}

export interface AgentExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Runs the agent to its end; the reader holds the result or the failure. */
export async function runAgentProcess(o: AgentProcessOptions): Promise<AgentExit> {
  const fd = o.logFile ? openSync(o.logFile, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_APPEND | fsc.O_NOFOLLOW, 0o640) : null;
  let child: ChildProcess;
  try {
    // its own process group, so that a stop can end it with everything it started
    child = spawn(o.launch.file, o.launch.args, {
      cwd: existsSync(o.launch.cwd) ? o.launch.cwd : "/",
      env: o.launch.env as unknown as NodeJS.ProcessEnv,
      detached: true,
      stdio: ["ignore", fd ?? "ignore", "pipe"],
    });
  } finally {
    if (fd !== null) closeSync(fd);
  }
  const splitter = new LineSplitter();
  const onLine = (line: string) => {
    const ev = o.reader.read(line);
    if (ev) o.onProgress(ev);
  };
  let logChain = Promise.resolve();
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => {
    if (o.logFile) {
      const file = o.logFile;
      logChain = logChain.then(() => appendFile(file, chunk)).catch(() => {});
    }
    for (const line of splitter.push(chunk)) onLine(line);
  });
  const timer = o.timeoutMs
    ? setTimeout(() => {
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {
          /* gone already */
        }
      }, o.timeoutMs)
    : undefined;
  try {
    return await new Promise<AgentExit>((resolve, reject) => {
      child.once("error", (e: NodeJS.ErrnoException) => reject(new SpawnError(`The launch agent could not be run (${e.code ?? e.message}).`)));
      child.once("spawn", () => o.onSpawn?.(child.pid!));
      child.once("close", (code, sig) => resolve({ code, signal: sig }));
    });
  } finally {
    clearTimeout(timer);
    for (const line of splitter.end()) onLine(line);
    await logChain;
  }
}

/** "killed by SIGKILL" / "status 3", for a run that ended without saying why. */
export function describeAgentExit(exit: AgentExit): string {
  return exit.signal ? `killed by ${exit.signal}` : `status ${exit.code}`;
}
