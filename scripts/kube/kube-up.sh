#!/usr/bin/env bash
# Start a real etcd + kube-apiserver v1.20.2 on loopback for the Kubernetes spawner's tests.
# Each flag below says why it is there. There is no scheduler,
# controller-manager or kubelet: spawners/kubernetes/testing/fake-kubelet.ts plays those.
#
#   etcd            http://127.0.0.1:7201 (peer 7202)
#   kube-apiserver  https://127.0.0.1:7243
#   state dir       ${GYRE_KUBE_STATE:-/tmp/gyre-kube}: pki/ (made once), kubeconfig, env, logs/, *.pid, etcd/
#
# Idempotent: a running etcd/apiserver is kept (only readiness is re-checked); one that died is
# restarted alone. Processes are recorded by PID; kube-down.sh stops only those PIDs.
#
# Environment:
#   GYRE_KUBE_CACHE, GYRE_KUBE_APISERVER  where the binary is (scripts/kube/build-apiserver.sh)
#   GYRE_KUBE_STATE        state dir (default /tmp/gyre-kube)
#   GYRE_KUBE_INSTANCE     name of an extra apiserver instance on the same etcd (default: apiserver),
#                          e.g. "nocache" with GYRE_KUBE_API_PORT=7244 GYRE_KUBE_EXTRA_ARGS=--watch-cache=false;
#                          its kubeconfig is $STATE/kubeconfig-<instance>
#   GYRE_KUBE_API_PORT     apiserver port (default 7243)
#   GYRE_KUBE_EXTRA_ARGS   extra apiserver flags, space-separated
#   GYRE_KUBE_READY_TIMEOUT seconds to wait for /readyz (default 90)
set -euo pipefail

CACHE="${GYRE_KUBE_CACHE:-/var/cache/gyre-kube}"
BIN="${GYRE_KUBE_APISERVER:-$CACHE/bin/kube-apiserver-v1.20.2}"
ETCD_BIN="${GYRE_KUBE_ETCD:-/usr/bin/etcd}"
S="${GYRE_KUBE_STATE:-/tmp/gyre-kube}"
INSTANCE="${GYRE_KUBE_INSTANCE:-apiserver}"
ETCD_PORT=7201
ETCD_PEER_PORT=7202
API_PORT="${GYRE_KUBE_API_PORT:-7243}"
READY_TIMEOUT="${GYRE_KUBE_READY_TIMEOUT:-90}"
[[ "$INSTANCE" =~ ^[a-z0-9-]+$ ]] || { echo "kube-up: bad GYRE_KUBE_INSTANCE" >&2; exit 2; }
KUBECONFIG_FILE="$S/kubeconfig"
[[ "$INSTANCE" == apiserver ]] || KUBECONFIG_FILE="$S/kubeconfig-$INSTANCE"

log() { printf '[kube-up] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

((API_PORT >= 7200 && API_PORT <= 7299)) || die "port $API_PORT is outside 7200-7299"
[[ -x "$BIN" ]] || die "no kube-apiserver at $BIN (run scripts/kube/build-apiserver.sh)"
[[ -x "$ETCD_BIN" ]] || die "no etcd at $ETCD_BIN (apt-get install etcd-server)"
mkdir -p "$S/pki" "$S/logs" "$S/etcd"
chmod 700 "$S" "$S/pki"

# alive PIDFILE BINARY: the recorded process runs and still is that binary (not a reused PID)
alive() {
  local pid
  [[ -f "$1" ]] || return 1
  pid=$(cat "$1")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == "$(readlink -f "$2")" ]] || return 1
  ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null
}

port_in_use() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }

# --- PKI, made once ------------------------------------------------------------------------
P="$S/pki"
if [[ ! -f "$P/ca.crt" ]]; then
  log "generating CA, serving and client certificates, service-account key and token in $P"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=gyre-kube-ca" \
    -keyout "$P/ca.key" -out "$P/ca.crt" 2>/dev/null
  cat >"$P/apiserver.ext" <<EXT
subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
extendedKeyUsage=serverAuth
EXT
  openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" -keyout "$P/apiserver.key" -out "$P/apiserver.csr" 2>/dev/null
  openssl x509 -req -in "$P/apiserver.csr" -CA "$P/ca.crt" -CAkey "$P/ca.key" -CAcreateserial -days 3650 \
    -extfile "$P/apiserver.ext" -out "$P/apiserver.crt" 2>/dev/null
  printf 'extendedKeyUsage=clientAuth\n' >"$P/client.ext"
  openssl req -newkey rsa:2048 -nodes -subj "/O=system:masters/CN=gyre-kube-admin" -keyout "$P/admin.key" -out "$P/admin.csr" 2>/dev/null
  openssl x509 -req -in "$P/admin.csr" -CA "$P/ca.crt" -CAkey "$P/ca.key" -CAcreateserial -days 3650 \
    -extfile "$P/client.ext" -out "$P/admin.crt" 2>/dev/null
  openssl genrsa -out "$P/sa.key" 2048 2>/dev/null
  openssl rsa -in "$P/sa.key" -pubout -out "$P/sa.pub" 2>/dev/null
  printf '%s,gyre-kube-admin,gyre-kube-admin,"system:masters"\n' "$(openssl rand -hex 24)" >"$P/tokens.csv"
  chmod 600 "$P"/*.key "$P/tokens.csv"
fi
TOKEN=$(cut -d, -f1 "$P/tokens.csv")

# --- kubeconfig + env (rewritten every time: cheap, and follows the port) --------------------
b64() { base64 -w0 <"$1"; }
SERVER="https://127.0.0.1:$API_PORT"
umask 077
cat >"$KUBECONFIG_FILE.tmp" <<KC
apiVersion: v1
kind: Config
clusters:
- name: gyre-kube
  cluster:
    server: $SERVER
    certificate-authority-data: $(b64 "$P/ca.crt")
users:
- name: gyre-kube-admin
  user:
    client-certificate-data: $(b64 "$P/admin.crt")
    client-key-data: $(b64 "$P/admin.key")
- name: gyre-kube-token
  user:
    token: $TOKEN
contexts:
- name: gyre-kube
  context: {cluster: gyre-kube, user: gyre-kube-admin}
- name: gyre-kube-token
  context: {cluster: gyre-kube, user: gyre-kube-token}
current-context: gyre-kube
KC
mv "$KUBECONFIG_FILE.tmp" "$KUBECONFIG_FILE"
if [[ "$INSTANCE" == apiserver ]]; then
  cat >"$S/env" <<ENV
export KUBECONFIG=$KUBECONFIG_FILE
export GYRE_KUBE_SERVER=$SERVER
export GYRE_KUBE_CA=$P/ca.crt
export GYRE_KUBE_TOKEN_FILE=$P/tokens.csv
ENV
fi
umask 022

# --- etcd ------------------------------------------------------------------------------------
if alive "$S/etcd.pid" "$ETCD_BIN"; then
  :
else
  for port in $ETCD_PORT $ETCD_PEER_PORT; do port_in_use "$port" && die "port $port is held by another process"; done
  log "starting etcd on 127.0.0.1:$ETCD_PORT"
  setsid nohup "$ETCD_BIN" --name gyre-kube --data-dir "$S/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "gyre-kube=http://127.0.0.1:$ETCD_PEER_PORT" --initial-cluster-state new \
    --logger zap --log-outputs stderr </dev/null >>"$S/logs/etcd.log" 2>&1 &
  echo $! >"$S/etcd.pid"
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$ETCD_PORT/health" >/dev/null 2>&1 && break
    sleep 0.1
  done
  curl -sf "http://127.0.0.1:$ETCD_PORT/health" >/dev/null || die "etcd did not become healthy (see $S/logs/etcd.log)"
fi

# --- kube-apiserver --------------------------------------------------------------------------
if ! alive "$S/$INSTANCE.pid" "$BIN"; then
  port_in_use "$API_PORT" && die "port $API_PORT is held by another process"
  log "starting kube-apiserver ($INSTANCE) on 127.0.0.1:$API_PORT"
  # shellcheck disable=SC2206
  extra=(${GYRE_KUBE_EXTRA_ARGS:-})
  # --insecure-port=0: v1.20 otherwise serves unauthenticated HTTP on 127.0.0.1:8080.
  # ServiceAccount / StorageObjectInUseProtection admission need controllers that do not run
  # here (403 on pod create; PVCs stuck Terminating).
  # --endpoint-reconciler-type=none: a loopback advertise address makes Endpoints invalid.
  # cd in a subshell, then one simple command in the background, so that $! is the apiserver
  # itself (setsid execs it: the subshell does not lead a process group)
  (cd "$S"
  setsid nohup "$BIN" \
    --advertise-address=127.0.0.1 --bind-address=127.0.0.1 --secure-port="$API_PORT" --insecure-port=0 \
    --etcd-servers="http://127.0.0.1:$ETCD_PORT" --service-cluster-ip-range=10.96.0.0/24 \
    --tls-cert-file=pki/apiserver.crt --tls-private-key-file=pki/apiserver.key \
    --client-ca-file=pki/ca.crt --token-auth-file=pki/tokens.csv \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file=pki/sa.pub --service-account-signing-key-file=pki/sa.key \
    --authorization-mode=RBAC \
    --disable-admission-plugins=ServiceAccount,StorageObjectInUseProtection \
    --endpoint-reconciler-type=none --allow-privileged=true --profiling=false \
    --cert-dir="pki/generated-$INSTANCE" --v=1 "${extra[@]}" \
    </dev/null >>"$S/logs/$INSTANCE.log" 2>&1 &
  echo $! >"$S/$INSTANCE.pid")
fi

deadline=$((SECONDS + READY_TIMEOUT))
api() { curl -s -o /dev/null -w '%{http_code}' --cacert "$P/ca.crt" -H "Authorization: Bearer $TOKEN" "$SERVER$1"; }
until [[ "$(api /readyz)" == 200 && "$(api /api/v1/namespaces/default)" == 200 ]]; do
  alive "$S/$INSTANCE.pid" "$BIN" || die "kube-apiserver exited (see $S/logs/$INSTANCE.log)"
  ((SECONDS < deadline)) || die "kube-apiserver not ready after ${READY_TIMEOUT}s (see $S/logs/$INSTANCE.log)"
  sleep 0.3
done
log "ready: $SERVER (KUBECONFIG=$KUBECONFIG_FILE)"
