#!/usr/bin/env bash
# Builds the Gyre image (hub and proxy in one) with Debian's buildah, offline: no base image is
# pulled. The base is a Debian bookworm tree made by debootstrap from Debian's archive, cached
# under $GYRE_IMAGE_CACHE (default /var/cache/gyre-image) and remade only when its package list
# changes; buildah's layer cache skips the rest when nothing changed. Idempotent.
# Usage: bash scripts/build-image.sh      (needs root: debootstrap, chroot; buildah, debootstrap:
#        scripts/install-deps.sh --tests installs them)
# Prints the image name, its size and the time taken. Push: docs/deploy-kubernetes.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1
# vfs: no overlay mounts needed (works in containers and unprivileged CI runners); chroot
# isolation: no runc/crun namespaces either. (Debian's buildah 1.28 takes the driver from the
# --storage-driver flag, given to each call: $STORAGE_DRIVER alone is not enough.)
export BUILDAH_ISOLATION=chroot
buildah() { command buildah --storage-driver vfs "$@"; }

if [ "$(id -u)" -ne 0 ]; then exec sudo --preserve-env=GYRE_IMAGE_CACHE,GYRE_IMAGE bash "$0" "$@"; fi

t_all=$(date +%s)
CACHE=${GYRE_IMAGE_CACHE:-/var/cache/gyre-image}
# The chart's image.repository (charts/gyre/values.yaml) and, as tag, the chart's appVersion (=
# package.json's version; deploy/image/image.int.test.ts checks the three agree).
REPOSITORY=ghcr.io/gyre-hub/gyre
VERSION=$(node -p 'require("./package.json").version')
IMAGE=${GYRE_IMAGE:-$REPOSITORY:$VERSION}

# The base: Debian's minimal variant plus what the hub runs: git (launch links resolve refs with
# `git ls-remote`) and CA certificates (GitHub OAuth, git over https). No Jupyter: on Kubernetes
# user servers run in their own images. Changing this list (or the steps after it) changes the
# cache key, so the tree is made anew.
SUITE=bookworm
MIRROR=${GYRE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
INCLUDE=ca-certificates,git
ROOTFS_KEY=$(printf '%s\n' "$SUITE" minbase "$INCLUDE" "gyre:1000:1000 /srv/gyre/data v1" | sha256sum | cut -c1-12)
ROOTFS_TAR=$CACHE/rootfs-$SUITE-$ROOTFS_KEY.tar
mkdir -p "$CACHE"

if [ ! -f "$ROOTFS_TAR" ]; then
  echo "==> base tree: debootstrap $SUITE (minbase + $INCLUDE) from $MIRROR"
  t0=$(date +%s)
  tree=$CACHE/rootfs.tmp
  rm -rf "$tree"
  debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$tree" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 || {
    tail -30 "$CACHE/debootstrap.log" >&2
    exit 1
  }
  # The account the image runs as (the chart's runAsUser/runAsGroup), and its data directory.
  chroot "$tree" groupadd --gid 1000 gyre
  chroot "$tree" useradd --uid 1000 --gid 1000 --home-dir /srv/gyre --no-create-home --shell /usr/sbin/nologin gyre
  install -d -o 1000 -g 1000 -m 0750 "$tree/srv/gyre" "$tree/srv/gyre/data"
  # Nothing installs packages at run time: drop the download caches and package lists.
  rm -rf "$tree"/var/cache/apt/archives/*.deb "$tree"/var/lib/apt/lists/* "$tree"/var/log/*.log "$tree"/usr/share/doc/* "$tree"/usr/share/man/*
  tar --numeric-owner --xattrs -C "$tree" -cf "$ROOTFS_TAR.tmp" .
  mv "$ROOTFS_TAR.tmp" "$ROOTFS_TAR"
  rm -rf "$tree"
  echo "    base tree done in $(($(date +%s) - t0)) s ($(du -m "$ROOTFS_TAR" | cut -f1) MB)"
fi

# The hub (.next and its bundle) and the proxy bundle must be built from this checkout (same rule as install-deps.sh).
newer_source=""
if [ -f .next/BUILD_ID ] && [ -f dist/proxy/main.mjs ] && [ -f dist/hub/server.mjs ]; then
  newer_source=$(find app config proxy spawners prisma public next.config.mjs package.json -path prisma/generated -prune -o -newer .next/BUILD_ID -type f -print -quit 2>/dev/null || true)
fi
if [ ! -f .next/BUILD_ID ] || [ ! -f dist/proxy/main.mjs ] || [ ! -f dist/hub/server.mjs ] || [ -n "$newer_source" ]; then
  echo "==> npm run build (the image carries the built hub and proxy)"
  npm run build --silent
fi

echo "==> build context: the built checkout with production dependencies only"
t0=$(date +%s)
ctx=$CACHE/context
stage=$ctx/app
rm -rf "$ctx"
mkdir -p "$stage"
# Tracked files, without what only development needs.
git ls-files -z -- . ':!:e2e' ':!:bench' ':!:.ci' ':!:*.test.ts' | xargs -0 cp --parents -t "$stage"
cp -a --parents dist/proxy dist/hub "$stage"
cp -a --parents prisma/generated "$stage"
rsync -a --exclude /cache --exclude /dev .next/ "$stage/.next/"
# Hard links: a fast copy that prune may delete from without touching the checkout's tree.
cp -al node_modules "$stage/node_modules"
(cd "$stage" && npm prune --omit=dev --offline --no-audit --no-fund --loglevel=error)
# prune keeps the optional peers of production packages that development dependencies installed
# (typescript, the prisma CLI with effect, playwright): nothing at run time loads them
node --import tsx deploy/image/prune-modules.ts "$stage"
# Same content → same tar → buildah reuses the layer.
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$stage" -cf "$ctx/app.tar" .
rm -rf "$stage"
ln "$ROOTFS_TAR" "$ctx/rootfs.tar"
NODE_BIN=$(readlink -f "$(command -v node)")
cp "$NODE_BIN" "$ctx/node"
touch -d @0 "$ctx/node"
echo "    context ready in $(($(date +%s) - t0)) s (app $(du -m "$ctx/app.tar" | cut -f1) MB, node $(node -v))"

echo "==> buildah bud → $IMAGE"
t0=$(date +%s)
image_id() { buildah images --noheading --no-trunc --format '{{.ID}}' "$IMAGE" 2>/dev/null || true; }
previous=$(image_id)
buildah bud --quiet --layers --isolation chroot -f deploy/image/Containerfile -t "$IMAGE" "$ctx" >/dev/null
rm -f "$ctx/app.tar" "$ctx/rootfs.tar" "$ctx/node"
echo "    image built in $(($(date +%s) - t0)) s"
# The tag moved: the image it named before would stay as a dangling <none> image (~900 MB with
# vfs, which copies every layer whole) on every rebuild. rmi takes it with the intermediate images
# only it used; those the new image's chain shares (the base tree, node: the layer cache) stay.
# Not --force: an image a container still uses (image.int.test.ts of another checkout) is kept.
current=$(image_id)
if [ -n "$previous" ] && [ "$previous" != "$current" ]; then
  buildah rmi "$previous" >/dev/null 2>&1 && echo "    removed the previous image ${previous#sha256:}" ||
    echo "    kept the previous image ${previous#sha256:} (in use by a container?)"
fi
size=$(buildah images --format '{{.Size}}' "$IMAGE" | head -1)
echo "==> $IMAGE: $size, $(($(date +%s) - t_all)) s in all"
