#!/usr/bin/env bash
# Build kube-apiserver v1.20.2 from Debian bookworm's `kubernetes` source package, for the
# Kubernetes spawner's tests (*.kube.test.ts). The binary is cached OUTSIDE the repo:
#   ${GYRE_KUBE_CACHE:-/var/cache/gyre-kube}/bin/kube-apiserver-v1.20.2
# A cached binary that answers --version is reused, so only the first run pays the build
# (~8-11 min on 2 cores).
#
# Why Debian's source package: it is the only Kubernetes source with the API server that
# reaches this machine (trixie/sid repack kubectl only). Why apt-get source with a PRIVATE
# apt config: the system sources.list has no deb-src line and must not be changed.
set -euo pipefail

CACHE="${GYRE_KUBE_CACHE:-/var/cache/gyre-kube}"
VERSION=v1.20.2
BIN="$CACHE/bin/kube-apiserver-$VERSION"
SRC_PKG=kubernetes
SRC_DIR_GLOB="$CACHE/src/kubernetes-1.20*"

log() { printf '[build-apiserver] %s\n' "$*" >&2; }

reuse_cached() {
  [[ -x "$BIN" ]] && "$BIN" --version 2>/dev/null | grep -q "Kubernetes $VERSION"
}

if reuse_cached; then
  log "reusing $BIN ($("$BIN" --version))"
  exit 0
fi

mkdir -p "$CACHE/bin" "$CACHE/src" "$CACHE/apt"
# One build at a time: a second caller waits for the first and then reuses its binary.
exec 9>"$CACHE/build.lock"
flock 9
if reuse_cached; then
  log "reusing $BIN (built by a concurrent run)"
  exit 0
fi

started=$(date +%s)

# --- build dependencies (system-wide, only what is missing) -------------------------------
DEPS=(golang-go etcd-server rsync make golang-github-modern-go-reflect2-dev dpkg-dev)
missing=()
for p in "${DEPS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
    apt-get -o DPkg::Lock::Timeout=900 update >/dev/null
    apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends "${missing[@]}"
  }
fi

# --- private apt config: the system's Debian mirrors, plus deb-src -------------------------
APT="$CACHE/apt"
mkdir -p "$APT/sources.list.d" "$APT/lists/partial" "$APT/cache/archives/partial"
: >"$APT/sources.list"
if [[ -f /etc/apt/sources.list ]]; then
  # One-line format: mirror every active `deb` line as `deb-src`.
  sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' /etc/apt/sources.list >>"$APT/sources.list"
fi
for f in /etc/apt/sources.list.d/*.sources; do
  [[ -e "$f" ]] || continue
  # deb822 format: only the Debian entries (the source package is Debian's).
  grep -q 'debian' "$f" || continue
  sed 's/^Types:[[:space:]]*deb[[:space:]]*$/Types: deb-src/' "$f" >"$APT/sources.list.d/$(basename "$f")"
done
APT_OPTS=(
  -o "Dir::Etc::SourceList=$APT/sources.list"
  -o "Dir::Etc::SourceParts=$APT/sources.list.d"
  -o "Dir::State::Lists=$APT/lists"
  -o "Dir::Cache=$APT/cache"
  -o "APT::Sandbox::User=root"
)
log "apt-get update (private lists under $APT)"
apt-get "${APT_OPTS[@]}" update >/dev/null

# --- fetch and unpack the source ------------------------------------------------------------
cd "$CACHE/src"
# shellcheck disable=SC2086
if ! compgen -G "$SRC_DIR_GLOB/Makefile" >/dev/null; then
  log "apt-get source $SRC_PKG"
  apt-get "${APT_OPTS[@]}" source "$SRC_PKG" >/dev/null
fi
SRC=$(compgen -G "$SRC_DIR_GLOB" | head -n1)
[[ -f "$SRC/Makefile" ]] || { log "no source tree under $CACHE/src"; exit 1; }
log "source: $SRC"

# --- reflect2 v1.0.1 -> v1.0.2 (v1.0.1's unsafe map iteration breaks on Go >= 1.18) -------
R2=/usr/share/gocode/src/github.com/modern-go/reflect2
[[ -f "$R2/reflect2.go" ]] || { log "reflect2 not found at $R2"; exit 1; }
rm -rf "$SRC/vendor/github.com/modern-go/reflect2"
mkdir -p "$SRC/vendor/github.com/modern-go/reflect2"
cp -a "$R2/." "$SRC/vendor/github.com/modern-go/reflect2/"
sed -i 's#github.com/modern-go/reflect2 v1.0.1#github.com/modern-go/reflect2 v1.0.2#g' \
  "$SRC/go.mod" "$SRC/vendor/modules.txt"

# --- build: GOPATH mode via make, as debian/rules does. Module mode fails ("updates to go.mod
# needed"), and a plain go build lacks the generated pkg/generated/openapi that make creates. ----
log "make WHAT=cmd/kube-apiserver (this takes ~8-11 min on 2 cores)"
(
  cd "$SRC"
  export GOPROXY=off GO111MODULE=off GOFLAGS= GOCACHE="$CACHE/go-build"
  make WHAT=cmd/kube-apiserver
)
out="$SRC/_output/local/bin/linux/amd64/kube-apiserver"
[[ -x "$out" ]] || { log "build produced no $out"; exit 1; }
install -m 0755 "$out" "$BIN.tmp"
mv "$BIN.tmp" "$BIN"
"$BIN" --version
log "built in $(( $(date +%s) - started )) s -> $BIN"
