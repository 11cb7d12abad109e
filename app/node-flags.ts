// How the bundled hub process (dist/hub/server.mjs, npm run build) is started: scripts/gyre-up.ts,
// the systemd unit, the image and the chart, the e2e harness and the benchmark.
// Measured with `npm run bench:hub` (bench/README.md, "Phase 3"); the proxy's are in proxy/node-flags.ts.

/**
 * Node flags. A 4 MiB young-generation semi-space instead of V8's 16 MiB: the REST answers and
 * bulk writes allocate short-lived objects at a high rate, and a smaller young generation leaves
 * less garbage standing. CPU per request unchanged within the noise.
 */
export const HUB_NODE_FLAGS = ["--max-semi-space-size=4"];

/**
 * Environment. Two glibc malloc arenas instead of one per allocating thread (Node's GC and
 * compiler threads, libuv's pool): freed memory is reused instead of held per thread. No effect
 * on musl. With HUB_NODE_FLAGS, medians of four rounds: RSS fresh 194 → 179 MB, at the end of
 * the bench 290 → 220 MB; with 1,001 users unchanged within the noise.
 */
export const HUB_ENV: Record<string, string> = { MALLOC_ARENA_MAX: "2" };
