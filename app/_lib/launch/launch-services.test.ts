import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "@/config/errors";
import { launchConfigSchema } from "@/config/launch-section";
import { checkLaunchProfile, createLaunchServices } from "./launch-services";

test("launch.profile must name a profile of the active spawner", () => {
  assert.doesNotThrow(() => checkLaunchProfile(undefined, [], "local"));
  assert.doesNotThrow(() => checkLaunchProfile("small", ["small", "gpu"], "batch"));
  assert.throws(
    () => checkLaunchProfile("big", ["small", "gpu"], "batch"),
    (e: unknown) => e instanceof ConfigError && /launch\.profile "big" is not a profile of the batch spawner \(its profiles: small, gpu\)/.test(e.message),
  );
  assert.throws(
    () => checkLaunchProfile("small", [], "local"),
    (e: unknown) => e instanceof ConfigError && /the local spawner has no profiles; remove launch\.profile/.test(e.message),
  );
});

test("API token files are read at start; a missing or empty one names its option", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "gyre-launch-tokens-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const token = join(dir, "gh-token");
  writeFileSync(token, "ghp_secret\n");
  const seen: Record<string, string>[] = [];
  const services = createLaunchServices(launchConfigSchema.parse({ allow: { githubOwners: ["org"] }, github: { tokenFile: token } }), {
    httpGet: async (_url, headers) => {
      seen.push(headers);
      return { status: 200, headers: {}, body: { sha: "a".repeat(40) } };
    },
  });
  const spec = {
    provider: "gh" as const,
    rawSpec: "org/r/main",
    ref: "main",
    repoUrl: "https://github.com/org/r",
    subject: { kind: "github" as const, owner: "org" },
    shortName: "r",
    repoPart: "org/r",
  };
  assert.equal((await services.resolver.resolve(spec)).commit, "a".repeat(40));
  assert.equal(seen[0].authorization, "Bearer ghp_secret");
  assert.throws(
    () => createLaunchServices(launchConfigSchema.parse({ gitlab: { tokenFile: join(dir, "missing") } })),
    (e: unknown) => e instanceof ConfigError && /launch\.gitlab\.tokenFile: cannot read .*missing \(ENOENT\)/.test(e.message),
  );
  writeFileSync(join(dir, "empty"), "\n");
  assert.throws(() => createLaunchServices(launchConfigSchema.parse({ github: { tokenFile: join(dir, "empty") } })), /launch\.github\.tokenFile: .* is empty/);
});
