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

# The sentinels' majority is the authority on which member is primary; this watcher makes the member
# follow it both ways. It runs beside redis-server, in its process group, and dies with it.
#
# A primary the sentinels deposed while it was cut off stays master until a sentinel reaches it and
# waits out its own delay (~10 s, measured by the drill), taking writes that are then discarded. So a
# primary becomes the replica of the member a majority of the sentinels names instead, on 2 checks in
# a row, but never in its first 5 s as primary (as this watcher saw it): a replica just promoted is
# named by the failover's leader only at its next INFO, and by the others later still, so the majority
# names the old primary for a moment (a watcher without that grace undid failovers).
#
# A replica that a majority of the sentinels names as the primary, with no sentinel naming another
# member in a newer epoch, becomes primary again on 2 checks in a row. Measured by the drill (a
# primary's partition healed after earlier failovers): the cut-off member's sentinel, still in the old
# epoch, made the new primary a replica of the deposed one 0.5 s after the heal and learned of the
# new epoch 0.8 s later; sentinel itself never undoes that, so each member was the other's replica
# until the sentinels failed over again 35 s later, and the new primary had flushed its writes for
# the deposed one's. The epoch is what tells that apart from a hand-over: there the failover's leader
# makes the old primary a replica of the new one while the other sentinels may still name the old
# one for a moment, but the leader names the new one in the newer epoch. Undone within 2 checks, the
# new primary keeps its data (a full sync starts only after repl-diskless-sync-delay, 5 s).
follow_majority() {
  master_since=''
  deposed=0
  named_here=0
  while sleep 1; do
    role=$(member_cli ROLE 2>/dev/null | head -n 1) || role=''
    case "$role" in
      master)
        named_here=0
        now=$(date +%s)
        master_since=${master_since:-$now}
        [ $((now - master_since)) -ge 5 ] || continue
        named=$(majority_of "$(sentinel_answers)")
        if [ -n "$named" ] && [ "$named" != "$MEMBER_HOST" ]; then deposed=$((deposed + 1)); else deposed=0; fi
        if [ "$deposed" -ge 2 ]; then
          log "the sentinels' majority names $named: this deposed primary becomes its replica"
          member_cli REPLICAOF "$named" "$REDIS_PORT" >/dev/null 2>&1 || true
          deposed=0
        fi
        ;;
      slave)
        master_since=''
        deposed=0
        views=$(sentinel_views)
        named=$(majority_of "$(printf '%s\n' "$views" | awk 'NF == 2 { print $2 }')")
        newest=$(printf '%s\n' "$views" | sort -rn | awk 'NR == 1 { epoch = $1 } NF == 2 && $1 == epoch { print $2 }' | sort -u)
        if [ "$named" = "$MEMBER_HOST" ] && [ "$newest" = "$MEMBER_HOST" ]; then named_here=$((named_here + 1)); else named_here=0; fi
        if [ "$named_here" -ge 2 ]; then
          log "the sentinels' majority names this replica as the primary (newest epoch): it becomes primary again"
          member_cli REPLICAOF NO ONE >/dev/null 2>&1 || true
          named_here=0
        fi
        ;;
      *) master_since=''; deposed=0; named_here=0 ;;
    esac
  done
}
follow_majority &
exec "$SERVER_PROGRAM" "$conf"
