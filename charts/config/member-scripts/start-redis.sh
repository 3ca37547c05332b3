#!/bin/sh
# Data member entrypoint: start as a replica of the primary the sentinels name.
# Environment: MEMBER_HOST, this member's announced host name (set by its StatefulSet).
set -eu
# shellcheck source-path=SCRIPTDIR source=member-lib.sh
. "$(dirname -- "$0")/member-lib.sh"
: "${MEMBER_HOST:?MEMBER_HOST must be the announced host name of this member (set by its StatefulSet)}"

# Measured with redis 7.0: a former primary restarted with its original configuration runs as a
# primary for ~10 s until sentinel demotes it, and writes routed to it then are lost. So it asks first.
primary=''
waited=0
while [ -z "$primary" ] && [ "$waited" -lt 30 ]; do
  primary=$(discover_primary)
  if [ -z "$primary" ]; then sleep 2; waited=$((waited + 2)); fi
done
if [ -z "$primary" ]; then
  primary=$FIRST_PRIMARY
  log "no sentinel answered within 30 s: following the designated first primary $FIRST_PRIMARY"
fi

mkdir -p "$RUN_DIR"
umask 077
conf="$RUN_DIR/redis.conf"
cp "$CONFIG_DIR/redis.conf" "$conf"
{
  echo "replica-announce-ip $MEMBER_HOST"
  echo "masteruser $REPLICATION_USER"
  echo "masterauth $(cat "$SECRETS_DIR/$REPLICATION_PASSWORD_KEY")"
  if [ "$primary" != "$MEMBER_HOST" ]; then echo "replicaof $primary $REDIS_PORT"; fi
} >>"$conf"
if [ "$primary" = "$MEMBER_HOST" ]; then log "starting as the primary"; else log "starting as a replica of $primary"; fi
exec redis-server "$conf"
