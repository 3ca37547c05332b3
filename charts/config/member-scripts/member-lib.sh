# shellcheck shell=sh
# What the member scripts share, sourced by each of them: the settings and the functions that talk to
# redis and the sentinels. Sourced rather than pasted into each script at render time, so that the
# ConfigMap holds these very files, byte for byte (what shellcheck checked is what runs); every
# function here is called by some script (test/member-scripts.test.ts checks that, and that every
# setting is read). POSIX sh with the engine's CLI and coreutils only (what the Redis and Valkey images have).

# The settings (names, ports, mount paths, Secret keys): rendered by charts/config/member-scripts.ts
# into the same ConfigMap as these scripts, so they are not in this folder for shellcheck to follow.
# shellcheck source=/dev/null
. "$(dirname -- "$0")/member.env"

# Where this member's own redis and sentinel listen: localhost in a pod; the drill runs every member
# on a loopback address of its own.
LOCAL_ADDRESS=${LOCAL_ADDRESS:-127.0.0.1}

log() { echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) $*" >&2; }

# The CLI (redis-cli or valkey-cli, CLI_PROGRAM) has no connect timeout: an unreachable peer must not hang a probe or an entrypoint.
sentinel_cli() {
  host=$1; shift
  REDISCLI_AUTH=$(cat "$SECRETS_DIR/$SENTINEL_AUTH_KEY") timeout 3 "$CLI_PROGRAM" --no-auth-warning --tls \
    --cacert "$TLS_DIR/$CA_KEY" -h "$host" -p "$SENTINEL_PORT" --raw "$@"
}
member_cli() {
  REDISCLI_AUTH=$(cat "$SECRETS_DIR/$MEMBER_PASSWORD_KEY") timeout 3 "$CLI_PROGRAM" --no-auth-warning --tls \
    --cacert "$TLS_DIR/$CA_KEY" --user "$MEMBER_USER" -h "$LOCAL_ADDRESS" -p "$REDIS_PORT" --raw "$@"
}

# Prints each sentinel's answer to who the primary is, one line per sentinel that answers.
sentinel_answers() {
  for s in $SENTINELS; do
    a=$(sentinel_cli "$s" SENTINEL get-master-addr-by-name "$PRIMARY_NAME" 2>/dev/null | head -n 1) || a=''
    case "$a" in ''|ERR*|NOAUTH*|WRONGPASS*) ;; *) echo "$a" ;; esac
  done
}

# Prints each answering sentinel's view of the primary as "<config epoch> <host>", one line per sentinel.
# The epoch says which view is newer: a sentinel cut off during a failover answers with the old
# primary and the old epoch until it hears of the new one.
sentinel_views() {
  for s in $SENTINELS; do
    sentinel_cli "$s" SENTINEL MASTER "$PRIMARY_NAME" 2>/dev/null |
      awk 'NR % 2 == 1 { key = $0 } NR % 2 == 0 { value[key] = $0 } END { if (value["config-epoch"] != "" && value["ip"] != "") print value["config-epoch"], value["ip"] }' || true
  done
}

# Prints the host of `answers` ($1, one per line) named by a majority of ALL the configured sentinels
# (2 of 3), nothing when no host has one. Not a majority of those that answer: a member cut off from
# the others hears only its own sentinel, whose state may still name it primary (measured by the
# drill: a member restarted during a partition started as a second primary).
majority_of() {
  configured=0
  for s in $SENTINELS; do configured=$((configured + 1)); done
  [ -n "$1" ] || return 0
  best=$(printf '%s\n' "$1" | sort | uniq -c | sort -rn | head -n 1)
  votes=$(echo "$best" | awk '{print $1}')
  if [ $((votes * 2)) -gt "$configured" ]; then echo "$best" | awk '{print $2}'; fi
}

# Prints the primary a majority of all the sentinels names, nothing when none has one. A split
# answer (a failover under way) is asked again a few times.
discover_primary() {
  attempt=1
  while :; do
    answers=$(sentinel_answers)
    [ -n "$answers" ] || return 0
    named=$(majority_of "$answers")
    if [ -n "$named" ]; then echo "$named"; return 0; fi
    [ "$attempt" -lt 3 ] || return 0
    attempt=$((attempt + 1))
    sleep 1
  done
}
