// The hub refuses to start with launch settings that cannot work, and says which option.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { execa } from "execa";

const ROOT = resolve(import.meta.dirname, "../../..");

async function startHub(env: Record<string, string>) {
  const dataDir = mkdtempSync(join(tmpdir(), "gyre-hub-start-"));
  try {
    return await execa(process.execPath, ["--import", "tsx", join(ROOT, "app/server.ts")], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: process.env.HOME ?? "/root",
        GYRE_HUB__DATA_DIR: dataDir,
        ...env,
      },
      extendEnv: false,
      reject: false,
      timeout: 60_000,
    });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

test("launch.profile that the active spawner does not have: the hub does not start and names the option", async () => {
  const r = await startHub({
    GYRE_SPAWNER__KIND: "batch",
    GYRE_SPAWNER__BATCH__PROFILES: JSON.stringify([{ name: "small", display: "small", walltimeSeconds: 600 }]),
    GYRE_LAUNCH__ENABLED: "true",
    GYRE_LAUNCH__PROFILE: "huge",
  });
  assert.equal(r.exitCode, 2, r.stderr);
  assert.match(r.stderr, /launch\.profile "huge" is not a profile of the batch spawner \(its profiles: small\)/);
});

test("a launch token file that cannot be read: the hub does not start and names the option", async () => {
  const r = await startHub({ GYRE_LAUNCH__GITHUB__TOKEN_FILE: "/nonexistent/gh-token" });
  assert.equal(r.exitCode, 2, r.stderr);
  assert.match(r.stderr, /launch\.github\.tokenFile: cannot read \/nonexistent\/gh-token/);
});
