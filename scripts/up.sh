#!/usr/bin/env bash
# One command from a fresh clone to a running Gyre on the embedded default:
# SQLite, local accounts, local Jupyter servers. Prints the URL (and, on first run, a one-time
# link to create the admin account). Ctrl-C stops hub and proxy.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# Without a config file, running as root: servers run as per-user OS accounts created on demand.
if [ ! -f gyre.config.yaml ] && [ -z "${GYRE_CONFIG:-}" ] && [ "$(id -u)" -eq 0 ]; then
  export GYRE_SPAWNER__LOCAL__CREATE_OS_USERS="${GYRE_SPAWNER__LOCAL__CREATE_OS_USERS:-true}"
fi
exec npm start --silent
