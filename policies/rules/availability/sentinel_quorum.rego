# METADATA
# title: Sentinel quorum is 2
# description: >-
#   Every `sentinel monitor <name> <host> <port> <quorum>` of a sentinel configuration in a ConfigMap
#   has quorum 2: of the three sentinels, two must agree that the primary is down. With 1, a
#   sentinel cut off from the primary alone starts a failover (a split brain when it is the one
#   isolated); with 3, losing any one member blocks every failover.
# custom:
#   severity: error
#   remediation: Set the quorum (the last argument of `sentinel monitor`) to 2, with three sentinels.
package rules.availability.sentinel_quorum

import data.lib.k8s
import data.lib.redis

violation contains k8s.violation(config.entry, msg) if {
	some config in redis.configs
	some d in config.dirs
	d.name == "sentinel"
	lower(d.args[0]) == "monitor"
	quorum := _quorum(d.args)
	quorum != "2"
	msg := sprintf("ConfigMap %s key %s line %d: sentinel monitor %s has quorum %s, not 2", [k8s.name(config.entry.object), config.key, d.line, d.args[1], quorum])
}

_quorum(args) := args[4] if count(args) > 4

else := "(none)"
