#!/bin/sh
# Restore (rclone image, an init container of the designated first primary): lays the named backup
# into the member's data folder when, and only when, that folder holds no data, so a restart or a
# member that already replicated never loses anything. Redis loads it as it starts.
# Environment: RESTORE_BACKUP, the id of the backup; DATA_DIR, the member's data folder. The crypt
# remote's variables point at the prefix the backup was written under.
set -eu
# shellcheck source-path=SCRIPTDIR source=backup-lib.sh
. "$(dirname -- "$0")/backup-lib.sh"
: "${RESTORE_BACKUP:?RESTORE_BACKUP must name the backup to restore}"
: "${DATA_DIR:?DATA_DIR must be the data folder of the member}"

if [ -e "$DATA_DIR/$SNAPSHOT_FILE" ] || [ -e "$DATA_DIR/$AOF_DIR" ]; then
  log "$DATA_DIR holds data already: backup $RESTORE_BACKUP is not restored over it"
  exit 0
fi
incoming=$DATA_DIR/restore.partial
rm -rf "$incoming"
mkdir -p "$incoming"
log "downloading backup $RESTORE_BACKUP"
encrypted_rclone copy "$(encrypted_remote):$RESTORE_BACKUP" "$incoming" || fail "backup $RESTORE_BACKUP could not be read (wrong name, prefix or encryption key?)"
[ -s "$incoming/$MANIFEST_FILE" ] || fail "backup $RESTORE_BACKUP has no manifest: incomplete or not a backup"
want=$(manifest_field "$incoming/$MANIFEST_FILE" sha256)
made_by=$(manifest_field "$incoming/$MANIFEST_FILE" engine)
[ "$made_by" = "$ENGINE" ] || fail "backup $RESTORE_BACKUP is of $made_by, not $ENGINE"
got=$(sha256sum "$incoming/$SNAPSHOT_FILE" | cut -d ' ' -f 1)
[ "$got" = "$want" ] || fail "backup $RESTORE_BACKUP: sha256 $got, the manifest says $want"
# Both forms redis may start from: dump.rdb (appendonly no) and an append-only folder whose base is
# the same RDB (appendonly yes: redis then ignores dump.rdb, and with no such folder starts empty).
mkdir -p "$incoming/$AOF_DIR"
cp "$incoming/$SNAPSHOT_FILE" "$incoming/$AOF_DIR/$AOF_NAME.1.base.rdb"
printf 'file %s.1.base.rdb seq 1 type b\n' "$AOF_NAME" >"$incoming/$AOF_DIR/$AOF_NAME.manifest"
mv "$incoming/$AOF_DIR" "$DATA_DIR/$AOF_DIR"
mv "$incoming/$SNAPSHOT_FILE" "$DATA_DIR/$SNAPSHOT_FILE"
mv "$incoming/$MANIFEST_FILE" "$DATA_DIR/restored-from.json"
rm -rf "$incoming"
log "restored backup $RESTORE_BACKUP ($(manifest_field "$DATA_DIR/restored-from.json" size) bytes, redis $(manifest_field "$DATA_DIR/restored-from.json" version), taken $(manifest_field "$DATA_DIR/restored-from.json" time))"
