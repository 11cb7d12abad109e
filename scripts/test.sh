#!/usr/bin/env bash
# One command from a fresh clone to the whole test suite (what CI runs): installs everything the
# tests need — Debian packages, npm deps, the build, single-host Grid Engine and Slurm — then
# runs `npm test` (unit, integration, real schedulers, end-to-end in Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
bash scripts/install-deps.sh --tests
echo "==> schedulers (Grid Engine, Slurm)"
bash scripts/setup-sge.sh >/tmp/gyre-setup-sge.log 2>&1 || { tail -40 /tmp/gyre-setup-sge.log; exit 1; }
bash scripts/setup-slurm.sh >/tmp/gyre-setup-slurm.log 2>&1 || { tail -40 /tmp/gyre-setup-slurm.log; exit 1; }
echo "==> setup took $(( $(date +%s) - start )) s"
npm test
