// I/O: the command that runs the hub from a checkout: `node <flags> dist/hub/server.mjs` (npm run
// build) when the bundle is newer than every source it holds, else app/server.ts through tsx (a
// tree edited since its build). Used by scripts/gyre-up.ts (`npm start`) and the e2e harness.
import { existsSync, readdirSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { HUB_ENV, HUB_NODE_FLAGS } from "./node-flags";

/** Where scripts/build-hub.ts writes the hub's bundle, relative to the checkout. */
export const HUB_BUNDLE = "dist/hub/server.mjs";

/** The folders whose TypeScript the hub's bundle holds. */
const HUB_SOURCE_DIRS = ["app", "config", "proxy", "spawners", "prisma/generated"];

export interface HubCommand {
  file: string;
  args: string[];
  /** variables to add to the hub's environment (the caller's own win) */
  env: Record<string, string>;
  bundled: boolean;
}

/** Newest mtime (ms) of the .ts files under a folder. */
export function newestSource(dir: string): number {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".test.ts")) newest = Math.max(newest, statSync(resolve(e.parentPath, e.name)).mtimeMs);
  }
  return newest;
}

/** How to run the hub of the checkout at `root`; `tsxImport` is what `node --import` takes for tsx. */
export function hubCommand(opts: { root: string; tsxImport: string }): HubCommand {
  const bundle = resolve(opts.root, HUB_BUNDLE);
  const sources = Math.max(...HUB_SOURCE_DIRS.map((d) => newestSource(resolve(opts.root, d))));
  if (existsSync(bundle) && statSync(bundle).mtimeMs > sources)
    return { file: process.execPath, args: [...HUB_NODE_FLAGS, bundle], env: HUB_ENV, bundled: true };
  return { file: process.execPath, args: ["--import", opts.tsxImport, resolve(opts.root, "app/server.ts")], env: {}, bundled: false };
}
