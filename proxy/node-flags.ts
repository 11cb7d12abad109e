/**
 * Node flags the bundled proxy runs with (scripts/gyre-up.ts, the chart's proxy.command, the
 * benchmark). A 4 MiB young-generation semi-space instead of V8's 16 MiB: the proxy allocates
 * short-lived buffers at a high rate, and the default lets RSS climb ~25 MB under load for no
 * measurable CPU gain (bench: RSS at end 126 → 101 MB, CPU per request unchanged within noise;
 * 1 MiB cost ~10% CPU). docs/decisions.md "Proxy fast path".
 */
export const PROXY_NODE_FLAGS = ["--max-semi-space-size=4"];
