package tollgate.lib.image_test

import rego.v1

import data.tollgate.lib.image

test_name_of_a_bare_image if {
	image.name("redis") == "redis"
	image.name("postgres:16-alpine") == "postgres"
}

test_name_drops_registry_and_namespace if {
	image.name("docker.io/library/postgres:16") == "postgres"
	image.name("bitnami/postgresql:16.2.0") == "postgresql"
	image.name("quay.io/prometheuscommunity/postgres-exporter:v0.15.0") == "postgres-exporter"
}

test_name_drops_the_digest if {
	image.name("docker.io/bitnami/redis:7.2@sha256:0123abcd") == "redis"
	image.name("redis@sha256:0123abcd") == "redis"
}

test_name_is_not_fooled_by_a_registry_port if {
	image.name("registry.example.com:5000/app:postgres") == "app"
	image.name("localhost:5000/team/redis") == "redis"
}

test_name_is_lower_cased if {
	image.name("Example/Redis:Latest") == "redis"
}

test_name_of_an_empty_reference_is_empty if {
	image.name("") == ""
}

test_name_of_a_non_string_is_undefined if {
	not image.name(null)
	not image.name(7)
	not image.name(["redis"])
	not image.name({"name": "redis"})
}

test_repository_and_official_images if {
	image.repository("redis:7-alpine") == "redis"
	image.repository("docker.io/library/redis:7@sha256:abc") == "redis"
	image.repository("mirror.gcr.io/library/redis") == "redis"
	image.repository("docker.io/bitnami/redis:7.2") == "bitnami/redis"
	image.repository("registry.k8s.io/redis:e2e") == "registry.k8s.io/redis"
	image.repository("localhost:5000/redis:7") == "localhost:5000/redis"
	image.official("public.ecr.aws/docker/library/redis:7", "redis")
	not image.official("registry.k8s.io/redis:e2e", "redis")
	not image.official("kubernetes/redis:v1", "redis")
	not image.repository(7)
}
