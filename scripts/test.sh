#!/usr/bin/env bash
# One command from a fresh clone to the whole test suite (what CI runs): installs everything the
# tests need — Debian packages, npm deps, the build, single-host Grid Engine and Slurm, a real
# kube-apiserver + etcd, the container image — then runs `npm test` (unit, integration, real
# schedulers, real API server, end-to-end in Chromium). Every step and suite prints its time.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
took() { echo "==> $1 took $(($(date +%s) - $2)) s"; }

# Two steps only later suites need run in the background while the steps and suites before them
# run: run-tests.ts waits for a step's status file ($GYRE_SETUP_DIR/<name>.status, its exit code)
# before the first suite that needs it, and prints the step's log tail if it failed. Both run at
# nice 19, so the rest meanwhile gets the CPU whenever it wants it.
#   kube   kube-apiserver 1.20.2, built once from Debian's source package and cached in
#          /var/cache/gyre-kube (on a new machine that build takes 8-11 min of both cores), then
#          started (etcd and the apiserver on ports 7201, 7202, 7243 and 7244 only, which no
#          other suite uses; kube-up is not niced: they serve the tests): awaited before the kube
#          suite and e2e. It starts as soon as the Debian packages are in (install-deps.sh
#          installs the build's packages too, so it installs none of its own): started after the
#          schedulers' set-up, on a new machine it was still building when the hpc suite ended,
#          and that lane waited 2.5 min for it.
#   image  the container image (buildah; the Debian base cached in /var/cache/gyre-image), for
#          deploy/image/image.int.test.ts: awaited after the rest of the integration suite,
#          before that file (run last). Started after every step that uses apt/dpkg.
export GYRE_SETUP_DIR=/tmp/gyre-setup
rm -rf "$GYRE_SETUP_DIR" && mkdir -p "$GYRE_SETUP_DIR"
background() {
  local name=$1
  shift
  (
    t=$(date +%s)
    set +e
    "$@" >"$GYRE_SETUP_DIR/$name.log" 2>&1
    rc=$?
    echo "==> $name (in the background) took $(($(date +%s) - t)) s, exit $rc" >>"$GYRE_SETUP_DIR/$name.log"
    echo "$rc" >"$GYRE_SETUP_DIR/$name.status.tmp" && mv "$GYRE_SETUP_DIR/$name.status.tmp" "$GYRE_SETUP_DIR/$name.status"
  ) &
}

t=$(date +%s)
bash scripts/install-deps.sh --tests --packages-only
echo "==> in the background: kube-apiserver (log in $GYRE_SETUP_DIR)"
background kube bash -c 'nice -n 19 bash scripts/kube/build-apiserver.sh && bash scripts/kube/kube-up.sh'
# Next's type check in the build is the static suite's `tsc --noEmit` (same tsconfig, which
# includes the build's .next/types), so only that one runs (next.config.mjs)
GYRE_BUILD_SKIP_TYPECHECK=1 bash scripts/install-deps.sh --tests
took "install and build" "$t"

echo "==> schedulers (Grid Engine, Slurm, sshd)"
t=$(date +%s)
bash scripts/setup-sge.sh >/tmp/gyre-setup-sge.log 2>&1 || { tail -40 /tmp/gyre-setup-sge.log; exit 1; }
bash scripts/setup-slurm.sh >/tmp/gyre-setup-slurm.log 2>&1 || { tail -40 /tmp/gyre-setup-slurm.log; exit 1; }
bash scripts/setup-ssh.sh >/tmp/gyre-setup-ssh.log 2>&1 || { tail -40 /tmp/gyre-setup-ssh.log; exit 1; }
took "schedulers" "$t"

echo "==> in the background: container image (log in $GYRE_SETUP_DIR)"
background image nice -n 19 bash scripts/build-image.sh
took "setup" "$start"
npm test
