// I/O: gives the memory glibc's malloc holds free back to the kernel, after the hub's major GCs.
// glibc returns a freed chunk only from the top of an arena; pages free inside an arena stay
// resident. In the hub that is ~25 MB of its ~147 MB after a full GC — what the bulk creates, list
// answers and storms allocated outside V8's heap and freed (bench/README.md, phase 3i). No
// environment setting releases them (MALLOC_ARENA_MAX, MALLOC_TRIM_THRESHOLD_,
// MALLOC_MMAP_THRESHOLD_ were measured); glibc's malloc_trim(0) does, and JavaScript cannot call
// it. SQLite's extension loader can: it opens a shared library and calls the named function with
// (db, &errmsg, api). libc's malloc_trim(size_t pad) takes the first as its pad, which only bounds
// the trim of the main arena's top (a pointer's value: no top trim); the free pages inside every
// arena are released whatever its value. The first argument is passed in the same register for a
// pointer and a size_t on x86-64 and arm64. It returns 1 when memory was released, which SQLite
// reports as "error during initialization"; 0 when there was nothing to release. Another libc
// (musl) has no malloc_trim: the first failure turns it off.
import { PerformanceObserver, constants } from "node:perf_hooks";
import type BetterSqlite3 from "better-sqlite3";
import type { Logger } from "pino";

/** What one trim did: released memory, found nothing to release, or cannot run here. */
export type TrimResult = "released" | "nothing" | "unavailable";

const RELEASED = /error during initialization/;

/** A trimmer on its own in-memory connection (never the hub's database); `library`: the C library to call malloc_trim in. */
export function mallocTrimmer(Database: typeof BetterSqlite3, library = "libc.so.6"): { trim(): TrimResult; close(): void } {
  let db: BetterSqlite3.Database | null = new Database(":memory:");
  return {
    trim() {
      if (!db) return "unavailable";
      try {
        // better-sqlite3 passes an entry point on (its types name only the file)
        (db.loadExtension as (file: string, entryPoint: string) => void)(library, "malloc_trim");
        return "nothing";
      } catch (err) {
        if (RELEASED.test((err as Error).message)) return "released";
        db.close();
        db = null;
        return "unavailable";
      }
    },
    close() {
      db?.close();
      db = null;
    },
  };
}

/** Whether a major GC at `now` should be followed by a trim: at most one per `minIntervalMs`. */
export function trimDue(lastTrimMs: number | null, nowMs: number, minIntervalMs: number): boolean {
  return lastTrimMs === null || nowMs - lastTrimMs >= minIntervalMs;
}

/**
 * Trims after major GCs (V8's mark-compact: what the hub freed is free by then), at most once per
 * `minIntervalMs` (a trim walks malloc's free lists: ~1 ms). Returns the stop function.
 */
export function trimAfterMajorGcs(opts: { Database: typeof BetterSqlite3; log: Logger; minIntervalMs?: number }): () => void {
  const trimmer = mallocTrimmer(opts.Database);
  const minIntervalMs = opts.minIntervalMs ?? 10_000;
  let last: number | null = null;
  const observer = new PerformanceObserver((list) => {
    if (!list.getEntries().some((e) => (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR)) return;
    const now = performance.now();
    if (!trimDue(last, now, minIntervalMs)) return;
    last = now;
    // after the GC's own callbacks: the trim is not part of the pause
    setImmediate(() => {
      const result = trimmer.trim();
      if (result === "unavailable") {
        opts.log.debug("malloc_trim is not available here (not glibc): free malloc memory stays resident");
        observer.disconnect();
      }
    });
  });
  observer.observe({ entryTypes: ["gc"] });
  return () => {
    observer.disconnect();
    trimmer.close();
  };
}
