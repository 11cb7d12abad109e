// Plain JavaScript, not TypeScript: Next compiles a next.config.ts with its SWC binary at every
// start of the hub (even in production), which then stays loaded (~27 MB of the hub's RSS,
// bench/README.md, "Phase 3f"). @ts-check: editors check it against Next's types.
// @ts-check
import process from "node:process";

/** @type {import("next").NextConfig} */
const config = {
  // Everything the hub serves lives under /hub (JupyterHub's URL layout); the proxy owns /user.
  basePath: "/hub",
  poweredByHeader: false,
  reactStrictMode: true,
  // Native and Node-only packages stay outside the bundle.
  serverExternalPackages: ["@prisma/client", "@prisma/adapter-better-sqlite3", "@prisma/adapter-pg", "better-sqlite3", "pg", "pino", "execa"],
  // Next 16 loads every page's and route's server module when the hub starts; Gyre's pages then
  // stood in the heap of a hub that serves only its REST API and a few pages (7 MB of its 41 MB
  // live heap in the bench). Each module now loads at its first request: the first visit of a page
  // after a start takes ~70–110 ms more (bench/README.md, phase 3z).
  experimental: { preloadEntriesOnStart: false },
  // scripts/test.sh (CI) builds with GYRE_BUILD_SKIP_TYPECHECK=1: its static suite runs
  // `tsc --noEmit` over the same tsconfig.json after the build, .next/types included (Next writes
  // those before this check either way), so Next's own pass would check the same ~25 s over again.
  typescript: { ignoreBuildErrors: process.env.GYRE_BUILD_SKIP_TYPECHECK === "1" },
};

export default config;
