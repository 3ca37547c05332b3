package rules.security.image_pinned_test

import data.lib.testing
import data.rules.security.image_pinned

_messages(images) := msgs if {
	containers := [{"name": sprintf("c%d", [i]), "image": image} | some i, image in images]
	msgs := testing.messages(image_pinned.violation) with input as testing.input_of([testing.workload("Deployment", "app", {"containers": containers})])
}

test_tags_and_digests_pass if {
	count(_messages(["redis:7.2.5", "registry:5000/team/redis:7.2.5", "redis@sha256:abc", "redis:latest@sha256:abc"])) == 0
}

test_latest_and_untagged if {
	_messages(["redis", "registry:5000/redis", "redis:latest", "redis:"]) == {
		"container c0 of Deployment app: image redis has no tag, so it is latest",
		"container c1 of Deployment app: image registry:5000/redis has no tag, so it is latest",
		"container c2 of Deployment app: image redis:latest is tagged latest",
		"container c3 of Deployment app: image redis: has no tag, so it is latest",
	}
}
