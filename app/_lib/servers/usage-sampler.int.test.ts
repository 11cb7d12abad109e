// The usage sampler's poll of a running server, on both databases the hub runs on (a SQLite file
// and a real PostgreSQL): the sample is stored through driver statements, at most every
// usage.sampleSeconds, merged into the run's record, a missing record opened first — and the
// columns come out as recordUsageSample (usage/recorder.ts, through Prisma) writes them.
// The spawner is a stand-in that answers usage() with scripted samples: what is tested here is
// the hub's record keeping; real /proc and scheduler samples are tested by the spawners' own tests
// and usage-sampler.hpc.test.ts.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../db/open";
import { applyMigrations } from "../db/migrate";
import type { Db } from "../db/types";
import { startTestPostgres, type TestPostgres } from "../testing/postgres";
import { createLogger } from "../log";
import type { HubRuntime } from "../runtime";
import type { Spawner, UsageSample } from "@/spawners/types";
import { recordUsageSample } from "../usage/recorder";
import { UsageSampler, type SampledServer } from "./usage-sampler";

const T0 = new Date("2026-12-06T09:00:00.000Z");
const at = (s: number) => new Date(T0.getTime() + s * 1000);

/** A spawner whose usage() answers the next scripted sample and counts its calls. */
function scriptedUsage(samples: UsageSample[]): Spawner & { calls: number } {
  const s = {
    calls: 0,
    async usage() {
      s.calls++;
      return samples.shift() ?? null;
    },
  };
  return s as unknown as Spawner & { calls: number };
}

const proc = (cpuSeconds: number, peakMemoryBytes: number): UsageSample => ({ source: "proc", cpuSeconds, peakMemoryBytes, final: false });

for (const provider of ["sqlite", "postgres"] as const) {
  describe(`the usage sampler's poll on ${provider}`, () => {
    let db: Db;
    let pg: TestPostgres | undefined;
    let dir: string | undefined;
    let userId: number;
    let sampler: UsageSampler;
    let n = 0;
    const server = (): SampledServer => ({
      id: ++n,
      userId,
      name: `s${n}`,
      spawnId: `spawn-${provider}-${n}`,
      spawnerKind: "scripted",
      spawnerState: "{}",
      profile: "small",
      requestedAt: at(-5),
      startedAt: T0,
    });
    const record = (spawnId: string) => db.usageRecord.findUnique({ where: { spawnId } });

    before(async () => {
      let url: string;
      if (provider === "postgres") {
        pg = await startTestPostgres(7689);
        url = pg.url;
      } else {
        dir = mkdtempSync(join(tmpdir(), "gyre-usage-sampler-"));
        url = `file:${join(dir, "gyre.db")}`;
      }
      ({ db } = await openDatabase(url));
      await applyMigrations(db, provider, process.cwd());
      userId = (await db.user.create({ data: { name: "ada" } })).id;
      const rt = { db, config: { usage: { sampleSeconds: 60, settleHours: 24 } }, log: createLogger("silent") } as unknown as Pick<
        HubRuntime,
        "db" | "config" | "log"
      >;
      sampler = new UsageSampler({ rt, catalog: {}, spawnerForEndedRun: () => Promise.reject(new Error("not in this test")) });
    });
    after(async () => {
      await db?.$disconnect();
      await pg?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    test("a sample is stored once usage.sampleSeconds have passed, not before; CPU time and the peak only grow", async () => {
      const s = server();
      await sampler.opened(s, "{}", T0);
      const spawner = scriptedUsage([proc(5, 100), proc(3, 300)]);

      await sampler.poll(s, spawner, at(30));
      assert.equal(spawner.calls, 0, "sampled 30 s after the last sample");
      await sampler.poll(s, spawner, at(61));
      let rec = await record(s.spawnId!);
      assert.deepEqual(
        {
          cpu: rec?.cpuSeconds,
          peak: rec?.peakMemoryBytes,
          source: rec?.source,
          sampledAt: rec?.sampledAt?.toISOString(),
          settled: rec?.settled,
          endedAt: rec?.endedAt,
        },
        { cpu: 5, peak: 100, source: "proc", sampledAt: at(61).toISOString(), settled: false, endedAt: null },
      );
      await sampler.poll(s, spawner, at(90));
      assert.equal(spawner.calls, 1, "sampled 29 s after the last sample");
      await sampler.poll(s, spawner, at(122));
      rec = await record(s.spawnId!);
      assert.deepEqual(
        { cpu: rec?.cpuSeconds, peak: rec?.peakMemoryBytes, sampledAt: rec?.sampledAt?.toISOString() },
        { cpu: 5, peak: 300, sampledAt: at(122).toISOString() },
      );
    });

    test("a run without a record (the hub never opened one) gets one, with the sample in it", async () => {
      const s = server();
      await sampler.poll(s, scriptedUsage([proc(7, 700)]), at(61));
      const rec = await record(s.spawnId!);
      assert.ok(rec, "the record was opened");
      assert.deepEqual(
        {
          cpu: rec.cpuSeconds,
          peak: rec.peakMemoryBytes,
          startedAt: rec.startedAt.toISOString(),
          requestedAt: rec.requestedAt?.toISOString(),
          profile: rec.profile,
          user: rec.userId,
        },
        { cpu: 7, peak: 700, startedAt: T0.toISOString(), requestedAt: at(-5).toISOString(), profile: "small", user: userId },
      );
    });

    test("a run's end closes its record; a final sample (a local server's stop) settles it at once, another leaves it to settle()", async () => {
      for (const final of [true, false]) {
        const s = server();
        await sampler.opened(s, "{}", T0);
        await sampler.ended(s, { ...proc(9, 900), final }, "{}", at(300));
        const rec = await record(s.spawnId!);
        assert.deepEqual(
          { cpu: rec?.cpuSeconds, endedAt: rec?.endedAt?.toISOString(), settled: rec?.settled },
          { cpu: 9, endedAt: at(300).toISOString(), settled: final },
          final ? "final sample" : "sample that may change",
        );
      }
    });

    test("the record comes out as recordUsageSample writes it through Prisma, opened or not", async () => {
      const columns = (r: NonNullable<Awaited<ReturnType<typeof record>>>) => {
        const { id: _id, spawnId: _spawnId, serverName: _name, ...rest } = r;
        return rest;
      };
      for (const open of [true, false]) {
        const [viaPoll, viaPrisma] = [server(), server()];
        if (open) {
          await sampler.opened(viaPoll, "{}", T0);
          await sampler.opened(viaPrisma, "{}", T0);
        }
        await sampler.poll(viaPoll, scriptedUsage([proc(4, 400)]), at(61));
        const run = {
          userId,
          serverName: viaPrisma.name,
          spawnId: viaPrisma.spawnId!,
          spawnerKind: "scripted",
          profile: "small",
          requestedAt: at(-5),
          startedAt: T0,
        };
        await recordUsageSample(db, run, { sample: proc(4, 400), now: at(61), placement: {} });
        assert.deepEqual(columns((await record(viaPoll.spawnId!))!), columns((await record(viaPrisma.spawnId!))!), open ? "opened first" : "not opened");
      }
    });
  });
}
