// The batch spawner's scheduler poll shared by the hub's replicas (spawners/batch/poll-share.ts)
// on the database: each cluster's poll is a lease ("batch-poll:<cluster>/<scheduler>") taken and
// renewed by the replica's heartbeat; owners write the jobs they follow (BatchJobWatch), the
// holder queries them all and writes the answer (BatchPollResult), every replica reads it.
import type { Db } from "../db/types";
import { parseJobStates, serializeJobStates, type BatchPollShare, type SharedPollResult } from "@/spawners/batch/poll-share";
import type { JobState } from "@/spawners/batch/types";
import type { HubReplica, WantedLeaseName } from "./replica";

export class DbBatchPollShare implements BatchPollShare {
  readonly takeOverMs: number;

  constructor(
    private readonly db: Db,
    private readonly replica: HubReplica,
    /** hub.replicaHeartbeatSeconds: a free lease is taken at the next beat */
    heartbeatSeconds: number,
  ) {
    this.takeOverMs = replica.leaseMs + heartbeatSeconds * 1000;
  }

  isPolling(poll: string): boolean {
    const lease: WantedLeaseName = `batch-poll:${poll}`;
    this.replica.want(lease);
    return this.replica.holds(lease);
  }

  async watch(poll: string, jobId: string): Promise<void> {
    const replica = this.replica.id;
    await this.db.batchJobWatch.upsert({ where: { poll_jobId: { poll, jobId } }, create: { poll, jobId, replica }, update: { replica } });
  }

  async unwatch(poll: string, jobId: string): Promise<void> {
    // only this replica's watch: a server taken over meanwhile is watched by its new owner
    await this.db.batchJobWatch.deleteMany({ where: { poll, jobId, replica: this.replica.id } });
  }

  /**
   * The watched jobs of `poll`. Watches of replicas that are no longer alive are dropped: their
   * servers' new owners watch them again when they take them over.
   */
  async watchedJobs(poll: string): Promise<string[]> {
    const rows = await this.db.batchJobWatch.findMany({ where: { poll }, select: { jobId: true, replica: true } });
    const owners = new Set(rows.map((r) => r.replica));
    if (owners.size === 0) return [];
    const alive = await this.replica.aliveIds();
    const dead = [...owners].filter((id) => !alive.has(id));
    if (dead.length) await this.db.batchJobWatch.deleteMany({ where: { poll, replica: { in: dead } } });
    return rows.filter((r) => alive.has(r.replica)).map((r) => r.jobId);
  }

  async publish(
    poll: string,
    result: { startedAt: number; finishedAt: number; states: Map<string, JobState> } | { startedAt: number; error: string },
  ): Promise<void> {
    const holder = this.replica.id;
    const startedAt = new Date(result.startedAt);
    if ("error" in result) {
      // the states of the last good answer stay: a scheduler that did not answer says nothing
      await this.db.batchPollResult.upsert({
        where: { poll },
        create: { poll, holder, startedAt, finishedAt: new Date(0), error: result.error },
        update: { holder, startedAt, error: result.error },
      });
      return;
    }
    const data = { holder, startedAt, finishedAt: new Date(result.finishedAt), states: serializeJobStates(result.states), error: null };
    await this.db.batchPollResult.upsert({ where: { poll }, create: { poll, ...data }, update: data });
  }

  async read(poll: string): Promise<SharedPollResult | null> {
    const row = await this.db.batchPollResult.findUnique({ where: { poll } });
    if (!row) return null;
    return { startedAt: row.startedAt.getTime(), finishedAt: row.finishedAt.getTime(), states: parseJobStates(row.states), error: row.error };
  }
}
