// A background task of the hub that runs now and then on a timer or when woken, one run at a time,
// and whose stop waits for the run under way. The hub's shutdown disconnects the database right
// after the background services close: a run still writing then could leave Prisma's transaction
// manager holding a pg client for good (app/_lib/shutdown.ts), or log errors from a closed pool.

/** What startPeriodic returns. */
export interface PeriodicTask {
  /** Asks for a run: now if none is under way, else right after the one under way. */
  wake(): void;
  /** No more runs; resolves when the one under way (and one it was asked for before) has ended. */
  stop(): Promise<void>;
}

/**
 * Runs `run` every `everyMs` (the timer does not keep the process up) and when woken; with
 * `immediately`, once at the start too. Runs never overlap: a wake during a run gives one more run
 * after it. A run's error goes to `onError`; the next runs still happen.
 */
export function startPeriodic(opts: { run: () => Promise<void>; everyMs: number; immediately?: boolean; onError: (err: unknown) => void }): PeriodicTask {
  let running = false;
  let again = false;
  let stopped = false;
  /** the run under way, or the last one */
  let current: Promise<void> = Promise.resolve();

  const start = (): void => {
    running = true;
    current = (async () => {
      try {
        await opts.run();
      } catch (err) {
        opts.onError(err);
      } finally {
        running = false;
        if (again && !stopped) {
          again = false;
          start();
        }
      }
    })();
  };
  const wake = (): void => {
    if (stopped) return;
    if (running) again = true;
    else start();
  };
  const timer = setInterval(wake, opts.everyMs);
  timer.unref();
  if (opts.immediately) wake();
  return {
    wake,
    async stop() {
      stopped = true;
      clearInterval(timer);
      // a run that ended has started the one it was asked for: wait for that one too
      for (let run = current; ; run = current) {
        await run;
        if (run === current) return;
      }
    },
  };
}
