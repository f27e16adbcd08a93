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

# repository(image): the reference without tag or digest, lower-cased, with Docker Hub's
# spellings and mirrors reduced to the short form: "redis" for "docker.io/library/redis:7",
# "bitnami/redis" for "docker.io/bitnami/redis:7.2". Undefined when image is not a string.
repository(image) := r if {
	is_string(image)
	no_digest := lower(split(trim_space(image), "@")[0])
	segs := split(no_digest, "/")
	last_seg := segs[count(segs) - 1]
	path := concat("/", array.concat(array.slice(segs, 0, count(segs) - 1), [split(last_seg, ":")[0]]))
	r := hub_short(path)
}

hub_prefixes := ["docker.io/library/", "index.docker.io/library/", "registry-1.docker.io/library/", "mirror.gcr.io/library/", "public.ecr.aws/docker/library/", "library/", "docker.io/", "index.docker.io/", "registry-1.docker.io/"]

hub_short(path) := substring(path, count(p), -1) if {
	ps := [q | some q in hub_prefixes; startswith(path, q)]
	count(ps) > 0
	p := ps[0]
} else := path

# official(image, name): the image is Docker Hub's official image `name` (library/name), under
# any of its spellings or mirrors.
official(image, name) if repository(image) == name
