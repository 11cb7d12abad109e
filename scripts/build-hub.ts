// Bundles the hub's entry (app/server.ts and everything it imports outside Next's own build) into
// dist/hub/server.mjs, so production, `npm start` and the benchmark run it with plain `node`: no
// tsx loader compiling ~400 TypeScript files at start and keeping its state for the life of the
// process. Next (which loads its own build from .next), React, Prisma's runtime and the database
// drivers stay outside: they load files next to themselves (WebAssembly, native addons, Next's
// compiled pages). The spawner kinds' I/O modules, imported on demand (spawners/<kind>/kind.ts),
// become chunks beside the entry and load only for the configured kind.
// Run: tsx scripts/build-hub.ts
import { build, type Plugin } from "esbuild";
import { readFile, rm } from "node:fs/promises";
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

// Where the bundle goes; scripts/gyre-up.ts, the units, the image, the e2e harness and the bench run it.
const HUB_OUT_DIR = resolve(ROOT, "dist/hub");

/**
 * V8 keeps the source text of every loaded script in the heap (functions compile lazily from it),
 * as one-byte text only when all of it is ASCII: one non-ASCII character left in a comment stored
 * the whole 2.2 MB entry as UTF-16 (4.2 MB of heap). Whitespace and comments go, syntax is
 * shortened, identifiers stay (stack traces and CPU profiles keep their names); esbuild escapes
 * what is left outside ASCII. bench/README.md, phase 3h.
 */
const COMPACT = { minifyWhitespace: true, minifySyntax: true, charset: "ascii" } as const;

/** Packages loaded from node_modules at run time rather than bundled (see the header). */
const EXTERNAL = ["next", "next/*", "react", "react-dom", "@prisma/client", "@prisma/client/*", "@prisma/adapter-*", "better-sqlite3", "pg"];

/**
 * Our modules find files beside themselves through `import.meta.url` (app/server.ts the
 * repository root, spawners/agent/agent-bundle.ts the agent's Python package). In the bundle that
 * would be dist/hub/…, so each one of our sources gets its own file's URL, relative to the bundle
 * (the tree can move: the image unpacks it under /opt/gyre).
 */
const sourceFileUrls: Plugin = {
  name: "source-file-urls",
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (args.path.includes("/node_modules/")) return undefined;
      const text = await readFile(args.path, "utf8");
      if (!text.includes("import.meta.url")) return { contents: text, loader: "ts" };
      const fromBundle = relative(HUB_OUT_DIR, args.path);
      return { contents: text.replaceAll("import.meta.url", `new URL(${JSON.stringify(fromBundle)}, import.meta.url).href`), loader: "ts" };
    });
  },
};

await rm(HUB_OUT_DIR, { recursive: true, force: true });
await build({
  entryPoints: { server: resolve(ROOT, "app/server.ts") },
  outdir: HUB_OUT_DIR,
  outExtension: { ".js": ".mjs" },
  bundle: true,
  splitting: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: "linked",
  logLevel: "warning",
  ...COMPACT,
  external: EXTERNAL,
  plugins: [sourceFileUrls],
  // Bundled CommonJS packages (express, pino, execa's helpers) call require() for Node's
  // built-ins, which an ES module lacks.
  banner: { js: 'import { createRequire as __gyreCreateRequire } from "node:module"; const require = __gyreCreateRequire(import.meta.url);' },
});
// The hub's process launcher (spawners/local/launcher/main.ts): its own small file with only Node's
// built-ins, run by the hub as a child with plain node (spawners/local/launcher/client.ts).
await build({
  entryPoints: { launcher: resolve(ROOT, "spawners/local/launcher/main.ts") },
  outdir: HUB_OUT_DIR,
  outExtension: { ".js": ".mjs" },
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: "linked",
  logLevel: "warning",
  ...COMPACT,
});
process.stdout.write(`built ${resolve(HUB_OUT_DIR, "server.mjs")} and ${resolve(HUB_OUT_DIR, "launcher.mjs")}\n`);
