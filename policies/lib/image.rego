# Container image reference helpers shared by the built-in rules (Kubernetes containers, compose
# services): an image reference is `[registry[:port]/]path/name[:tag][@digest]`.
package tollgate.lib.image

import rego.v1

# name(image): the repository's last path segment without tag or digest, lower-cased: "redis"
# for "docker.io/bitnami/redis:7.2@sha256:…", "postgresql" for "bitnami/postgresql:16".
# Undefined when image is not a string.
name(image) := n if {
	is_string(image)
	no_digest := split(image, "@")[0]
	segs := split(no_digest, "/")
	last_seg := segs[count(segs) - 1]
	n := lower(split(last_seg, ":")[0])
}
