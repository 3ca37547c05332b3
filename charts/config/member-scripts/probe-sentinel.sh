#!/bin/sh
# Probe of the sentinel container.
set -eu
# shellcheck source-path=SCRIPTDIR source=member-lib.sh
. "$(dirname -- "$0")/member-lib.sh"

reply=$(sentinel_cli "$LOCAL_ADDRESS" PING 2>&1) || reply=''
[ "$reply" = PONG ] || { echo "sentinel did not answer PING: $reply"; exit 1; }
