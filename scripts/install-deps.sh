#!/usr/bin/env bash
# Installs what Gyre needs on a fresh Debian 12 / Ubuntu machine, idempotently, and says what it is
# doing while it does it:
#   Debian packages (Jupyter server + classic UI, ipykernel, the Pangeo core: xarray, dask, zarr,
#   netCDF…; with --tests also Chromium, PostgreSQL and Go with the chart renderer's packages),
#   npm dependencies, the generated Prisma clients and the Next.js build.
# Usage: bash scripts/install-deps.sh [--tests] [--packages-only]
#   --packages-only  stop once the Debian packages are in (scripts/test.sh starts the
#                    kube-apiserver build in the background then, and calls this again for the rest)
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# What every Jupyter server needs, plus the Pangeo core a scientist's first cell imports.
RUNTIME_PKGS=(jupyter-server python3-jupyter-server jupyter-notebook python3-nbclassic python3-ipykernel
  python3-numpy python3-pandas python3-scipy python3-xarray python3-dask python3-distributed
  python3-zarr python3-netcdf4 python3-h5netcdf python3-matplotlib
  git sudo procps curl util-linux passwd iproute2
  python3-venv python3-pip)
# (python3-venv, python3-pip: launch links build a repository's requirements.txt into a venv where
# servers run, here on the hub host; git: the hub resolves refs with ls-remote, the agent fetches)
# Tests only: the browser, the database server, Go + Debian's Sprig and yaml.v3 for the chart
# renderer (scripts/chart-render, built offline in GOPATH mode), wrk for npm run bench:proxy,
# systemd for systemd-analyze (deploy/systemd/units.int.test.ts; it is not started as init), and
# jupyterhub for its real clients (HubAuth) in e2e/jupyterhub-clients.spec.ts, and (3.0, with its
# configurable-http-proxy) as the reference hub of npm run bench:hub; buildah and debootstrap build
# the container image (scripts/build-image.sh, tested by deploy/image/image.int.test.ts); slurmdbd
# and mariadb-server keep the test Slurm's accounting, so sacct answers (scripts/setup-slurm.sh,
# which installs and starts the rest of Slurm); etcd-server, rsync, make, reflect2 and dpkg-dev are
# what scripts/kube/build-apiserver.sh needs besides Go: installed here, that build (which
# scripts/test.sh starts right after the packages) never installs packages while others do.
TEST_PKGS=(chromium postgresql fonts-liberation golang-go golang-github-masterminds-sprig-dev golang-gopkg-yaml.v3-dev wrk systemd jupyterhub buildah debootstrap
  slurmdbd mariadb-server etcd-server rsync make golang-github-modern-go-reflect2-dev dpkg-dev)
tests=0
packages_only=0
for arg in "$@"; do
  case $arg in
    --tests) tests=1 ;;
    --packages-only) packages_only=1 ;;
    *) echo "install-deps.sh: unknown option $arg (usage: install-deps.sh [--tests] [--packages-only])" >&2; exit 2 ;;
  esac
done
pkgs=("${RUNTIME_PKGS[@]}")
if [ "$tests" = 1 ]; then pkgs+=("${TEST_PKGS[@]}"); fi

t_all=$(date +%s)
elapsed() { local s=$(( $(date +%s) - $1 )); printf '%dm%02ds' $((s / 60)) $((s % 60)); }

# Runs "$@" with its output in a log file, printing a progress line every 10 s (from the function
# named in $2, given the log) and the log's tail if the step fails.
run_step() {
  local label=$1 progress_fn=$2 log
  shift 2
  log=$(mktemp /tmp/gyre-install.XXXXXX)
  local t0; t0=$(date +%s)
  "$@" >"$log" 2>&1 &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null && sleep 1; done
    kill -0 "$pid" 2>/dev/null && echo "    … $label: $($progress_fn "$log") ($(elapsed "$t0"))"
  done
  if ! wait "$pid"; then
    echo "!! $label failed; last lines of its output:" >&2
    tail -40 "$log" >&2
    rm -f "$log"
    return 1
  fi
  echo "    $label done in $(elapsed "$t0")"
  rm -f "$log"
}

apt_progress() {
  local total set_up
  total=$(grep -oE '[0-9]+ newly installed' "$1" | grep -oE '^[0-9]+' | head -1 || true)
  set_up=$(grep -c '^Setting up ' "$1" || true)
  if [ "$set_up" -gt 0 ]; then
    echo "set up $set_up of ${total:-?} packages"
  elif grep -q '^Unpacking ' "$1"; then
    echo "unpacked $(grep -c '^Unpacking ' "$1") of ${total:-?} packages"
  elif grep -q '^Get:' "$1"; then
    echo "downloading ($(grep -c '^Get:' "$1") files so far${total:+ for $total packages})"
  else
    echo "reading package lists"
  fi
}

apt_install() {
  $SUDO apt-get -o DPkg::Lock::Timeout=900 update -q &&
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends "$@"
}

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "==> Debian packages: installing ${#missing[@]} (${missing[*]}) and their dependencies"
  echo "    about 2–4 minutes on a fresh machine (Jupyter and the Pangeo stack are ~300 MB)"
  run_step "apt-get install" apt_progress apt_install "${missing[@]}"
fi
if [ "$packages_only" = 1 ]; then
  echo "==> Debian packages in place ($(elapsed "$t_all"))"
  exit 0
fi

if ! command -v node >/dev/null || ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=9)?0:1)'; then
  echo "Gyre needs Node.js >= 20.9 and npm (found: $(node --version 2>/dev/null || echo none))." >&2
  exit 1
fi

npm_progress() {
  # Unpacking takes seconds; compiling better-sqlite3's native addon (node-gyp) most of the rest.
  if pgrep -f 'node-gyp|cc1plus' >/dev/null 2>&1; then
    echo "compiling better-sqlite3's native addon (node-gyp, about a minute)"
  else
    echo "$(find node_modules -mindepth 1 -maxdepth 2 -name package.json 2>/dev/null | wc -l) + $(find node_modules -mindepth 3 -maxdepth 3 -path 'node_modules/@*/*/package.json' 2>/dev/null | wc -l) scoped packages unpacked"
  fi
}

# better-sqlite3's install script runs prebuild-install, which unpacks a prebuilt addon from npm's
# cache (<cache>/_prebuilds) or downloads one from GitHub, and when it finds neither, node-gyp
# compiles it: most of a fresh clone's npm install (about 2 of its 3 minutes, both cores busy;
# two copies here, ours and @prisma/adapter-better-sqlite3's). Once compiled, each copy's addon is
# put into that cache under the name prebuild-install looks for (it carries the package version,
# Node's ABI, platform and arch), so the next fresh clone on this machine unpacks it in a second.
# prebuild-install loads an unpacked addon to check it and compiles when that fails, so a bad
# entry costs only the time saved.
keep_sqlite_addons() {
  local cache addon dir entry
  cache=$(npm config get cache) || return 0
  find node_modules -path '*/better-sqlite3/build/Release/better_sqlite3.node' -print | while read -r addon; do
    dir=${addon%/build/Release/better_sqlite3.node}
    entry=$(cd "$dir" && npm_config_cache="$cache" node -e '
      const pkg = require("./package.json");
      const util = require("prebuild-install/util");
      console.log(util.cachedPrebuild(util.getDownloadUrl({ ...require("prebuild-install/rc")(pkg), pkg })));') || continue
    [ -f "$entry" ] && continue
    mkdir -p "$(dirname "$entry")" &&
      tar -czf "$entry.$$.tmp" -C "$dir" build/Release/better_sqlite3.node &&
      mv "$entry.$$.tmp" "$entry" &&
      echo "    kept $dir's compiled addon for the next install: $entry"
  done
}

# npm install only when package.json or the lock changed since the last install (a marker in
# node_modules). The lock lists every platform's optional packages, so npm install leaves it as it
# is and the checkout stays clean.
lock_hash=$(sha256sum package-lock.json package.json | sha256sum | cut -c1-16)
if [ ! -f node_modules/.gyre-installed ] || [ "$(cat node_modules/.gyre-installed)" != "$lock_hash" ]; then
  echo "==> npm packages: installing (about 2–3 minutes, cold or warm npm cache: most of it compiles better-sqlite3)"
  run_step "npm install" npm_progress npm install --no-audit --no-fund --loglevel=error
  keep_sqlite_addons || true # a cache, never a reason to fail the install
  echo "$lock_hash" > node_modules/.gyre-installed
fi

# Build when any source is newer than the last build. Generated Prisma clients
# (prisma/generated) are outputs, not inputs: counting them rebuilt on every other start.
newer_source=""
if [ -f .next/BUILD_ID ]; then
  newer_source=$(find app config proxy spawners prisma public next.config.mjs package.json -path prisma/generated -prune -o -newer .next/BUILD_ID -type f -print -quit 2>/dev/null || true)
fi
if [ ! -f .next/BUILD_ID ] || [ ! -f dist/hub/server.mjs ] || [ -n "$newer_source" ]; then
  echo "==> Building the hub (Prisma clients, Next.js production build, hub and proxy bundles; about 1 minute)"
  t0=$(date +%s)
  npm run build --silent
  echo "    build done in $(elapsed "$t0")"
else
  npm run db:generate --silent >/dev/null
fi
echo "==> Installed and built in $(elapsed "$t_all")"
