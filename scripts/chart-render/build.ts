// Builds scripts/chart-render once per test process, offline in GOPATH mode against Debian's Go
// packages (golang-go, golang-github-masterminds-sprig-dev, golang-gopkg-yaml.v3-dev: installed by
// `bash scripts/install-deps.sh --tests`). Used by every test that renders the chart.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const REPO = resolve(import.meta.dirname, "../..");
const BIN_DIR = join(tmpdir(), "gyre-chart-render");

/** Path of the freshly built chart-render binary; throws with install advice when Go is missing. */
export function buildChartRender(): string {
  if (spawnSync("go", ["version"]).status !== 0) {
    throw new Error("`go` is not installed: run `bash scripts/install-deps.sh --tests` (golang-go + Debian's Sprig and yaml.v3 packages).");
  }
  const bin = join(BIN_DIR, "chart-render");
  mkdirSync(BIN_DIR, { recursive: true });
  execFileSync("go", ["build", "-o", bin, "./scripts/chart-render"], {
    cwd: REPO,
    env: { ...process.env, GO111MODULE: "off", GOPATH: process.env.GYRE_GOPATH ?? "/usr/share/gocode", GOFLAGS: "", GOCACHE: join(BIN_DIR, "cache") },
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (!existsSync(bin)) throw new Error(`go build did not produce ${bin}`);
  return bin;
}
