#!/bin/sh
# Backup, step 1 (Redis image): a consistent snapshot of the dataset, taken from the current replica
# and never from the primary: `redis-cli --rdb` asks the replica for a full resynchronisation, so the
# replica writes an RDB of its dataset (a fork on the replica; the primary does nothing).
set -eu
# shellcheck source-path=SCRIPTDIR source=backup-lib.sh
. "$(dirname -- "$0")/backup-lib.sh"

# A replica whose replication link is up and not resynchronising itself: its dataset is the primary's
# as of its last replicated write.
current_replica() {
  for host in $DATA_MEMBERS; do
    info=$(backup_cli "$host" INFO replication 2>/dev/null | tr -d '\r') || continue
    case "$info" in *role:slave*) ;; *) continue ;; esac
    case "$info" in *master_link_status:up*) ;; *) continue ;; esac
    case "$info" in *master_sync_in_progress:0*) echo "$host"; return 0 ;; esac
  done
}

replica=$(current_replica)
[ -n "$replica" ] || fail "no data member is a replica with its replication link up: a backup is never taken from the primary"
version=$(backup_cli "$replica" INFO server | tr -d '\r' | sed -n 's/^redis_version://p')
log "snapshot of $replica (redis $version)"
rm -f "$WORK_DIR/$SNAPSHOT_FILE.partial"
backup_cli_unbounded "$replica" --rdb "$WORK_DIR/$SNAPSHOT_FILE.partial" >&2 || fail "redis-cli --rdb from $replica failed"
# A failover during the transfer would have made it the primary: the snapshot is still consistent
# (one point in time), but say so rather than claim a replica's copy.
[ "$(current_replica)" = "$replica" ] || fail "$replica stopped being a replica during the snapshot (a failover?): try again at the next run"
mv "$WORK_DIR/$SNAPSHOT_FILE.partial" "$WORK_DIR/$SNAPSHOT_FILE"
printf 'SOURCE_MEMBER=%s\nENGINE_VERSION=%s\n' "$replica" "$version" >"$WORK_DIR/snapshot.env"
log "snapshot of $(wc -c <"$WORK_DIR/$SNAPSHOT_FILE" | tr -d ' ') bytes taken"
