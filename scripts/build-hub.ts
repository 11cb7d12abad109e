// Bundles the hub's entry (app/server.ts and everything it imports outside Next's own build) into
// dist/hub/server.mjs, so production, `npm start` and the benchmark run it with plain `node`: no
// tsx loader compiling ~400 TypeScript files at start and keeping its state for the life of the
// process. Next (which loads its own build from .next), React, Prisma's runtime and the database
// drivers stay outside: they load files next to themselves (WebAssembly, native addons, Next's
// compiled pages). The spawner kinds' I/O modules, imported on demand (spawners/<kind>/kind.ts),
// become chunks beside the entry and load only for the configured kind.
// Run: tsx scripts/build-hub.ts
import { build } from "esbuild";
import { rm } from "node:fs/promises";
import { resolve } from "node:path";
import { ROOT, hubBundleOptions, nodeBundleOptions } from "./hub-bundle";

// Where the bundle goes; scripts/gyre-up.ts, the units, the image, the e2e harness and the bench run it.
const HUB_OUT_DIR = resolve(ROOT, "dist/hub");

await rm(HUB_OUT_DIR, { recursive: true, force: true });
await build({ entryPoints: { server: resolve(ROOT, "app/server.ts") }, ...hubBundleOptions(HUB_OUT_DIR) });
// The hub's process launcher (spawners/local/launcher/main.ts): its own small file with only Node's
// built-ins, run by the hub as a child with plain node (spawners/local/launcher/client.ts).
await build({ entryPoints: { launcher: resolve(ROOT, "spawners/local/launcher/main.ts") }, ...nodeBundleOptions(HUB_OUT_DIR) });
process.stdout.write(`built ${resolve(HUB_OUT_DIR, "server.mjs")} and ${resolve(HUB_OUT_DIR, "launcher.mjs")}\n`);
