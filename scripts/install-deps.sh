#!/usr/bin/env bash
# Installs what Gyre needs on a fresh Debian 12 / Ubuntu machine, idempotently:
#   Debian packages (Jupyter server + classic UI, ipykernel, dask; with --tests also Chromium and
#   PostgreSQL), npm dependencies (npm ci), the generated Prisma clients and the Next.js build.
# Usage: bash scripts/install-deps.sh [--tests]
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

RUNTIME_PKGS=(jupyter-server python3-jupyter-server jupyter-notebook python3-nbclassic python3-ipykernel
  python3-dask python3-distributed sudo procps curl util-linux passwd)
TEST_PKGS=(chromium postgresql fonts-liberation)
pkgs=("${RUNTIME_PKGS[@]}")
if [ "${1:-}" = "--tests" ]; then pkgs+=("${TEST_PKGS[@]}"); fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "==> apt-get install ${missing[*]}"
  $SUDO apt-get -o DPkg::Lock::Timeout=900 update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v node >/dev/null || ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=9)?0:1)'; then
  echo "Gyre needs Node.js >= 20.9 and npm (found: $(node --version 2>/dev/null || echo none))." >&2
  exit 1
fi

# npm install (not npm ci) only when the lock file changed since the last install: npm 11 with this
# registry leaves other platforms' optional packages (@next/swc-*, @tailwindcss/oxide-*) out of
# the lock, and npm ci then refuses it as "out of sync". npm install keeps the locked versions.
lock_hash=$(sha256sum package-lock.json package.json | sha256sum | cut -c1-16)
if [ ! -f node_modules/.gyre-installed ] || [ "$(cat node_modules/.gyre-installed)" != "$lock_hash" ]; then
  echo "==> npm install"
  npm install --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > node_modules/.gyre-installed
fi

# Build when any input is newer than the last build.
if [ ! -f .next/BUILD_ID ] || [ -n "$(find app proxy spawners prisma public next.config.ts package.json -newer .next/BUILD_ID -type f -print -quit 2>/dev/null)" ]; then
  echo "==> npm run build"
  npm run build --silent
else
  npm run db:generate --silent >/dev/null
fi
