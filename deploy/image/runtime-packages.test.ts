import { test } from "node:test";
import assert from "node:assert/strict";
import { resolveFrom, runtimePackages, unneededPackages, type LockEntry } from "./runtime-packages";

// A lockfile's "packages" as npm writes them, cut down to the shape of Gyre's tree: Next with its
// optional peers installed by development dependencies, @prisma/client with the prisma CLI.
const packages: Record<string, LockEntry> = {
  "node_modules/next": {
    dependencies: { "styled-jsx": "5.1.6", postcss: "8.5.23" },
    optionalDependencies: { "@next/swc-linux-x64-gnu": "16.4.6", "@next/swc-darwin-arm64": "16.4.6", sharp: "^0.35.5" },
    peerDependencies: { react: "^19", "react-dom": "^19", "@playwright/test": "^1.51.1", sass: "^1.3.0" },
    peerDependenciesMeta: { "@playwright/test": { optional: true }, sass: { optional: true } },
  },
  "node_modules/next/node_modules/postcss": { dependencies: { nanoid: "^3" } },
  "node_modules/nanoid": {},
  "node_modules/postcss": { dependencies: { nanoid: "^3" } }, // a dev tool's copy (tailwind)
  "node_modules/styled-jsx": { peerDependencies: { react: "*" } },
  "node_modules/@next/swc-linux-x64-gnu": {},
  "node_modules/sharp": { dependencies: { "@img/sharp-linux-x64": "0.35.5" } },
  "node_modules/@img/sharp-linux-x64": {},
  "node_modules/react": {},
  "node_modules/react-dom": { dependencies: { scheduler: "^0.27" }, peerDependencies: { react: "^19" } },
  "node_modules/scheduler": {},
  "node_modules/@playwright/test": { dependencies: { playwright: "1.65.1" } },
  "node_modules/playwright": { dependencies: { "playwright-core": "1.65.1" } },
  "node_modules/playwright-core": {},
  "node_modules/@prisma/client": {
    peerDependencies: { prisma: "*", typescript: ">=5.1.0" },
    peerDependenciesMeta: { prisma: { optional: true }, typescript: { optional: true } },
  },
  "node_modules/prisma": {
    dependencies: { "@prisma/config": "6.19.3" },
    peerDependencies: { typescript: ">=5.1.0" },
    peerDependenciesMeta: { typescript: { optional: true } },
  },
  "node_modules/@prisma/config": { dependencies: { effect: "3.21.0" } },
  "node_modules/effect": { dependencies: { "fast-check": "^3" } },
  "node_modules/fast-check": {},
  "node_modules/typescript": {},
  // a package whose nested copy of a dependency wins over the top one
  "node_modules/pg": { dependencies: { "pg-types": "^2" } },
  "node_modules/pg/node_modules/pg-types": {},
  "node_modules/pg-types": {},
  "node_modules/@kubernetes/client-node": { dependencies: { "tar-fs": "^3" } },
  "node_modules/@kubernetes/client-node/node_modules/tar-fs": { dependencies: { pump: "^3" } },
  "node_modules/pump": {},
};
const roots = ["next", "react", "react-dom", "@prisma/client", "pg", "@kubernetes/client-node"];

test("Node's resolution: the nearest node_modules first, then each enclosing one", () => {
  assert.equal(resolveFrom(packages, "", "next"), "node_modules/next");
  assert.equal(resolveFrom(packages, "node_modules/next", "postcss"), "node_modules/next/node_modules/postcss");
  assert.equal(resolveFrom(packages, "node_modules/next/node_modules/postcss", "nanoid"), "node_modules/nanoid");
  assert.equal(resolveFrom(packages, "node_modules/@kubernetes/client-node/node_modules/tar-fs", "pump"), "node_modules/pump");
  assert.equal(resolveFrom(packages, "node_modules/next", "@next/swc-darwin-arm64"), null, "another platform's optional dependency is not installed");
});

test("what run time reaches: dependencies, optional dependencies and required peers; optional peers only when something requires them", () => {
  assert.deepEqual([...runtimePackages(packages, roots)].sort(), [
    "node_modules/@img/sharp-linux-x64",
    "node_modules/@kubernetes/client-node",
    "node_modules/@kubernetes/client-node/node_modules/tar-fs",
    "node_modules/@next/swc-linux-x64-gnu",
    "node_modules/@prisma/client",
    "node_modules/nanoid",
    "node_modules/next",
    "node_modules/next/node_modules/postcss",
    "node_modules/pg",
    "node_modules/pg/node_modules/pg-types",
    "node_modules/pump",
    "node_modules/react",
    "node_modules/react-dom",
    "node_modules/scheduler",
    "node_modules/sharp",
    "node_modules/styled-jsx",
  ]);
  // an optional peer the app itself depends on stays
  assert.ok(runtimePackages(packages, [...roots, "typescript"]).has("node_modules/typescript"));
});

test("to delete: the optional peers' trees and what only dev tools use, a nested package not twice", () => {
  assert.deepEqual(unneededPackages(packages, roots), [
    "node_modules/@playwright/test",
    "node_modules/@prisma/config",
    "node_modules/effect",
    "node_modules/fast-check",
    "node_modules/pg-types",
    "node_modules/playwright",
    "node_modules/playwright-core",
    "node_modules/postcss",
    "node_modules/prisma",
    "node_modules/typescript",
  ]);
  const nested = { ...packages, "node_modules/prisma/node_modules/x": {} };
  assert.ok(!unneededPackages(nested, roots).includes("node_modules/prisma/node_modules/x"), "goes with node_modules/prisma");
});
