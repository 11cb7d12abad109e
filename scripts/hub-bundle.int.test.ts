// The hub's database layer bundled as scripts/build-hub.ts bundles it (hub-bundle.ts's options and
// plugins), then run: each provider's Prisma client loads its query compiler from the .wasm file
// written beside the bundle, not from Prisma's base64 module, and answers queries on a real
// database (a SQLite file; a throwaway PostgreSQL server).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { startTestPostgres, type TestPostgres } from "../app/_lib/testing/postgres";
import { ROOT, clientLoadingWasmFile, hubBundleOptions } from "./hub-bundle";
import type { openDatabase as OpenDatabase } from "../app/_lib/db/open";
import type { applyMigrations as ApplyMigrations } from "../app/_lib/db/migrate";

describe("a generated client's query compiler, read from a file", () => {
  for (const provider of ["sqlite", "postgres"]) {
    test(`prisma/generated/${provider}: the base64 import becomes a read of the file beside the bundle`, () => {
      const text = readFileSync(join(ROOT, `prisma/generated/${provider}/internal/class.ts`), "utf8");
      const { contents, file } = clientLoadingWasmFile(text, provider);
      assert.equal(file, `query_compiler_bg.${provider === "postgres" ? "postgresql" : provider}.wasm`);
      assert.doesNotMatch(contents, /wasm-base64/);
      assert.match(contents, new RegExp(`readFile\\(new URL\\("\\./${file.replaceAll(".", "\\.")}", import\\.meta\\.url\\)\\)`));
    });
  }

  test("a client without the expected lines fails the build, naming the file", () => {
    assert.throws(
      () => clientLoadingWasmFile("config.compilerWasm = undefined", "prisma/generated/x/internal/class.ts"),
      /prisma\/generated\/x\/internal\/class\.ts: the query compiler's base64 import was not found/,
    );
  });
});

describe("the bundled database layer on a real database", () => {
  // inside the tree: the bundle's external packages (Prisma's runtime, the drivers) resolve from node_modules
  const out = (mkdirSync(join(ROOT, "dist"), { recursive: true }), mkdtempSync(join(ROOT, "dist", "bundle-test-")));
  let bundle: { openDatabase: typeof OpenDatabase; applyMigrations: typeof ApplyMigrations };
  let pg: TestPostgres | undefined;
  const dirs: string[] = [];

  before(async () => {
    await build({
      ...hubBundleOptions(out),
      stdin: {
        contents: 'export { openDatabase } from "./app/_lib/db/open"; export { applyMigrations } from "./app/_lib/db/migrate";',
        resolveDir: ROOT,
        loader: "ts",
        sourcefile: "entry.ts",
      },
      entryNames: "db",
      sourcemap: false,
    });
    bundle = (await import(pathToFileURL(join(out, "db.mjs")).href)) as typeof bundle;
  });
  after(async () => {
    await pg?.stop();
    rmSync(out, { recursive: true, force: true });
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test("the bundle holds each provider's query compiler as a file and no base64 module", () => {
    const files = readdirSync(out);
    assert.ok(files.includes("query_compiler_bg.sqlite.wasm") && files.includes("query_compiler_bg.postgresql.wasm"), files.join(" "));
    for (const f of files.filter((f) => f.endsWith(".mjs"))) assert.doesNotMatch(readFileSync(join(out, f), "utf8"), /wasm-base64/, f);
    for (const f of files.filter((f) => f.endsWith(".wasm"))) assert.ok(WebAssembly.validate(readFileSync(join(out, f))), `${f} is WebAssembly`);
  });

  for (const provider of ["sqlite", "postgres"] as const)
    test(`on ${provider}: the bundled client writes and reads through its query compiler`, async () => {
      let url: string;
      if (provider === "postgres") {
        pg = await startTestPostgres(7688);
        url = pg.url;
      } else {
        const dir = mkdtempSync(join(tmpdir(), "gyre-bundle-db-"));
        dirs.push(dir);
        url = `file:${join(dir, "gyre.db")}`;
      }
      const { db } = await bundle.openDatabase(url);
      try {
        await bundle.applyMigrations(db, provider, ROOT);
        await db.user.create({ data: { name: "ada" } });
        await db.user.create({ data: { name: "grace", admin: true } });
        assert.deepEqual(
          (await db.user.findMany({ where: { admin: false }, select: { name: true } })).map((u) => u.name),
          ["ada"],
        );
        assert.equal(await db.user.count(), 2);
      } finally {
        await db.$disconnect();
      }
    });
});
