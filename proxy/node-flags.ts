// How the bundled proxy process is started (scripts/gyre-up.ts, the chart's proxy Deployment, the
// benchmark, bundled-proxy tests). docs/decisions.md "Proxy fast path" → Memory.

/**
 * Node flags. A 4 MiB young-generation semi-space instead of V8's 16 MiB: the proxy allocates
 * short-lived buffers at a high rate, and the default let RSS climb ~25 MB under load for no
 * measurable CPU gain (bench: RSS at end 126 → 86–101 MB, CPU per request unchanged within
 * noise; 1 MiB cost ~10% CPU).
 */
export const PROXY_NODE_FLAGS = ["--max-semi-space-size=4"];

/**
 * Environment. glibc gives each thread that allocates its own malloc arena and keeps freed
 * memory there; Node's GC and compiler threads allocate too. Two arenas: RSS at the end of the
 * bench 97 → 83 MB, CPU per request unchanged (no effect on musl).
 */
export const PROXY_ENV: Record<string, string> = { MALLOC_ARENA_MAX: "2" };
