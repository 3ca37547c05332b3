#!/bin/sh
# Sentinel entrypoint: keep what this sentinel learned across restarts.
# Environment: MEMBER_HOST, this member's announced host name, and SENTINEL_STATE_DIR, a persistent
# folder for the sentinel state (both set by its StatefulSet).
set -eu
# shellcheck source-path=SCRIPTDIR source=member-lib.sh
. "$(dirname -- "$0")/member-lib.sh"
: "${MEMBER_HOST:?MEMBER_HOST must be the announced host name of this member (set by its StatefulSet)}"
: "${SENTINEL_STATE_DIR:?SENTINEL_STATE_DIR must be a persistent folder for the sentinel state}"

state="$SENTINEL_STATE_DIR/sentinel.conf"
mkdir -p "$SENTINEL_STATE_DIR"
umask 077
# The current primary, epochs and known peers survive restarts on the member's volume; everything
# else comes from the rendered configuration, so a changed setting takes effect on restart.
monitor=''
if [ -s "$state" ]; then monitor=$(grep "^sentinel monitor $PRIMARY_NAME " "$state" || true); fi
if [ -z "$monitor" ]; then
  primary=$(discover_primary)
  if [ -n "$primary" ]; then monitor="sentinel monitor $PRIMARY_NAME $primary $REDIS_PORT $QUORUM"; fi
fi
{
  if [ -n "$monitor" ]; then
    sed "s|^sentinel monitor $PRIMARY_NAME .*|$monitor|" "$CONFIG_DIR/sentinel.conf"
  else
    cat "$CONFIG_DIR/sentinel.conf"
  fi
  echo "sentinel announce-ip $MEMBER_HOST"
  echo "sentinel auth-user $PRIMARY_NAME $SENTINEL_USER"
  echo "sentinel auth-pass $PRIMARY_NAME $(cat "$SECRETS_DIR/$SENTINEL_PASSWORD_KEY")"
  # The passwords clients and the other sentinels may log in with: the sentinels' own, and during a
  # password rotation the other one too, so that members restarted one at a time keep talking.
  also=''
  if [ -s "$SECRETS_DIR/$SENTINEL_AUTH_ALSO_KEY" ]; then also=" >$(cat "$SECRETS_DIR/$SENTINEL_AUTH_ALSO_KEY")"; fi
  echo "user default on resetpass >$(cat "$SECRETS_DIR/$SENTINEL_AUTH_KEY")$also ~* &* +@all"
  echo "sentinel sentinel-pass $(cat "$SECRETS_DIR/$SENTINEL_AUTH_KEY")"
  if [ -s "$state" ]; then
    grep -E "^sentinel (myid|current-epoch|config-epoch|leader-epoch|known-replica|known-sentinel) " "$state" || true
  fi
} >"$state.next"
mv "$state.next" "$state"
exec "$SENTINEL_PROGRAM" "$state"
