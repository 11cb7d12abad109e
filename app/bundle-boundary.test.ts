// The Next bundle (pages, route handlers, layouts) must not reach a spawner's I/O half: execa, the
// Kubernetes client, child processes belong to the hub's background services (app/server.ts), and
// spawner kinds load them lazily (spawners/kind.ts). esbuild follows the same imports Next does —
// dynamic ones included — and lists every file and package the entries reach.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";

const NEXT_FILES = /^(page|layout|route|error|not-found|loading|template|default)\.(ts|tsx)$/;
const FORBIDDEN_PACKAGES = ["execa", "@kubernetes/client-node", "node:child_process", "child_process"];
/** Files that hold a kind's I/O, or import every kind (the catalog). */
const FORBIDDEN_FILES = /^spawners\/(catalog|host)\.ts$|^spawners\/[^/]+\/(index|spawner|kind)\.ts$|^spawners\/kubernetes\/(client|watch)\.ts$/;

function nextEntries(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) nextEntries(p, out);
    else if (NEXT_FILES.test(e.name)) out.push(p);
  }
  return out;
}

test("pages and route handlers reach no spawner I/O, no execa, no Kubernetes client", async () => {
  const entryPoints = nextEntries("app");
  assert.ok(entryPoints.length > 20, `found ${entryPoints.length} Next entry files`);
  const { metafile } = await build({
    entryPoints,
    bundle: true,
    write: false,
    metafile: true,
    outdir: "/tmp/gyre-bundle-boundary",
    platform: "node",
    format: "esm",
    packages: "external",
    jsx: "automatic",
    logLevel: "silent",
    tsconfig: "tsconfig.json",
    loader: { ".css": "empty" },
  });
  const files = Object.keys(metafile.inputs);
  assert.ok(files.includes("spawners/spawn-options.ts"), "the pure spawn forms are reached (sanity check)");
  assert.deepEqual(
    files.filter((f) => FORBIDDEN_FILES.test(f)),
    [],
    "spawner I/O files in the Next bundle",
  );
  const packages = new Set(Object.values(metafile.inputs).flatMap((i) => i.imports.filter((x) => x.external).map((x) => x.path)));
  assert.deepEqual(
    FORBIDDEN_PACKAGES.filter((p) => packages.has(p)),
    [],
    "packages in the Next bundle",
  );
});
