// How the hub's bundle is made (scripts/build-hub.ts): esbuild's options and the plugins that adapt
// our sources and Prisma's generated clients to a bundle in another folder than theirs. Shared
// with hub-bundle.int.test.ts, which bundles the database layer the same way and runs it.
import type { BuildOptions, Plugin } from "esbuild";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * V8 keeps the source text of every loaded script in the heap (functions compile lazily from it),
 * as one-byte text only when all of it is ASCII: one non-ASCII character left in a comment stored
 * the whole 2.2 MB entry as UTF-16 (4.2 MB of heap). Whitespace and comments go, syntax is
 * shortened, identifiers stay (stack traces and CPU profiles keep their names); esbuild escapes
 * what is left outside ASCII. bench/README.md, phase 3h.
 */
export const COMPACT = { minifyWhitespace: true, minifySyntax: true, charset: "ascii" } as const;

/** Packages loaded from node_modules at run time rather than bundled (see build-hub.ts's header). */
export const EXTERNAL = ["next", "next/*", "react", "react-dom", "@prisma/client", "@prisma/client/*", "@prisma/adapter-*", "better-sqlite3", "pg"];

/**
 * Our modules find files beside themselves through `import.meta.url` (app/server.ts the
 * repository root, spawners/agent/agent-bundle.ts the agent's Python package). In a bundle that
 * would be the bundle's folder, so each one of our sources gets its own file's URL, relative to
 * the bundle (the tree can move: the image unpacks it under /opt/gyre).
 */
export function sourceFileUrls(outDir: string): Plugin {
  return {
    name: "source-file-urls",
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, async (args) => {
        if (args.path.includes("/node_modules/")) return undefined;
        const text = await readFile(args.path, "utf8");
        if (!text.includes("import.meta.url")) return { contents: text, loader: "ts" };
        const fromBundle = relative(outDir, args.path);
        return { contents: text.replaceAll("import.meta.url", `new URL(${JSON.stringify(fromBundle)}, import.meta.url).href`), loader: "ts" };
      });
    },
  };
}

/** The lines of a generated client (prisma/generated/<provider>/internal/class.ts) that load the query compiler from base64 */
const WASM_BASE64_IMPORT =
  /const \{ wasm \} = await import\("@prisma\/client\/runtime\/(query_compiler_bg\.\w+\.wasm)-base64\.mjs"\)\s*\n\s*return await decodeBase64AsWasm\(wasm\)/;

/**
 * A generated client's text with the query compiler read from `<file>` beside the bundle instead
 * of decoded from Prisma's base64 module; `file` is that name (query_compiler_bg.<provider>.wasm).
 * Throws when the lines are not there: a Prisma upgrade that changes them must be looked at here.
 */
export function clientLoadingWasmFile(text: string, where: string): { contents: string; file: string } {
  const found = WASM_BASE64_IMPORT.exec(text);
  if (!found) throw new Error(`${where}: the query compiler's base64 import was not found (scripts/hub-bundle.ts expects Prisma 6's generated lines)`);
  const file = found[1];
  const load = `const { readFile } = await import("node:fs/promises")\n    return new WebAssembly.Module(await readFile(new URL(${JSON.stringify(`./${file}`)}, import.meta.url)))`;
  return { contents: text.replace(WASM_BASE64_IMPORT, () => load), file };
}

/**
 * Prisma's generated clients load the query compiler's WebAssembly from a module holding it as a
 * base64 string (2.5 MB). An ES module stays loaded for the life of the process, so its source
 * text and the string constant, ~5 MB of heap, stood in the hub's heap after the one decode. The
 * bundle gets the decoded bytes beside it and the clients read that file instead (bench/README.md,
 * phase 3z).
 */
export function queryCompilerFromFile(outDir: string): Plugin {
  return {
    name: "prisma-query-compiler-from-file",
    setup(b) {
      b.onLoad({ filter: /\/prisma\/generated\/\w+\/internal\/class\.ts$/ }, async (args) => {
        const { contents, file } = clientLoadingWasmFile(await readFile(args.path, "utf8"), relative(ROOT, args.path));
        const { wasm } = (await import(`@prisma/client/runtime/${file}-base64.mjs`)) as { wasm: string };
        await mkdir(outDir, { recursive: true });
        await writeFile(resolve(outDir, file), Buffer.from(wasm, "base64"));
        return { contents, loader: "ts" };
      });
    },
  };
}

/** esbuild's options for one ES module file per entry for node, into `outDir` (the launcher is built with these alone) */
export function nodeBundleOptions(outDir: string) {
  return {
    outdir: outDir,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    sourcemap: "linked",
    logLevel: "warning",
    ...COMPACT,
  } satisfies BuildOptions;
}

/** esbuild's options for a bundle of the hub's code (an entry of app/ or of its modules) into `outDir` */
export function hubBundleOptions(outDir: string): BuildOptions {
  return {
    ...nodeBundleOptions(outDir),
    splitting: true,
    external: EXTERNAL,
    // the generated clients' own loader first: both match prisma/generated/*/internal/class.ts
    plugins: [queryCompilerFromFile(outDir), sourceFileUrls(outDir)],
    // Bundled CommonJS packages (express, pino, execa's helpers) call require() for Node's
    // built-ins, which an ES module lacks.
    banner: { js: 'import { createRequire as __gyreCreateRequire } from "node:module"; const require = __gyreCreateRequire(import.meta.url);' },
  };
}
