import { aclPasswordKey, authSecretKeys } from '../secret-keys.js';

/**
 * The shell scripts a member runs: entrypoints for redis and sentinel, the probe and the pre-stop
 * hand-over. POSIX sh with redis-cli and coreutils only (what the redis image has). Rendered by a pure
 * function so a test runs the same text on real redis-server and redis-sentinel processes.
 */
export interface MemberScriptsInput {
  /** Name the sentinels know the primary by. */
  primaryName: string;
  /** Announced host name of every member, in member order; the first is the designated first primary. */
  memberHosts: readonly string[];
  redisPort: number;
  sentinelPort: number;
  quorum: number;
  paths: MemberPaths;
  /** How long the pre-stop hook waits for the sentinels to name a new primary. */
  handOverSeconds: number;
}

export interface MemberPaths {
  /** Read-only ConfigMap mount with redis.conf and sentinel.conf. */
  configDir: string;
  /** Read-only mount of the auth Secret (authSecretKeys). */
  secretsDir: string;
  /** Read-only Secret mount with tls.crt, tls.key and ca.crt. */
  tlsDir: string;
  /** Writable, memory-backed folder for the effective redis.conf (it holds the replication password). */
  runDir: string;
}


export const scriptNames = {
  startRedis: 'start-redis.sh',
  startSentinel: 'start-sentinel.sh',
  probeRedis: 'probe-redis.sh',
  probeSentinel: 'probe-sentinel.sh',
  stopRedis: 'stop-redis.sh',
} as const;

export function renderMemberScripts(input: MemberScriptsInput): Record<string, string> {
  const prelude = renderPrelude(input);
  const script = (purpose: string, body: string) => `#!/bin/sh\n# ${purpose}\n${prelude}\n${body.trim()}\n`;
  return {
    [scriptNames.startRedis]: script('Data member entrypoint: start as a replica of the primary the sentinels name.', startRedis),
    [scriptNames.startSentinel]: script('Sentinel entrypoint: keep what this sentinel learned across restarts.', startSentinel),
    [scriptNames.probeRedis]: script('Probe of the redis container: `live` or `ready`.', probeRedis),
    [scriptNames.probeSentinel]: script('Probe of the sentinel container.', probeSentinel),
    [scriptNames.stopRedis]: script('Pre-stop hook: a primary hands over to its replica before it exits.', stopRedis),
  };
}

function renderPrelude(input: MemberScriptsInput): string {
  const [firstPrimary] = input.memberHosts;
  const q = (value: string | number) => `'${String(value).replace(/'/g, `'\\''`)}'`;
  return `set -eu
PRIMARY_NAME=${q(input.primaryName)}
SENTINELS=${q(input.memberHosts.join(' '))}
FIRST_PRIMARY=${q(firstPrimary ?? '')}
REDIS_PORT=${input.redisPort}
SENTINEL_PORT=${input.sentinelPort}
QUORUM=${input.quorum}
HAND_OVER_SECONDS=${input.handOverSeconds}
CONFIG_DIR=${q(input.paths.configDir)}
SECRETS_DIR=${q(input.paths.secretsDir)}
TLS_DIR=${q(input.paths.tlsDir)}
RUN_DIR=${q(input.paths.runDir)}
: "\${MEMBER_HOST:?MEMBER_HOST must be this member's announced host name (set by its StatefulSet)}"
LOCAL_ADDRESS="\${LOCAL_ADDRESS:-127.0.0.1}"

log() { echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) $*" >&2; }

# redis-cli has no connect timeout: an unreachable peer must not hang a probe or an entrypoint.
sentinel_cli() {
  host=$1; shift
  REDISCLI_AUTH=$(cat "$SECRETS_DIR/${authSecretKeys.sentinelAuth}") timeout 3 redis-cli --no-auth-warning --tls \\
    --cacert "$TLS_DIR/ca.crt" -h "$host" -p "$SENTINEL_PORT" --raw "$@"
}
member_cli() {
  REDISCLI_AUTH=$(cat "$SECRETS_DIR/${aclPasswordKey('member')}") timeout 3 redis-cli --no-auth-warning --tls \\
    --cacert "$TLS_DIR/ca.crt" --user member -h "$LOCAL_ADDRESS" -p "$REDIS_PORT" --raw "$@"
}

# Prints the primary named by most of the sentinels that answer, nothing when none knows one. A
# split answer (a failover under way) is asked again a few times before the most common one wins.
discover_primary() {
  attempt=1
  while :; do
    answers=''
    for s in $SENTINELS; do
      a=$(sentinel_cli "$s" SENTINEL get-master-addr-by-name "$PRIMARY_NAME" 2>/dev/null | head -n 1) || a=''
      case "$a" in ''|ERR*|NOAUTH*|WRONGPASS*) ;; *) answers="$answers$a
" ;; esac
    done
    [ -n "$answers" ] || return 0
    total=$(printf '%s' "$answers" | grep -c .)
    best=$(printf '%s' "$answers" | sort | uniq -c | sort -rn | head -n 1)
    votes=$(echo "$best" | awk '{print $1}')
    if [ $((votes * 2)) -gt "$total" ] || [ "$attempt" -ge 5 ]; then
      echo "$best" | awk '{print $2}'
      return 0
    fi
    attempt=$((attempt + 1))
    sleep 1
  done
}`;
}

const startRedis = `
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
  echo "masteruser replication"
  echo "masterauth $(cat "$SECRETS_DIR/${aclPasswordKey('replication')}")"
  if [ "$primary" != "$MEMBER_HOST" ]; then echo "replicaof $primary $REDIS_PORT"; fi
} >>"$conf"
if [ "$primary" = "$MEMBER_HOST" ]; then log "starting as the primary"; else log "starting as a replica of $primary"; fi
exec redis-server "$conf"
`;

const startSentinel = `
: "\${SENTINEL_STATE_DIR:?SENTINEL_STATE_DIR must be a persistent folder for the sentinel state}"
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
  echo "sentinel auth-user $PRIMARY_NAME sentinel"
  echo "sentinel auth-pass $PRIMARY_NAME $(cat "$SECRETS_DIR/${aclPasswordKey('sentinel')}")"
  echo "requirepass $(cat "$SECRETS_DIR/${authSecretKeys.sentinelAuth}")"
  echo "sentinel sentinel-pass $(cat "$SECRETS_DIR/${authSecretKeys.sentinelAuth}")"
  if [ -s "$state" ]; then
    grep -E "^sentinel (myid|current-epoch|config-epoch|leader-epoch|known-replica|known-sentinel) " "$state" || true
  fi
} >"$state.next"
mv "$state.next" "$state"
exec redis-sentinel "$state"
`;

const probeRedis = `
case "\${1:-}" in
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
`;

const probeSentinel = `
reply=$(sentinel_cli "$LOCAL_ADDRESS" PING 2>&1) || reply=''
[ "$reply" = PONG ] || { echo "sentinel did not answer PING: $reply"; exit 1; }
`;

const stopRedis = `
role=$(member_cli ROLE 2>/dev/null | head -n 1) || role=''
[ "$role" = master ] || exit 0
log "primary shutting down: pausing writes and handing over to the replica"
pause_ms=$(( (HAND_OVER_SECONDS + 5) * 1000 ))
member_cli CLIENT PAUSE "$pause_ms" WRITE >/dev/null
# Writes are paused; let the replica catch up with the last acknowledged write before promoting it.
i=0
while [ "$i" -lt 10 ]; do
  info=$(member_cli INFO replication | tr -d '\\r')
  own=$(echo "$info" | sed -n 's/^master_repl_offset://p')
  replica=$(echo "$info" | sed -n 's/^slave0:.*offset=\\([0-9]*\\).*/\\1/p')
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
`;
