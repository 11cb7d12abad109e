#!/usr/bin/env bash
# Install, configure and start a single-host Son of Grid Engine cell from Debian packages, without
# systemd, for Gyre's real-scheduler tests (npm run test:hpc). Idempotent: on a live cell it only
# checks; on a half-installed one it finishes the job.
#
#   bash scripts/setup-sge.sh            # install/configure/start, then a smoke test as TEST_USER
#   bash scripts/setup-sge.sh teardown   # stop daemons and purge
#
# Env: SGE_QMASTER_PORT (7044) SGE_EXECD_PORT (7045) TEST_USER (hpctest) SGE_SLOTS (8) SKIP_SMOKE=1
set -euo pipefail

QMASTER_PORT=${SGE_QMASTER_PORT:-7044}
EXECD_PORT=${SGE_EXECD_PORT:-7045}
TEST_USER=${TEST_USER:-hpctest}
SLOTS=${SGE_SLOTS:-8}
H=$(hostname -s)
CELL_COMMON=/var/lib/gridengine/default/common
export SGE_ROOT=/var/lib/gridengine SGE_CELL=default

log() { printf '[setup-sge] %s\n' "$*"; }
pids_of() { pgrep -x "$1" || true; }

stop_daemons() {
  # The Debian init scripts' stop does nothing (no pid files, wrong --exec).
  if command -v qconf >/dev/null; then
    timeout 20 qconf -ke all >/dev/null 2>&1 || true
    timeout 30 qconf -km >/dev/null 2>&1 || true
  fi
  for name in sge_execd sge_qmaster; do
    for i in $(seq 1 30); do [ -z "$(pids_of $name)" ] && break; sleep 0.5; done
    for pid in $(pids_of $name); do log "killing leftover $name pid $pid"; kill -9 "$pid" || true; done
  done
}

if [ "${1:-}" = teardown ]; then
  stop_daemons
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 purge -y 'gridengine-*' || true
  rm -rf /var/lib/gridengine /var/spool/gridengine /etc/default/gridengine
  log "teardown done"
  exit 0
fi

[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
getent hosts "$H" >/dev/null || echo "127.0.1.1 $H" >> /etc/hosts   # append, never sed -i (bind mount)

# 1) install (debconf preseed so the postinsts create the cell)
if ! dpkg -s gridengine-master gridengine-exec gridengine-client >/dev/null 2>&1 || ! command -v sudo >/dev/null; then
  debconf-set-selections <<EOF
gridengine-common shared/gridengineconfig boolean true
gridengine-common shared/gridenginecell string default
gridengine-common shared/gridenginemaster string $H
EOF
  log "apt-get install gridengine"
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends \
    gridengine-master gridengine-exec gridengine-client gridengine-common sudo python3 curl procps
fi

# 2) ports: /etc/default/gridengine is sourced by the wrapper behind every q* command and by the
#    init scripts, so `sudo -u user qsub` sees them too.
if ! grep -q "^export SGE_QMASTER_PORT=$QMASTER_PORT\$" /etc/default/gridengine 2>/dev/null; then
  sed -i -e '/^export SGE_QMASTER_PORT=/d' -e '/^export SGE_EXECD_PORT=/d' /etc/default/gridengine
  printf 'export SGE_QMASTER_PORT=%s\nexport SGE_EXECD_PORT=%s\n' "$QMASTER_PORT" "$EXECD_PORT" >> /etc/default/gridengine
fi
export SGE_QMASTER_PORT=$QMASTER_PORT SGE_EXECD_PORT=$EXECD_PORT

# 3) reverse-lookup fix: if our address reverse-resolves to another name
#    ("localhost"), alias it to the hostname, else commlib refuses every client.
ADDR=$(getent hosts "$H" | awk '{print $1; exit}')
REV=$(/usr/lib/gridengine/gethostbyaddr -name "$ADDR" 2>/dev/null || true)
if [ -n "$REV" ] && [ "$REV" != "$H" ]; then
  if ! grep -qx "$H $REV" "$CELL_COMMON/host_aliases" 2>/dev/null; then
    log "host_aliases: $H $REV"
    echo "$H $REV" > "$CELL_COMMON/host_aliases"
  fi
fi
# The qmaster overwrites act_qmaster with the reverse name when the alias was missing.
[ "$(cat "$CELL_COMMON/act_qmaster" 2>/dev/null)" = "$H" ] || echo "$H" > "$CELL_COMMON/act_qmaster"

# 4) qmaster. An execd without a qmaster is stale (from an earlier teardown): kill it.
if [ -z "$(pids_of sge_qmaster)" ]; then
  for pid in $(pids_of sge_execd); do log "killing stale sge_execd $pid"; kill -9 "$pid" || true; done
  log "starting sge_qmaster"
  /etc/init.d/gridengine-master start >/dev/null
fi
for i in $(seq 1 120); do qconf -sh >/dev/null 2>&1 && break; sleep 0.5; done
qconf -sh >/dev/null || { echo "qmaster does not answer" >&2; exit 1; }

# 5) cell configuration (each step only when missing/different)
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
qconf -sh 2>/dev/null | grep -qx "$H" || qconf -ah "$H" >/dev/null
qconf -ss 2>/dev/null | grep -qx "$H" || qconf -as "$H" >/dev/null
if ! qconf -sel 2>/dev/null | grep -qx "$H"; then
  printf 'hostname %s\nload_scaling NONE\ncomplex_values NONE\nuser_lists NONE\nxuser_lists NONE\nprojects NONE\nxprojects NONE\nusage_scaling NONE\nreport_variables NONE\n' "$H" > "$TMP/eh"
  qconf -Ae "$TMP/eh" >/dev/null
fi
qconf -ssconf > "$TMP/s"
if ! grep -q '^schedule_interval *0:0:1$' "$TMP/s"; then
  sed -i -e 's/^schedule_interval .*/schedule_interval 0:0:1/' -e 's/^flush_submit_sec .*/flush_submit_sec 1/' \
    -e 's/^flush_finish_sec .*/flush_finish_sec 1/' "$TMP/s"
  qconf -Msconf "$TMP/s" >/dev/null
fi
# accounting records are written when a job ends, not buffered for flush_time (15 s): the hub
# settles a job's usage from `qacct -j`, and the tests wait for it
qconf -sconf global | sed -e ':a' -e '/\\$/N; s/\\\n[[:space:]]*/ /; ta' > "$TMP/global"
if ! grep -q '^reporting_params .*accounting_flush_time=00:00:00' "$TMP/global"; then
  sed -i -e '/^reporting_params /{s/ accounting_flush_time=[^ ]*//; s/$/ accounting_flush_time=00:00:00/}' "$TMP/global"
  qconf -Mconf "$TMP/global" >/dev/null
fi
if ! qconf -shgrpl 2>/dev/null | grep -qx '@allhosts'; then
  printf 'group_name @allhosts\nhostlist %s\n' "$H" > "$TMP/hg"; qconf -Ahgrp "$TMP/hg" >/dev/null
fi
if ! qconf -spl 2>/dev/null | grep -qx smp; then
  cat > "$TMP/pe" <<'EOF'
pe_name            smp
slots              9999
user_lists         NONE
xuser_lists        NONE
start_proc_args    NONE
stop_proc_args     NONE
allocation_rule    $pe_slots
control_slaves     FALSE
job_is_first_task  TRUE
urgency_slots      min
accounting_summary FALSE
qsort_args         NONE
EOF
  qconf -Ap "$TMP/pe" >/dev/null
fi
if qconf -sql 2>/dev/null | grep -qx all.q; then qconf -sq all.q > "$TMP/q"; ADDQ=-Mq; else qconf -sq > "$TMP/q"; ADDQ=-Aq; fi
cp "$TMP/q" "$TMP/q.old"
sed -i -e 's/^qname .*/qname all.q/' -e 's/^hostlist .*/hostlist @allhosts/' \
  -e 's/^load_thresholds .*/load_thresholds NONE/' -e "s/^slots .*/slots $SLOTS/" \
  -e 's/^pe_list .*/pe_list smp/' -e 's|^shell .*|shell /bin/bash|' "$TMP/q"
if [ "$ADDQ" = -Aq ] || ! cmp -s "$TMP/q" "$TMP/q.old"; then qconf "$ADDQ" "$TMP/q" >/dev/null; fi

# 6) execd
if [ -z "$(pids_of sge_execd)" ]; then log "starting sge_execd"; /etc/init.d/gridengine-exec start >/dev/null; fi
for i in $(seq 1 120); do qstat -f 2>/dev/null | grep -q "all.q@$H .*lx-amd64" && break; sleep 0.5; done
qstat -f | grep "all.q@$H" | grep -q lx-amd64 || { echo "execd did not register" >&2; qstat -f >&2; exit 1; }
# a queue left in error/disabled state by earlier experiments would hold every job
qmod -c "all.q@$H" >/dev/null 2>&1 || true; qmod -e all.q >/dev/null 2>&1 || true

# 7) test user (jobs need uid >= 1000: min_uid)
id "$TEST_USER" >/dev/null 2>&1 || useradd -m -s /bin/bash "$TEST_USER"

# 8) smoke test: a trivial job as the test user runs and leaves the queue
if [ "${SKIP_SMOKE:-0}" != 1 ]; then
  cd "$(getent passwd "$TEST_USER" | cut -d: -f6)"
  JOB=$(echo 'echo ok' | sudo -u "$TEST_USER" -H qsub -terse -N gyre-smoke -o /dev/null -j y)
  for i in $(seq 1 120); do sudo -u "$TEST_USER" qstat -j "$JOB" >/dev/null 2>&1 || break; sleep 0.5; done
  if sudo -u "$TEST_USER" qstat -j "$JOB" >/dev/null 2>&1; then echo "SGE SMOKE TEST FAILED (job $JOB still queued)" >&2; exit 1; fi
  log "SGE SMOKE TEST PASSED (job $JOB)"
fi
log "ready: qmaster $H:$QMASTER_PORT, execd :$EXECD_PORT, test user $TEST_USER"
