#!/bin/sh
# Backup, step 2 (rclone image): the snapshot and its manifest, encrypted on the way out by rclone's
# crypt remote, to <prefix>/<backup id>/ of the bucket; the upload checked against the local files;
# then the oldest backups beyond the retention deleted.
set -eu
# shellcheck source-path=SCRIPTDIR source=backup-lib.sh
. "$(dirname -- "$0")/backup-lib.sh"

snapshot=$WORK_DIR/$SNAPSHOT_FILE
if [ ! -s "$snapshot" ] || [ ! -s "$WORK_DIR/snapshot.env" ]; then fail "no snapshot in $WORK_DIR (the snapshot step did not finish)"; fi
# shellcheck source=/dev/null
. "$WORK_DIR/snapshot.env"
id=$(date -u +%Y%m%dT%H%M%SZ)
out=$WORK_DIR/$id
mkdir -p "$out"
mv "$snapshot" "$out/$SNAPSHOT_FILE"
size=$(wc -c <"$out/$SNAPSHOT_FILE" | tr -d ' ')
sum=$(sha256sum "$out/$SNAPSHOT_FILE" | cut -d ' ' -f 1)
cat >"$out/$MANIFEST_FILE" <<MANIFEST
{
  "backup": "$id",
  "deployment": "$DEPLOYMENT",
  "namespace": "$NAMESPACE",
  "engine": "$ENGINE",
  "version": "$ENGINE_VERSION",
  "member": "$SOURCE_MEMBER",
  "time": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "file": "$SNAPSHOT_FILE",
  "size": $size,
  "sha256": "$sum"
}
MANIFEST
remote=$(encrypted_remote)
log "uploading backup $id ($size bytes, sha256 $sum)"
encrypted_rclone copy "$out" "$remote:$id" || fail "upload of backup $id failed"
# Reads back the encrypted objects' checksums and compares them with the local files encrypted again.
encrypted_rclone cryptcheck "$out" "$remote:$id" || fail "backup $id in the bucket does not match what was uploaded"
rm -rf "$out"
log "backup $id uploaded and checked"

# Retention: keep the newest RETENTION backups (ids sort as their times).
ids=$(encrypted_rclone lsf --dirs-only "$remote:" | sed 's|/$||' | grep -E '^[0-9]{8}T[0-9]{6}Z$' | sort) || ids=''
count=$(printf '%s\n' "$ids" | grep -c . || true)
excess=$((count - RETENTION))
for old in $(printf '%s\n' "$ids" | head -n "$((excess > 0 ? excess : 0))"); do
  log "retention $RETENTION: deleting backup $old"
  encrypted_rclone purge "$remote:$old" || fail "could not delete backup $old"
done
log "done: $(( count - (excess > 0 ? excess : 0) )) backup(s) kept"
