// Pure: which installed packages the hub and proxy can load at run time, from npm's lockfile of
// an installed tree. `npm prune --omit=dev` keeps every optional peer dependency a production
// package declares when a development dependency installed it (npm marks them "devOptional"):
// Next's @playwright/test, @prisma/client's prisma CLI (with effect) and typescript, ~150 MB
// nothing at run time requires. What a production package needs is what it can `require` through
// its dependencies, optional dependencies and required peers; an optional peer is loaded only if
// present, and only code paths of builds, tests and CLIs look for these.

/** One entry of a lockfile's "packages" (only the fields read here). */
export interface LockEntry {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  link?: boolean;
  resolved?: string;
}

/**
 * The lockfile paths ("node_modules/a", "node_modules/a/node_modules/b") reachable from `roots`
 * (the app's production dependencies) the way Node resolves them: a dependency of the package at
 * P is P/node_modules/<name>, else the same name in each enclosing node_modules up to the top.
 * Names no entry provides (an optional dependency for another platform) are skipped.
 */
export function runtimePackages(packages: Readonly<Record<string, LockEntry>>, roots: Iterable<string>): Set<string> {
  const needed = new Set<string>();
  const queue: string[] = [];
  const visit = (from: string, name: string) => {
    const path = resolveFrom(packages, from, name);
    if (path === null || needed.has(path)) return;
    needed.add(path);
    queue.push(path);
  };
  for (const name of roots) visit("", name);
  while (queue.length) {
    const path = queue.shift()!;
    const entry = packages[path];
    // a link ("link": true) points at the real entry under "resolved"
    const target = entry.link && entry.resolved ? entry.resolved : path;
    if (target !== path && packages[target] && !needed.has(target)) {
      needed.add(target);
      queue.push(target);
    }
    const e = packages[target] ?? entry;
    const optionalPeers = new Set(Object.entries(e.peerDependenciesMeta ?? {}).flatMap(([name, meta]) => (meta.optional ? [name] : [])));
    const names = [
      ...Object.keys(e.dependencies ?? {}),
      ...Object.keys(e.optionalDependencies ?? {}),
      ...Object.keys(e.peerDependencies ?? {}).filter((name) => !optionalPeers.has(name)),
    ];
    for (const name of names) visit(target, name);
  }
  return needed;
}

/** Where `name` resolves from the package at `from` ("" = the app), or null when nowhere. */
export function resolveFrom(packages: Readonly<Record<string, LockEntry>>, from: string, name: string): string | null {
  let dir = from;
  for (;;) {
    const candidate = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!dir) return null;
    // up to the enclosing package: "node_modules/a/node_modules/@s/b" → "node_modules/a"
    const i = dir.lastIndexOf("/node_modules/");
    dir = i < 0 ? "" : dir.slice(0, i);
  }
}

/** The installed packages nothing at run time reaches: to delete, outermost first. */
export function unneededPackages(packages: Readonly<Record<string, LockEntry>>, roots: Iterable<string>): string[] {
  const needed = runtimePackages(packages, roots);
  const out = Object.keys(packages)
    .filter((p) => p.startsWith("node_modules/") && !needed.has(p))
    .sort();
  // a package inside one already deleted goes with it
  return out.filter((p, i) => !out.slice(0, i).some((q) => p.startsWith(`${q}/`)));
}
