#!/bin/sh
# Data member entrypoint: start as a replica of the primary the sentinels name.
# Environment: MEMBER_HOST, this member's announced host name (set by its StatefulSet).
set -eu
# shellcheck source-path=SCRIPTDIR source=member-lib.sh
. "$(dirname -- "$0")/member-lib.sh"
: "${MEMBER_HOST:?MEMBER_HOST must be the announced host name of this member (set by its StatefulSet)}"

# Measured with redis 7.0: a former primary restarted with its original configuration runs as a
# primary for ~10 s until sentinel demotes it, and writes routed to it then are lost. So it asks first,
# and waits for as long as it takes for a majority of the sentinels to name a primary: starting as
# primary on any lesser evidence (its own sentinel's state, a designated first primary) made a member
# restarted during a partition a second primary. Kubernetes' startup probe restarts it if it waits too long.
primary=''
waited=0
while [ -z "$primary" ]; do
  primary=$(discover_primary)
  if [ -z "$primary" ]; then
    if [ $((waited % 30)) -eq 0 ]; then log "waiting for a majority of the sentinels ($SENTINELS) to name the primary"; fi
    sleep 2; waited=$((waited + 2))
  fi
done

mkdir -p "$RUN_DIR"
umask 077
conf="$RUN_DIR/redis.conf"
cp "$CONFIG_DIR/redis.conf" "$conf"
{
  echo "replica-announce-ip $MEMBER_HOST"
  # masteruser/masterauth (Redis) or primaryuser/primaryauth (Valkey): REPLICA_*_DIRECTIVE.
  echo "$REPLICA_USER_DIRECTIVE $REPLICATION_USER"
  echo "$REPLICA_AUTH_DIRECTIVE $(cat "$SECRETS_DIR/$REPLICATION_PASSWORD_KEY")"
  if [ "$primary" != "$MEMBER_HOST" ]; then echo "replicaof $primary $REDIS_PORT"; fi
} >>"$conf"
if [ "$primary" = "$MEMBER_HOST" ]; then log "starting as the primary"; else log "starting as a replica of $primary"; fi

# A primary the sentinels deposed while it was cut off stays master until a sentinel reaches it and
# waits out its own delay (~10 s, measured by the drill), taking writes that are then discarded. This
# watcher demotes it once a majority of the sentinels names another member on 2 checks in a row, but
# never in its first 5 s as primary (as this watcher saw it): a replica just promoted is named by the
# failover's leader only at its next INFO, and by the others later still, so the majority names the
# old primary for a moment (a watcher without that grace undid failovers). It runs beside
# redis-server, in its process group, and dies with it.
watch_deposed() {
  master_since=''
  strikes=0
  while sleep 1; do
    role=$(member_cli ROLE 2>/dev/null | head -n 1) || role=''
    if [ "$role" != master ]; then master_since=''; strikes=0; continue; fi
    now=$(date +%s)
    master_since=${master_since:-$now}
    [ $((now - master_since)) -ge 5 ] || continue
    named=$(majority_of "$(sentinel_answers)")
    if [ -n "$named" ] && [ "$named" != "$MEMBER_HOST" ]; then strikes=$((strikes + 1)); else strikes=0; fi
    if [ "$strikes" -ge 2 ]; then
      log "the sentinels' majority names $named: this deposed primary becomes its replica"
      member_cli REPLICAOF "$named" "$REDIS_PORT" >/dev/null 2>&1 || true
      strikes=0
    fi
  done
}
watch_deposed &
exec "$SERVER_PROGRAM" "$conf"
