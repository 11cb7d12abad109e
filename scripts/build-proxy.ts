// Bundles the proxy (proxy/main.ts and everything it imports) into one ESM file,
// dist/proxy/main.mjs, so production and the benchmark run it with plain `node` — no tsx
// loader in the process (it cost about 15 MB RSS and start-up time). The npm packages are
// bundled too: resolving and reading ~300 module files was most of the start-up time
// (measured 0.6-0.9 s vs 0.3-0.5 s bundled on the shared 2-core box, and 6 MB less RSS), and
// a killed proxy must serve every route again within 1 s of its restart
// (proxy/proxy.replicas.int.test.ts).
// Run: tsx scripts/build-proxy.ts
import { build } from "esbuild";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

// Where the bundle goes; scripts/gyre-up.ts, bench/proxy-bench.ts and proxy/testing look for it here.
const PROXY_BUNDLE = resolve(ROOT, "dist/proxy/main.mjs");

await build({
  entryPoints: [resolve(ROOT, "proxy/main.ts")],
  outfile: PROXY_BUNDLE,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: "linked",
  logLevel: "warning",
  // Bundled CommonJS packages (prom-client, http-proxy-3, pino) call require() for Node's
  // built-ins, which an ES module lacks.
  banner: { js: 'import { createRequire as __gyreCreateRequire } from "node:module"; const require = __gyreCreateRequire(import.meta.url);' },
});
process.stdout.write(`built ${PROXY_BUNDLE}\n`);
