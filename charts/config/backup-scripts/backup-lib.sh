# shellcheck shell=sh
# What the backup and restore scripts share, sourced by each of them. They run in two images: the
# snapshot in the Redis image (Debian: dash, coreutils, redis-cli), the upload and the restore in
# rclone's (Alpine: busybox sh, rclone). So POSIX sh and the utilities both have, nothing more.

# The settings (names, hosts, ports, mount paths, Secret keys, retention): rendered by
# charts/config/backup-scripts.ts into the same ConfigMap as these scripts.
# shellcheck source=/dev/null
. "$(dirname -- "$0")/backup.env"

log() { echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) $*" >&2; }
fail() { log "FAILED: $*"; exit 1; }

# redis-cli over TLS as the backup user, to one data member: `backup_cli <host> <command>...` ends
# within 10 s (redis-cli has no connect timeout, and an unreachable member must not hang the job);
# `backup_cli_unbounded` is for the snapshot's transfer, which the Job's deadline bounds
# (coreutils' timeout 0: no limit).
backup_cli() { backup_cli_within 10 "$@"; }
backup_cli_unbounded() { backup_cli_within 0 "$@"; }
backup_cli_within() {
  limit=$1; host=$2; shift 2
  REDISCLI_AUTH=$(cat "$SECRETS_DIR/$BACKUP_PASSWORD_KEY") timeout "$limit" redis-cli --no-auth-warning --tls \
    --cacert "$TLS_DIR/$CA_KEY" --user "$BACKUP_USER" -h "$host" -p "$REDIS_PORT" "$@"
}

# rclone, with the crypt remote's passphrase taken from the credentials Secret. The remotes
# themselves (the S3 target and the crypt remote over it) are the container's environment
# (RCLONE_CONFIG_*), set by the manifest; rclone wants the passphrase "obscured", which is done here
# so the Secret holds the passphrase as the user keeps it.
encrypted_rclone() {
  [ -s "$CREDENTIALS_DIR/$ENCRYPTION_KEY_KEY" ] || fail "no encryption key in $CREDENTIALS_DIR/$ENCRYPTION_KEY_KEY"
  password=$(rclone obscure - <"$CREDENTIALS_DIR/$ENCRYPTION_KEY_KEY")
  # No configuration file: the remotes are all in the environment. The cache under the scratch folder
  # (the root filesystem is read-only).
  env "RCLONE_CONFIG_${ENCRYPTED_REMOTE}_PASSWORD=$password" rclone --config "$WORK_DIR/rclone.conf" \
    --cache-dir "$WORK_DIR/cache" --low-level-retries 3 --retries 3 "$@"
}

# The crypt remote as rclone names it: the lower-cased name of its variables.
encrypted_remote() { echo "$ENCRYPTED_REMOTE" | tr '[:upper:]' '[:lower:]'; }

# A field of a manifest (one "key": value pair a line, as backup-upload.sh writes them).
manifest_field() { sed -n "s/^ *\"$2\": *\"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" "$1"; }
