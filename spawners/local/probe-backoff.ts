// How often the local spawner asks a starting server whether it answers yet: soon at first (a
// small server is up within a fraction of a second), then less and less often, at most
// READY_PROBE_MAX_MS apart. A Jupyter server takes 1–3 s to start, and every probe costs the hub a
// connection and a read of /proc: at a fixed 100 ms, 20 servers starting for 3 s were 600 probes,
// now 200 (the server is found at most READY_PROBE_MAX_MS after it answers). Pure.

/** The wait before the second probe (the first goes out at once). */
export const READY_PROBE_FIRST_MS = 50;
/** The longest wait between two probes. */
export const READY_PROBE_MAX_MS = 500;
/** Each wait is this many times the one before, up to READY_PROBE_MAX_MS. */
export const READY_PROBE_GROWTH = 1.5;

/** The wait after a probe that found nothing; `previousMs` null after the first probe. */
export function nextReadyProbeDelayMs(previousMs: number | null): number {
  if (previousMs === null) return READY_PROBE_FIRST_MS;
  return Math.min(READY_PROBE_MAX_MS, Math.round(previousMs * READY_PROBE_GROWTH));
}
