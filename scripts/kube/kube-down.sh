#!/usr/bin/env bash
# Stop what scripts/kube/kube-up.sh started: every apiserver instance, then etcd. By recorded PID
# only, and only while /proc/PID/exe is still the recorded binary (a reused PID is left alone).
# SIGTERM, then SIGKILL after GYRE_KUBE_DOWN_GRACE seconds (default 5): on SIGTERM the apiserver
# may linger >10 s draining connections. Idempotent.
#   --purge   also delete etcd data, logs and kubeconfigs (the PKI is kept)
#   GYRE_KUBE_INSTANCE=<name>  stop only that extra apiserver instance (kube-up.sh), not etcd
set -euo pipefail

CACHE="${GYRE_KUBE_CACHE:-/var/cache/gyre-kube}"
BIN="${GYRE_KUBE_APISERVER:-$CACHE/bin/kube-apiserver-v1.20.2}"
ETCD_BIN="${GYRE_KUBE_ETCD:-/usr/bin/etcd}"
S="${GYRE_KUBE_STATE:-/tmp/gyre-kube}"
GRACE="${GYRE_KUBE_DOWN_GRACE:-5}"

alive_pid() { # PID BINARY
  [[ "$(readlink "/proc/$1/exe" 2>/dev/null)" == "$(readlink -f "$2")" ]] || return 1
  ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

stop_one() { # PIDFILE BINARY
  local pidfile=$1 bin=$2 pid
  [[ -f "$pidfile" ]] || return 0
  pid=$(cat "$pidfile")
  if [[ "$pid" =~ ^[0-9]+$ ]] && alive_pid "$pid" "$bin"; then
    echo "[kube-down] stopping $(basename "$pidfile" .pid) (pid $pid)" >&2
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 $((GRACE * 10))); do alive_pid "$pid" "$bin" || break; sleep 0.1; done
    if alive_pid "$pid" "$bin"; then kill -KILL "$pid" 2>/dev/null || true; sleep 0.2; fi
  fi
  rm -f "$pidfile"
}

[[ -d "$S" ]] || exit 0
if [[ -n "${GYRE_KUBE_INSTANCE:-}" ]]; then
  # one extra apiserver instance only (e.g. the 410 test's "nocache"); etcd stays
  [[ "$GYRE_KUBE_INSTANCE" =~ ^[a-z0-9-]+$ && "$GYRE_KUBE_INSTANCE" != etcd ]] || { echo "kube-down: bad GYRE_KUBE_INSTANCE" >&2; exit 2; }
  stop_one "$S/$GYRE_KUBE_INSTANCE.pid" "$BIN"
  rm -f "$S/kubeconfig-$GYRE_KUBE_INSTANCE"
  exit 0
fi
for f in "$S"/*.pid; do
  [[ -e "$f" && "$(basename "$f")" != etcd.pid ]] || continue
  stop_one "$f" "$BIN"
done
stop_one "$S/etcd.pid" "$ETCD_BIN"

if [[ "${1:-}" == --purge ]]; then
  rm -rf "$S/etcd" "$S/logs" "$S"/kubeconfig* "$S/env"
  echo "[kube-down] purged etcd data, logs and kubeconfigs under $S" >&2
fi
