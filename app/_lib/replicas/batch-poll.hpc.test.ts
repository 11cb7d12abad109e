// The scheduler poll shared by hub replicas on real Slurm (scripts/setup-slurm.sh) and a real
// PostgreSQL: three replicas, each following two real jobs of the non-root user hpctest (some
// running, some pending). Every squeue is counted per replica through a wrapper of the command
// runner: one per interval in all, from the holder of the cluster's poll lease. Then the holder
// dies silently (its heartbeat and poll stop, as under SIGKILL) and another replica takes the poll
// over; then that one shuts down cleanly and the last one takes over at its next beat.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { execa } from "execa";
import pino from "pino";
import { openDatabase } from "../db/open";
import { applyMigrations } from "../db/migrate";
import type { Db } from "../db/types";
import { startTestPostgres, type TestPostgres } from "../testing/postgres";
import { SlurmDialect } from "@/spawners/batch/dialects/slurm";
import { BatchPoller } from "@/spawners/batch/poller";
import { pollName } from "@/spawners/batch/poll-share";
import { runCommand, type CommandRunner } from "@/spawners/batch/run-command";
import { DbBatchPollShare } from "./batch-poll-share";
import { HubReplica } from "./replica";

const USER = process.env.TEST_USER ?? "hpctest";
const POLL = pollName("default", "slurm");
const LEASE_S = 2;
const HEARTBEAT_S = 0.5;
const INTERVAL_MS = 1000;
const JOBS_PER_REPLICA = 2;
const log = pino({ level: "silent" });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** A real sleeping job of USER (2 cores of the cluster's 8, so some wait in the queue). */
async function submitJob(): Promise<string> {
  const r = await execa("sudo", ["-u", USER, "-H", "sbatch", "--parsable", "-J", "gyre-poll-share", "-o", "/dev/null", "-c", "2", "--wrap", "sleep 900"], {
    cwd: "/tmp",
  });
  return r.stdout.trim().split(";")[0];
}

interface Replica {
  id: string;
  replica: HubReplica;
  share: DbBatchPollShare;
  poller: BatchPoller;
  jobs: string[];
  /** squeue runs by this replica, with when they started */
  squeues: { at: number; ids: string[] }[];
}

describe("batch poll shared by hub replicas on Slurm and PostgreSQL", () => {
  let pg: TestPostgres;
  let db: Db;
  const jobs: string[] = [];
  const rs: Replica[] = [];

  before(async () => {
    pg = await startTestPostgres(7695);
    const opened = await openDatabase(pg.url);
    db = opened.db;
    await applyMigrations(db, opened.provider, process.cwd());
    for (let i = 0; i < 3 * JOBS_PER_REPLICA; i++) jobs.push(await submitJob());
    for (let i = 0; i < 3; i++) {
      const id = `replica-${"abc"[i]}`;
      const replica = new HubReplica({ db, log, leaseSeconds: LEASE_S, heartbeatSeconds: HEARTBEAT_S, id });
      await replica.start();
      const share = new DbBatchPollShare(db, replica, HEARTBEAT_S);
      const squeues: Replica["squeues"] = [];
      const run: CommandRunner = (argv, o) => {
        if (argv[0] === "squeue") squeues.push({ at: Date.now(), ids: argv[argv.indexOf("-j") + 1].split(",") });
        return runCommand(argv, o);
      };
      const poller = new BatchPoller(SlurmDialect, run, { intervalMs: INTERVAL_MS, share: { via: share, poll: POLL } });
      const mine = jobs.slice(i * JOBS_PER_REPLICA, (i + 1) * JOBS_PER_REPLICA);
      for (const j of mine) poller.track(j);
      rs.push({ id, replica, share, poller, jobs: mine, squeues });
    }
  });

  after(async () => {
    for (const r of rs) {
      r.poller.close();
      await r.replica.close().catch(() => undefined);
    }
    if (jobs.length) await execa("scancel", jobs, { reject: false });
    await db?.$disconnect();
    await pg?.stop();
  });

  /** replicas killed or shut down by the tests */
  const gone = new Set<Replica>();
  const holders = () => rs.filter((r) => !gone.has(r) && r.share.isPolling(POLL));
  const seesItsJobs = (r: Replica, since = 0) =>
    r.jobs.every((j) => {
      const p = r.poller.get(j);
      return !!p && p.at > since && (p.state.kind === "pending" || p.state.kind === "running");
    });

  test("one squeue per interval for all replicas' jobs, run by the poll's holder; every replica sees its jobs", async () => {
    await waitFor("every replica sees its jobs pending or running", () => rs.every((r) => seesItsJobs(r)));
    const kinds = rs.flatMap((r) => r.jobs.map((j) => r.poller.get(j)!.state.kind));
    assert.ok(kinds.includes("running"), `states: ${kinds.join(" ")}`);
    assert.equal(holders().length, 1, "one holder");
    for (const r of rs) r.squeues.length = 0;
    const windowMs = 10 * INTERVAL_MS;
    await sleep(windowMs);
    const counts = rs.map((r) => r.squeues.length);
    const [holder] = holders();
    console.log(
      `# squeue runs in ${windowMs / 1000} s (interval ${INTERVAL_MS / 1000} s), 3 replicas, ${jobs.length} jobs: ${rs.map((r, i) => `${r.id}=${counts[i]}`).join(" ")}`,
    );
    for (const r of rs) if (r !== holder) assert.equal(r.squeues.length, 0, `${r.id} is not the holder and ran squeue`);
    // one per interval: at most 10 in 10 intervals (+1 for the cycle at the window's edge); fewer
    // when a busy machine delays a cycle past the next tick
    assert.ok(holder.squeues.length >= 5 && holder.squeues.length <= 11, `holder's squeue runs: ${holder.squeues.length}`);
    for (const q of holder.squeues) assert.deepEqual([...q.ids].sort(), [...jobs].sort(), "each query asks for every replica's jobs");
    // the others' jobs come from the holder's answers, fresh each interval
    const now = Date.now();
    for (const r of rs) for (const j of r.jobs) assert.ok(now - r.poller.get(j)!.at < 3 * INTERVAL_MS, `${r.id}'s job ${j} is stale`);
  });

  test("the holder dies silently: another replica takes the poll over within the lease time; one squeue per interval again", async () => {
    const [dead] = holders();
    dead.poller.close();
    dead.replica.abandon();
    gone.add(dead);
    const died = Date.now();
    const survivors = rs.filter((r) => r !== dead);
    await waitFor("a survivor runs squeue", () => survivors.some((r) => r.squeues.some((q) => q.at > died)), 60_000);
    const firstQuery = Math.min(...survivors.flatMap((r) => r.squeues.filter((q) => q.at > died).map((q) => q.at)));
    console.log(
      `# poll taken over ${firstQuery - died} ms after its holder died (lease ${LEASE_S} s, heartbeat ${HEARTBEAT_S} s, interval ${INTERVAL_MS / 1000} s)`,
    );
    await waitFor("the survivors see their jobs from answers after the death", () => survivors.every((r) => seesItsJobs(r, died)));
    for (const r of survivors) r.squeues.length = 0;
    await sleep(5 * INTERVAL_MS);
    const askers = survivors.filter((r) => r.squeues.length > 0);
    assert.equal(askers.length, 1, `replicas running squeue after the take-over: ${survivors.map((r) => `${r.id}=${r.squeues.length}`).join(" ")}`);
    assert.ok(askers[0].squeues.length >= 2 && askers[0].squeues.length <= 6, `squeue runs in 5 intervals: ${askers[0].squeues.length}`);
    // the dead replica's jobs are no longer asked for (their servers' new owners watch them again)
    for (const q of askers[0].squeues) assert.deepEqual([...q.ids].sort(), survivors.flatMap((r) => r.jobs).sort());
  });

  test("the holder shuts down cleanly: it gives the lease up and the last replica polls from its next beat", async () => {
    const [leaving] = holders();
    gone.add(leaving);
    const last = rs.find((r) => !gone.has(r))!;
    leaving.poller.close();
    await leaving.replica.close();
    const left = Date.now();
    assert.equal(await db.lease.count({ where: { name: `batch-poll:${POLL}`, holder: leaving.id } }), 0, "a clean shutdown releases the poll lease");
    await waitFor("the last replica runs squeue", () => last.squeues.some((q) => q.at > left), 60_000);
    const firstQuery = Math.min(...last.squeues.filter((q) => q.at > left).map((q) => q.at));
    console.log(`# poll taken over ${firstQuery - left} ms after its holder shut down cleanly (heartbeat ${HEARTBEAT_S} s, interval ${INTERVAL_MS / 1000} s)`);
    await waitFor("the last replica sees its jobs from its own answers", () => seesItsJobs(last, left));
  });
});
