#!/usr/bin/env bash
# One command from a fresh clone to the whole test suite (what CI runs): installs everything the
# tests need — Debian packages, npm deps, the build, single-host Grid Engine and Slurm, a real
# kube-apiserver + etcd, the container image — then runs `npm test` (unit, integration, real
# schedulers, real API server, end-to-end in Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
bash scripts/install-deps.sh --tests
echo "==> schedulers (Grid Engine, Slurm)"
bash scripts/setup-sge.sh >/tmp/gyre-setup-sge.log 2>&1 || { tail -40 /tmp/gyre-setup-sge.log; exit 1; }
bash scripts/setup-slurm.sh >/tmp/gyre-setup-slurm.log 2>&1 || { tail -40 /tmp/gyre-setup-slurm.log; exit 1; }
bash scripts/setup-ssh.sh >/tmp/gyre-setup-ssh.log 2>&1 || { tail -40 /tmp/gyre-setup-ssh.log; exit 1; }
echo "==> kube-apiserver 1.20.2 (built once from Debian's source package, cached in /var/cache/gyre-kube)"
bash scripts/kube/build-apiserver.sh >/tmp/gyre-kube-build.log 2>&1 || { tail -40 /tmp/gyre-kube-build.log; exit 1; }
bash scripts/kube/kube-up.sh >/tmp/gyre-kube-up.log 2>&1 || { tail -40 /tmp/gyre-kube-up.log; exit 1; }
echo "==> container image (buildah; the Debian base cached in /var/cache/gyre-image)"
bash scripts/build-image.sh >/tmp/gyre-build-image.log 2>&1 || { tail -40 /tmp/gyre-build-image.log; exit 1; }
tail -1 /tmp/gyre-build-image.log
echo "==> setup took $(( $(date +%s) - start )) s"
npm test
