#!/bin/sh
# Probe of the redis container: `live` or `ready`.
set -eu
# shellcheck source-path=SCRIPTDIR source=member-lib.sh
. "$(dirname -- "$0")/member-lib.sh"

case "${1:-}" in
  live)
    # LOADING is alive: a large dataset takes a while to load after a restart.
    reply=$(member_cli PING 2>&1) || reply=''
    case "$reply" in PONG|*LOADING*) exit 0 ;; esac
    echo "redis did not answer PING: $reply"; exit 1 ;;
  ready)
    info=$(member_cli INFO replication 2>&1) || { echo "redis did not answer: $info"; exit 1; }
    case "$info" in *role:master*) exit 0 ;; esac
    case "$info" in *master_link_status:up*) exit 0 ;; esac
    echo "replica without a replication link to its primary"; exit 1 ;;
  *) echo "usage: $0 live|ready"; exit 2 ;;
esac
