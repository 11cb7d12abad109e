// The batch poll shared by hub replicas (../batch-poll-share.ts) as test scenarios for either
// database (SQLite: batch-poll-share.test.ts, PostgreSQL: batch-poll-share.int.test.ts), without
// a scheduler: a fake squeue that answers every id it is asked about and records who asked. One
// replica queries for every replica's jobs, the others read its answer; watches follow track and
// untrack, a dead replica's watches are dropped, a failed query keeps the states, the poll moves
// on when its holder dies or shuts down.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import pino from "pino";
import { applyMigrations } from "@/app/_lib/db/migrate";
import { openDatabase } from "@/app/_lib/db/open";
import type { Db } from "@/app/_lib/db/types";
import { SlurmDialect } from "@/spawners/batch/dialects/slurm";
import { BatchPoller } from "@/spawners/batch/poller";
import type { CommandRunner } from "@/spawners/batch/run-command";
import { DbBatchPollShare } from "../batch-poll-share";
import { HubReplica } from "../replica";

const POLL = "default/slurm";
const INTERVAL_MS = 200;
// a replica whose heartbeat is later than the lease time counts as dead (its watches go): room
// for a beat delayed by a busy machine and database
const LEASE_S = 1.5;
const HEARTBEAT_S = 0.25;
const log = pino({ level: "silent" });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A squeue that knows every job asked about as RUNNING on node "n1"; `failing` makes it error. */
function fakeSqueue() {
  const asked: string[][] = [];
  const scheduler = { failing: false };
  const runnerFor =
    (replica: string): CommandRunner =>
    async (argv) => {
      asked.push([replica, ...argv[argv.indexOf("-j") + 1].split(",")]);
      if (scheduler.failing) return { stdout: "", stderr: "slurm_load_jobs error: Unable to contact slurm controller", exitCode: 1 };
      const ids = argv[argv.indexOf("-j") + 1].split(",");
      return { stdout: ids.map((id) => `${id}|RUNNING|None|n1|n1|2026-12-04T10:00:00|2026-12-04T11:00:00|0`).join("\n"), stderr: "", exitCode: 0 };
    };
  return { asked, scheduler, runnerFor };
}

async function waitFor(what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** A database for the scenarios: its URL, and what to remove after them. */
export interface ScenarioDatabase {
  provider: string;
  open(): Promise<{ url: string; close(): Promise<void> }>;
}

/** The sharing scenarios on one database. */
export function describeBatchPollSharing(database: ScenarioDatabase): void {
  const provider = database.provider;
  describe(`batch poll shared by replicas on ${provider}`, () => {
    let db: Db;
    let where: { url: string; close(): Promise<void> } | undefined;

    before(async () => {
      where = await database.open();
      const opened = await openDatabase(where.url);
      db = opened.db;
      await applyMigrations(db, opened.provider, process.cwd());
    });
    after(async () => {
      await db?.$disconnect();
      await where?.close();
    });

    /** `n` replicas, each with its heartbeat, share and shared poller of POLL. */
    async function replicas(n: number, squeue: ReturnType<typeof fakeSqueue>) {
      await db.lease.deleteMany({});
      await db.batchJobWatch.deleteMany({});
      await db.batchPollResult.deleteMany({});
      const out = [];
      for (let i = 0; i < n; i++) {
        const id = `replica-${"abcdefgh"[i]}`;
        const replica = new HubReplica({ db, log, leaseSeconds: LEASE_S, heartbeatSeconds: HEARTBEAT_S, id });
        await replica.start();
        const share = new DbBatchPollShare(db, replica, HEARTBEAT_S);
        const poller = new BatchPoller(SlurmDialect, squeue.runnerFor(id), { intervalMs: INTERVAL_MS, share: { via: share, poll: POLL } });
        out.push({ id, replica, share, poller });
      }
      return out;
    }

    async function closeAll(rs: Awaited<ReturnType<typeof replicas>>): Promise<void> {
      for (const r of rs) {
        r.poller.close();
        await r.replica.close();
      }
    }

    test("one replica queries every replica's jobs, once per cycle; the others read its answer", async () => {
      const squeue = fakeSqueue();
      const rs = await replicas(3, squeue);
      try {
        rs[0].poller.track("101");
        rs[1].poller.track("201");
        rs[1].poller.track("202");
        rs[2].poller.track("301");
        await Promise.all(rs.map((r) => r.poller.flushed()));
        const mine = { "101": rs[0], "201": rs[1], "202": rs[1], "301": rs[2] };
        await waitFor("every replica sees its jobs running", () => Object.entries(mine).every(([id, r]) => r.poller.get(id)?.state.kind === "running"));
        const holders = rs.filter((r) => r.share.isPolling(POLL));
        assert.equal(holders.length, 1, "one holder of the poll lease");
        const [holder] = holders;
        squeue.asked.length = 0;
        await sleep(INTERVAL_MS * 10);
        const askers = new Set(squeue.asked.map(([who]) => who));
        assert.deepEqual([...askers], [holder.id], `only the holder asks the scheduler: ${JSON.stringify(squeue.asked)}`);
        // one query per cycle: at most 10 in 10 intervals (fewer when the machine is busy), however
        // many replicas and jobs
        assert.ok(squeue.asked.length >= 3 && squeue.asked.length <= 11, `queries in 10 intervals: ${squeue.asked.length}`);
        for (const [, ...ids] of squeue.asked) assert.deepEqual(ids.sort(), ["101", "201", "202", "301"]);
        // the readers' cache has the holder's time, not their own
        const answer = await holders[0].share.read(POLL);
        const reader = rs.find((r) => r !== holder && r.poller.size > 0)!;
        const someJob = Object.entries(mine).find(([, r]) => r === reader)![0];
        assert.ok(reader.poller.get(someJob)!.at <= answer!.finishedAt);
      } finally {
        await closeAll(rs);
      }
    });

    test("an untracked job leaves the query; a dead replica's watches are dropped by the holder", async () => {
      const squeue = fakeSqueue();
      const rs = await replicas(2, squeue);
      try {
        await waitFor("a holder", () => rs.some((r) => r.share.isPolling(POLL)));
        const holder = rs.find((r) => r.share.isPolling(POLL))!;
        const other = rs.find((r) => r !== holder)!;
        holder.poller.track("1");
        other.poller.track("2");
        other.poller.track("3");
        await Promise.all(rs.map((r) => r.poller.flushed()));
        const lastAsked = () => (squeue.asked.at(-1) ?? []).slice(1).sort();
        await waitFor("the holder asks for 1, 2, 3", () => lastAsked().join() === "1,2,3");
        other.poller.untrack("2");
        await other.poller.flushed();
        await waitFor("the holder stops asking for 2", () => lastAsked().join() === "1,3");
        assert.deepEqual(
          (await db.batchJobWatch.findMany({ where: { poll: POLL }, orderBy: { jobId: "asc" } })).map((w) => `${w.jobId}@${w.replica}`),
          [`1@${holder.id}`, `3@${other.id}`],
        );
        // the other replica dies silently: once its heartbeat is stale its watch goes
        other.poller.close();
        other.replica.abandon();
        await waitFor("the holder stops asking for the dead replica's job", () => lastAsked().join() === "1");
        assert.equal(await db.batchJobWatch.count({ where: { replica: other.id } }), 0);
      } finally {
        await closeAll(rs);
      }
    });

    test("a replica's refresh waits for an answer from a query that started after it", async () => {
      const squeue = fakeSqueue();
      const rs = await replicas(2, squeue);
      try {
        await waitFor("a holder", () => rs.some((r) => r.share.isPolling(POLL)));
        const other = rs.find((r) => !r.share.isPolling(POLL))!;
        other.poller.track("7");
        await other.poller.flushed();
        for (let i = 0; i < 3; i++) {
          const asked = Date.now();
          await other.poller.refresh();
          const answer = await other.share.read(POLL);
          assert.ok(answer && answer.startedAt >= asked, `answer started ${answer ? answer.startedAt - asked : "never"} ms after the refresh`);
          assert.equal(other.poller.get("7")?.state.kind, "running");
        }
        assert.equal(squeue.asked.filter(([who]) => who === other.id).length, 0, "the reader never asked the scheduler");
      } finally {
        await closeAll(rs);
      }
    });

    test("a failed query is shared as an error and keeps the states", async () => {
      const squeue = fakeSqueue();
      const rs = await replicas(2, squeue);
      try {
        await waitFor("a holder", () => rs.some((r) => r.share.isPolling(POLL)));
        const other = rs.find((r) => !r.share.isPolling(POLL))!;
        other.poller.track("9");
        await other.poller.flushed();
        await waitFor("job 9 running", () => other.poller.get("9")?.state.kind === "running");
        squeue.scheduler.failing = true;
        await waitFor("the reader sees the error", () => /Unable to contact/.test(other.poller.lastError ?? ""));
        assert.equal(other.poller.get("9")?.state.kind, "running", "a scheduler that did not answer says nothing about the job");
        squeue.scheduler.failing = false;
        await waitFor("the error clears", () => other.poller.lastError === null);
      } finally {
        await closeAll(rs);
      }
    });

    test("the holder's silent death or clean shutdown hands the poll to another replica", async () => {
      const squeue = fakeSqueue();
      const rs = await replicas(3, squeue);
      try {
        for (const [i, r] of rs.entries()) r.poller.track(String(i + 1));
        await waitFor("a holder", () => rs.some((r) => r.share.isPolling(POLL)));
        const first = rs.find((r) => r.share.isPolling(POLL))!;
        first.poller.close();
        first.replica.abandon();
        let died = Date.now();
        await waitFor("another replica queries", () => squeue.asked.some(([who, ...ids]) => who !== first.id && ids.length > 0), 10_000);
        console.log(
          `# ${provider}: poll taken over ${Date.now() - died} ms after its holder went silent (lease ${LEASE_S * 1000} ms, beat ${HEARTBEAT_S * 1000} ms, interval ${INTERVAL_MS} ms)`,
        );
        const second = rs.find((r) => r !== first && r.share.isPolling(POLL))!;
        const third = rs.find((r) => r !== first && r !== second)!;
        const lease = await db.lease.findUniqueOrThrow({ where: { name: `batch-poll:${POLL}` } });
        assert.equal(lease.holder, second.id);
        second.poller.close();
        await second.replica.close();
        died = Date.now();
        assert.equal(await db.lease.count({ where: { name: `batch-poll:${POLL}`, holder: second.id } }), 0, "a clean shutdown gives the poll lease up");
        await waitFor("the third replica queries", () => squeue.asked.some(([who]) => who === third.id), 10_000);
        console.log(`# ${provider}: poll taken over ${Date.now() - died} ms after its holder shut down cleanly`);
        assert.equal((await db.lease.findUniqueOrThrow({ where: { name: `batch-poll:${POLL}` } })).holder, third.id);
      } finally {
        await closeAll(rs);
      }
    });
  });
}
