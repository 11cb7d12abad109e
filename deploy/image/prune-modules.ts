// I/O: deletes from an installed tree (the image's build context, after `npm prune --omit=dev`)
// the packages nothing at run time reaches (runtime-packages.ts says which) and the .bin links
// into them, then prints what went. Usage (scripts/build-image.sh):
//   node --import tsx deploy/image/prune-modules.ts <dir with package.json and node_modules>
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { unneededPackages, type LockEntry } from "./runtime-packages";

/** Bytes of the files under `path` (symbolic links not followed). */
function sizeOf(path: string): number {
  const st = lstatSync(path);
  if (!st.isDirectory()) return st.size;
  let sum = 0;
  for (const name of readdirSync(path)) sum += sizeOf(join(path, name));
  return sum;
}

function main(dir: string): void {
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
    dependencies?: Record<string, string>;
    optionalDependencies?: Record<string, string>;
  };
  // npm's record of the tree as installed (and pruned): node_modules/.package-lock.json
  const lock = JSON.parse(readFileSync(join(dir, "node_modules/.package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> };
  const roots = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {})];
  const gone = unneededPackages(lock.packages, roots).filter((p) => existsSync(join(dir, p)));
  let bytes = 0;
  for (const p of gone) {
    bytes += sizeOf(join(dir, p));
    rmSync(join(dir, p), { recursive: true, force: true });
  }
  // .bin links that pointed into a deleted package
  const bins = join(dir, "node_modules/.bin");
  if (existsSync(bins)) {
    for (const name of readdirSync(bins)) {
      const link = join(bins, name);
      if (lstatSync(link).isSymbolicLink() && !existsSync(resolve(dirname(link), readlinkSync(link)))) rmSync(link);
    }
  }
  const names = gone.map((p) => p.replace(/^.*node_modules\//, ""));
  console.log(`    removed ${gone.length} packages only optional peers kept (${(bytes / 2 ** 20).toFixed(0)} MB): ${names.join(", ")}`);
}

main(process.argv[2] ?? ".");
