// What a job's exit status means, in the admin's and the user's words: the shell's and the
// launcher's own codes, and 128+N for a signal. Pure.

const SIGNALS: Record<number, string> = { 1: "SIGHUP", 2: "SIGINT", 6: "SIGABRT", 9: "SIGKILL", 10: "SIGUSR1", 12: "SIGUSR2", 15: "SIGTERM" };

/**
 * "exit status 127 (a command was not found: check pythonCommand, pythonEnvironment and modules)".
 * The launcher's own codes (spawners/batch/launcher.ts): 75 no free port, 3 the hub refused or
 * never answered the callback.
 */
export function describeExitStatus(code: number): string {
  const why = exitMeaning(code);
  return `exit status ${code}${why ? ` (${why})` : ""}`;
}

function exitMeaning(code: number): string {
  switch (code) {
    case 0:
      return "";
    case 1:
      return "an error; see the log";
    case 2:
      return "a shell or command-line error; see the log";
    case 3:
      return "the hub did not accept the server's address: check that hub.callbackUrl is reachable from the compute nodes";
    case 75:
      return "no free port in spawner.batch.portRange on the node";
    case 126:
      return "a command was found but could not be run (permissions?)";
    case 127:
      return "a command was not found: check pythonCommand, pythonEnvironment and modules";
  }
  if (code > 128 && code < 160) {
    const sig = code - 128;
    const name = SIGNALS[sig] ?? `signal ${sig}`;
    if (sig === 9) return `killed by ${name}: the scheduler's memory or time limit, or a qdel/scancel`;
    if (sig === 15) return `stopped by ${name}: a cancel or the walltime`;
    return `killed by ${name}`;
  }
  return "";
}

/** The server's exit status from the job log's last "[gyre-job] … status N" line, if any. */
export function exitStatusFromLog(log: string, marker: string): number | null {
  let found: number | null = null;
  for (const line of log.split("\n")) {
    const i = line.indexOf(marker);
    if (i < 0) continue;
    const n = Number.parseInt(line.slice(i + marker.length).trim(), 10);
    if (Number.isInteger(n)) found = n;
  }
  return found;
}
