// A slim rclone: rclone's own main (rclone.go at the pinned version) with only what the backup and
// restore scripts (charts/config/backup-scripts/*.sh) and the backup tests run, instead of every
// backend and command (cmd/all, backend/all), which took ~30 min to build cold on 2 cores.
// Commands and backends outside this list are unknown to this binary; add one here when a script
// starts to use it.
package main

import (
	// Backends: s3 (the bucket), crypt (the encrypted remote over it), local (the pod's folders).
	_ "github.com/rclone/rclone/backend/crypt"
	_ "github.com/rclone/rclone/backend/local"
	_ "github.com/rclone/rclone/backend/s3"

	"github.com/rclone/rclone/cmd"
	// Commands: what backup-lib.sh, backup-upload.sh and restore.sh call, cat and lsf for the tests'
	// look into the bucket, version for a human.
	_ "github.com/rclone/rclone/cmd/cat"
	_ "github.com/rclone/rclone/cmd/copy"
	_ "github.com/rclone/rclone/cmd/cryptcheck"
	_ "github.com/rclone/rclone/cmd/lsf"
	_ "github.com/rclone/rclone/cmd/obscure"
	_ "github.com/rclone/rclone/cmd/purge"
	_ "github.com/rclone/rclone/cmd/version"
)

func main() {
	cmd.Main()
}
