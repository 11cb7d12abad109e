// How the bundled hub process (dist/hub/server.mjs, npm run build) is started: scripts/gyre-up.ts,
// the systemd unit, the image and the chart, the e2e harness and the benchmark.
// Measured with `npm run bench:hub` (bench/README.md, "Phase 3"); the proxy's are in proxy/node-flags.ts.

/**
 * Node flags. A 4 MiB young-generation semi-space instead of V8's 16 MiB: the REST answers and
 * bulk writes allocate short-lived objects at a high rate, and a smaller young generation leaves
 * less garbage standing. CPU per request unchanged within the noise.
 * `--heap-growing-percent=30`: after each full GC V8 lets the old generation grow to 1.3× what
 * survived before the next one, instead of a factor it picks between 1.1 and 4 (up to 4 when the
 * GC looks cheap, which let garbage pile up to ~3.7× the live heap). RSS with 1,001 users
 * 182–207 → 159–166 MB, hub CPU per list request, start and stop unchanged within the noise;
 * `--optimize-for-size` bounded RSS as well (145–153 MB) but cost CPU (list 4.6–5.2 against
 * 3.3–4.1 ms, stop 44–60 against 25–30 ms). No old-space cap (--max-old-space-size): a hub with
 * many users or a large bulk request would die instead of collecting (bench/README.md, phase 3h).
 */
export const HUB_NODE_FLAGS = ["--max-semi-space-size=4", "--heap-growing-percent=30"];

/**
 * Environment. Two glibc malloc arenas instead of one per allocating thread (Node's GC and
 * compiler threads, libuv's pool): freed memory is reused instead of held per thread. No effect
 * on musl. With HUB_NODE_FLAGS, medians of four rounds: RSS fresh 194 → 179 MB, at the end of
 * the bench 290 → 220 MB; with 1,001 users unchanged within the noise.
 */
export const HUB_ENV: Record<string, string> = { MALLOC_ARENA_MAX: "2" };
