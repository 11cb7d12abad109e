// startPeriodic: one run at a time, a wake during a run gives one more run, and stop() resolves
// only when the run under way (and the one it was asked for) has ended. Runs are held open by
// promises the test releases, so nothing depends on timing but the timer test's interval.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startPeriodic } from "./periodic";

/** A run the test ends by hand, and a log of what happened. */
function gatedRuns() {
  const events: string[] = [];
  const gates: Array<() => void> = [];
  let n = 0;
  const run = async () => {
    const i = ++n;
    events.push(`start ${i}`);
    await new Promise<void>((resolve) => gates.push(resolve));
    events.push(`end ${i}`);
  };
  return { events, run, release: () => gates.shift()?.() };
}
const turn = () => new Promise((r) => setImmediate(r));

test("stop() waits for the run under way", async () => {
  const { events, run, release } = gatedRuns();
  const task = startPeriodic({ run, everyMs: 60_000, immediately: true, onError: (err) => assert.fail(String(err)) });
  let stopped = false;
  const stopping = task.stop().then(() => (stopped = true));
  await turn();
  assert.equal(stopped, false, "stop() resolved while a run was under way");
  release();
  await stopping;
  assert.deepEqual(events, ["start 1", "end 1"]);
});

test("wakes during a run give one more run after it, never two at once; stop() waits for that one too", async () => {
  const { events, run, release } = gatedRuns();
  const task = startPeriodic({ run, everyMs: 60_000, immediately: true, onError: (err) => assert.fail(String(err)) });
  task.wake();
  task.wake();
  await turn();
  assert.deepEqual(events, ["start 1"]);
  release();
  await turn();
  assert.deepEqual(events, ["start 1", "end 1", "start 2"]);
  const stopping = task.stop();
  task.wake(); // after stop: nothing more
  release();
  await stopping;
  assert.deepEqual(events, ["start 1", "end 1", "start 2", "end 2"]);
});

test("a run's error goes to onError and later runs still happen", async () => {
  const errors: unknown[] = [];
  let runs = 0;
  const task = startPeriodic({
    run: async () => {
      if (++runs === 1) throw new Error("database gone");
    },
    everyMs: 60_000,
    immediately: true,
    onError: (err) => errors.push(err),
  });
  await turn();
  task.wake();
  await task.stop();
  assert.equal(runs, 2);
  assert.deepEqual(
    errors.map((e) => (e as Error).message),
    ["database gone"],
  );
});

test("the timer runs it; without `immediately` nothing runs before the first tick; stopped, the timer does not", async () => {
  let runs = 0;
  const task = startPeriodic({ run: async () => void runs++, everyMs: 20, onError: (err) => assert.fail(String(err)) });
  assert.equal(runs, 0);
  for (const deadline = Date.now() + 5000; runs < 2;) {
    assert.ok(Date.now() < deadline, `${runs} runs in 5 s at one per 20 ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
  await task.stop();
  const after = runs;
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(runs, after);
});
