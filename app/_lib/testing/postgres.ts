// A throwaway real PostgreSQL server for integration tests: initdb into a temp directory as the
// `postgres` OS account (initdb refuses root), listen on a loopback port, trust auth.
import { mkdtempSync, chownSync, rmSync, existsSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";

function pgBin(name: string): string {
  const base = "/usr/lib/postgresql";
  const versions = existsSync(base) ? readdirSync(base).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (existsSync(join(base, v, "bin", name))) return join(base, v, "bin", name);
  throw new Error(`PostgreSQL's ${name} not found under ${base}: install the postgresql package (scripts/install-deps.sh does)`);
}

export interface TestPostgres {
  url: string;
  stop(): Promise<void>;
}

export async function startTestPostgres(port: number): Promise<TestPostgres> {
  const dir = mkdtempSync(join(tmpdir(), "gyre-pg-"));
  // Run as the postgres account when we are root (initdb and postgres refuse uid 0); spawning with
  // uid/gid (not runuser) keeps signals going straight to the server.
  let ids: { uid?: number; gid?: number } = {};
  if (process.getuid?.() === 0) {
    ids = {
      uid: Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim()),
      gid: Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim()),
    };
    chownSync(dir, ids.uid!, ids.gid!);
  }
  const data = join(dir, "data");
  try {
    execFileSync(pgBin("initdb"), ["-D", data, "-U", "gyre", "--auth=trust", "-E", "UTF8", "--no-sync"], { stdio: "pipe", cwd: dir, ...ids });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const proc: ChildProcess = spawn(pgBin("postgres"), ["-D", data, "-p", String(port), "-h", "127.0.0.1", "-k", dir, "-c", "fsync=off"], {
    stdio: "ignore",
    cwd: dir,
    ...ids,
  });
  const url = `postgresql://gyre@127.0.0.1:${port}/postgres`;
  const { default: pg } = await import("pg");
  for (let i = 0; ; i++) {
    try {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      // The answer must come from this server: with the port already taken ours exits, and a
      // connection to the other one would look like success until that one goes away.
      const { rows } = await c.query<{ dir: string }>("SELECT current_setting('data_directory') AS dir").finally(() => c.end());
      if (rows[0]?.dir !== data)
        throw new Error(`port ${port} is taken by another PostgreSQL (${rows[0]?.dir}); ours ${proc.exitCode === null ? "still starts" : "exited"}`);
      break;
    } catch (err) {
      if (i > 100 || proc.exitCode !== null) {
        // no TestPostgres to stop() for the caller
        if (proc.exitCode === null) proc.kill("SIGKILL");
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`test PostgreSQL did not start: ${(err as Error).message}`, { cause: err });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    async stop() {
      if (proc.exitCode === null) {
        proc.kill("SIGINT"); // fast shutdown
        await new Promise((r) => proc.once("exit", r));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
