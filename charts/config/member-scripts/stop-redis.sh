#!/bin/sh
# Pre-stop hook: a primary hands over to its replica before it exits.
# Environment: MEMBER_HOST, this member's announced host name (set by its StatefulSet).
set -eu
# shellcheck source-path=SCRIPTDIR source=member-lib.sh
. "$(dirname -- "$0")/member-lib.sh"
: "${MEMBER_HOST:?MEMBER_HOST must be the announced host name of this member (set by its StatefulSet)}"

role=$(member_cli ROLE 2>/dev/null | head -n 1) || role=''
[ "$role" = master ] || exit 0
log "primary shutting down: pausing writes and handing over to the replica"
pause_ms=$(( (HAND_OVER_SECONDS + 5) * 1000 ))
member_cli CLIENT PAUSE "$pause_ms" WRITE >/dev/null
# Writes are paused; let the replica catch up with the last acknowledged write before promoting it.
i=0
while [ "$i" -lt 10 ]; do
  info=$(member_cli INFO replication | tr -d '\r')
  own=$(echo "$info" | sed -n 's/^master_repl_offset://p')
  replica=$(echo "$info" | sed -n 's/^slave0:.*offset=\([0-9]*\).*/\1/p')
  [ -n "$replica" ] && [ "$replica" = "$own" ] && break
  sleep 0.5; i=$((i + 1))
done
for s in $SENTINELS; do
  if sentinel_cli "$s" SENTINEL FAILOVER "$PRIMARY_NAME" 2>/dev/null | grep -q OK; then break; fi
done
waited=0
while [ "$waited" -lt "$HAND_OVER_SECONDS" ]; do
  primary=$(discover_primary)
  if [ -n "$primary" ] && [ "$primary" != "$MEMBER_HOST" ]; then log "handed over to $primary"; exit 0; fi
  sleep 1; waited=$((waited + 1))
done
log "no hand-over within $HAND_OVER_SECONDS s: stopping anyway"
