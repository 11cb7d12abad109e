import { test } from "node:test";
import assert from "node:assert/strict";
import { buildGitPullSpec, buildPrepareSpec } from "./agent-spec";
import { launchConfigSchema } from "@/config/launch-section";

test("the prepare spec the agent reads, from the launch config and one launch", () => {
  const config = launchConfigSchema.parse({ environment: { wheelhouse: "/srv/wheels", allowPostBuild: true }, git: { maxRepoBytes: 1000, depth: 0 } });
  assert.deepEqual(
    buildPrepareSpec({
      repoUrl: "https://github.com/org/demo",
      commit: "c".repeat(40),
      ref: "main",
      targetDir: "~/launches/demo-cccccccccccc",
      allowHttp: false,
      platform: "batch",
      config,
    }),
    {
      version: 1,
      repo: { url: "https://github.com/org/demo", commit: "c".repeat(40), ref: "main" },
      targetDir: "~/launches/demo-cccccccccccc",
      git: { allowHttp: false, depth: 0, timeoutSeconds: 300, maxBytes: 1000 },
      environment: {
        builder: "venv",
        cacheDir: "~/.cache/gyre/envs",
        basePython: null,
        pipIndexUrl: null,
        pipExtraIndexUrls: [],
        wheelhouse: "/srv/wheels",
        onlyBinary: false,
        condaCommand: "mamba",
        buildTimeoutSeconds: 1800,
        lockTimeoutSeconds: 1800,
        allowPostBuild: true,
        ignoreAptTxt: false,
        platform: "batch",
        kernelDisplayName: null,
      },
    },
  );
});

test("the git-pull spec", () => {
  const config = launchConfigSchema.parse({});
  assert.deepEqual(buildGitPullSpec({ repoUrl: "https://github.com/org/course", branch: null, targetDir: "~/course", allowHttp: false, config }), {
    version: 1,
    repo: { url: "https://github.com/org/course", branch: null },
    targetDir: "~/course",
    git: { allowHttp: false, depth: 1, timeoutSeconds: 300, maxBytes: 500_000_000 },
  });
});

test("launch config defaults are the safe ones", () => {
  const c = launchConfigSchema.parse({});
  assert.equal(c.enabled, false);
  assert.deepEqual(c.allow, { githubOwners: [], gitlabNamespaces: [], gistUsers: [], gitHosts: [], httpHosts: [] });
  assert.equal(c.environment.allowPostBuild, false);
  assert.equal(c.environment.ignoreAptTxt, false);
  assert.equal(c.github.allowSecretGists, false);
  assert.throws(() => launchConfigSchema.parse({ environment: { builder: "docker" } }));
  assert.throws(() => launchConfigSchema.parse({ unknownOption: 1 }));
});
