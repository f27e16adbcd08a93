package tollgate.rules.kubernetes.redis_persistence_test

import rego.v1

import data.tollgate.rules.kubernetes.redis_persistence as rule

configmap(name, entries) := {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": entries}

statefulset(container) := {
	"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "redis"},
	"spec": {"template": {"spec": {"containers": [object.union({"name": "redis", "image": "redis:7.2"}, container)]}}},
}

compose(svc) := {"services": {"cache": object.union({"image": "redis:7-alpine"}, svc)}}

located(findings) := {[f.path, object.get(f, "text_line", null)] | some f in findings}

paths(findings) := {f.path | some f in findings}

good_conf := "# persistence\nappendonly yes\nappendfsync everysec\nsave 3600 1 300 100\n"

# ConfigMaps -----------------------------------------------------------------------------------

test_good_conf_passes if {
	count(rule.deny) == 0 with input as configmap("redis", {"redis.conf": good_conf})
}

test_appendonly_no_is_reported_on_its_line if {
	located(rule.deny) == {[["data", "redis.conf"], 3]} with input as configmap("cache", {"redis.conf": "port 6379\n\nappendonly no\n"})
}

test_missing_appendonly_points_at_the_key if {
	located(rule.deny) == {[["data", "redis.conf"], null]} with input as configmap("cache", {"redis.conf": "maxmemory 256mb\nmaxmemory-policy allkeys-lru\n"})
}

test_last_appendonly_wins if {
	count(rule.deny) == 0 with input as configmap("cache", {"redis.conf": "appendonly no\nappendonly yes\n"})
	located(rule.deny) == {[["data", "redis.conf"], 2]} with input as configmap("cache", {"redis.conf": "appendonly yes\nappendonly no\n"})
}

test_quoted_and_uppercase_values if {
	count(rule.deny) == 0 with input as configmap("cache", {"redis.conf": "APPENDONLY \"yes\"\nappendfsync 'always'\n"})
}

test_appendfsync_no_is_reported if {
	located(rule.deny) == {[["data", "redis.conf"], 2]} with input as configmap("cache", {"redis.conf": "appendonly yes\nappendfsync no\n"})
}

test_appendfsync_setting if {
	count(rule.deny) == 0 with input as configmap("cache", {"redis.conf": "appendonly yes\nappendfsync no\n"})
		with data.tollgate.config["redis-persistence"] as {"appendfsync_allowed": ["everysec", "always", "no"]}
}

test_save_empty_is_reported_in_both_quotings if {
	located(rule.deny) == {[["data", "redis.conf"], 2]} with input as configmap("cache", {"redis.conf": "appendonly yes\nsave \"\"\n"})
	located(rule.deny) == {[["data", "redis.conf"], 2]} with input as configmap("cache", {"redis.conf": "appendonly yes\nsave ''\n"})
}

test_save_after_save_empty_reenables_snapshots if {
	count(rule.deny) == 0 with input as configmap("cache", {"redis.conf": "appendonly yes\nsave \"\"\nsave 900 1\n"})
}

test_any_conf_key_by_content if {
	located(rule.deny) == {[["data", "cache.conf"], 1]} with input as configmap("app-settings", {"cache.conf": "appendonly no\nmaxmemory 1gb\n"})
}

test_any_conf_key_in_a_redis_configmap if {
	located(rule.deny) == {[["data", "master.conf"], null]} with input as configmap("redis-config", {"master.conf": "dir /data\n"})
}

test_non_redis_conf_is_ignored if {
	count(rule.deny) == 0 with input as configmap("web", {
		"nginx.conf": "events {}\nhttp {\n  server { listen 80; }\n}\n",
		"postgresql.conf": "port = 5432\nmax_connections = 100\n",
		"mosquitto.conf": "listener 1883\nport 1883\npersistence true\n",
		"settings.json": "{\"appendonly\": \"no\"}",
	})
}

test_sentinel_conf_is_ignored if {
	count(rule.deny) == 0 with input as configmap("redis-sentinel", {"sentinel.conf": "port 26379\nsentinel monitor mymaster redis-0 6379 2\n"})
}

test_bitnami_layout_redis_conf_decides_for_master_and_replica if {
	count(rule.deny) == 0 with input as configmap("redis-configuration", {
		"redis.conf": "appendonly yes\n",
		"master.conf": "dir /data\nrename-command FLUSHDB \"\"\n",
		"replica.conf": "dir /data\nslave-read-only yes\n",
	})
}

test_missing_appendonly_reported_once_at_redis_conf if {
	located(rule.deny) == {[["data", "redis.conf"], null]} with input as configmap("redis-configuration", {
		"redis.conf": "maxmemory 1gb\n",
		"master.conf": "dir /data\n",
	})
}

test_include_makes_a_missing_appendonly_unknown if {
	count(rule.deny) == 0 with input as configmap("redis", {"redis.conf": "include /etc/redis/base.conf\nmaxmemory 1gb\n"})
}

test_crlf_text if {
	located(rule.deny) == {[["data", "redis.conf"], 2]} with input as configmap("redis", {"redis.conf": "appendonly yes\r\nsave \"\"\r\n"})
}

# Kubernetes containers ------------------------------------------------------------------------

test_container_with_good_flags_passes if {
	count(rule.deny) == 0 with input as statefulset({"command": ["redis-server"], "args": ["--appendonly", "yes", "--appendfsync", "everysec"]})
}

test_container_without_command_runs_the_default_configuration if {
	some f in rule.deny with input as statefulset({})
	f.path == ["spec", "template", "spec", "containers", 0, "image"]
	contains(f.msg, "default command (`redis-server` with the default configuration), which does not persist")
}

test_container_without_command_mounting_a_conf_is_not_reported if {
	count(rule.deny) == 0 with input as statefulset({"volumeMounts": [{"name": "conf", "mountPath": "/usr/local/etc/redis/redis.conf", "subPath": "redis.conf"}]})
	count(rule.deny) == 0 with input as statefulset({"volumeMounts": [{"name": "conf", "mountPath": "/etc/redis"}]})
}

test_container_without_command_mounting_data_only_is_reported if {
	count(rule.deny) == 1 with input as statefulset({"volumeMounts": [{"name": "data", "mountPath": "/data"}]})
}

test_config_file_argument_decides if {
	count(rule.deny) == 0 with input as statefulset({"command": ["redis-server", "/etc/redis/redis.conf"]})
}

test_config_file_with_violating_flag_is_reported if {
	paths(rule.deny) == {["spec", "template", "spec", "containers", 0, "args"]} with input as statefulset({"command": ["redis-server"], "args": ["/etc/redis/redis.conf", "--save", ""]})
}

test_bare_redis_server_is_reported_at_command if {
	paths(rule.deny) == {["spec", "template", "spec", "containers", 0, "command"]} with input as statefulset({"command": ["redis-server"]})
}

test_missing_appendonly_points_at_args_when_present if {
	paths(rule.deny) == {["spec", "template", "spec", "containers", 0, "args"]} with input as statefulset({"command": ["redis-server"], "args": ["--maxmemory", "1gb"]})
}

test_flag_in_command_and_missing_appendonly_in_args if {
	paths(rule.deny) == {
		["spec", "template", "spec", "containers", 0, "command"],
		["spec", "template", "spec", "containers", 0, "args"],
	} with input as statefulset({"command": ["redis-server", "--appendfsync", "no"], "args": ["--maxmemory", "1gb"]})
}

test_shell_script_in_args if {
	paths(rule.deny) == {["spec", "template", "spec", "containers", 0, "args"]} with input as statefulset({"command": ["/bin/sh", "-ec"], "args": ["echo starting\nexec redis-server --appendonly no\n"]})
	count(rule.deny) == 0 with input as statefulset({"command": ["sh", "-c"], "args": ["redis-server --appendonly yes --requirepass \"$REDIS_PASSWORD\" && echo done"]})
}

test_flags_only_args_for_the_redis_image if {
	paths(rule.deny) == {["spec", "template", "spec", "containers", 0, "args"]} with input as statefulset({"image": "bitnami/redis:7.2", "args": ["--save", ""]})
}

test_flags_only_args_for_other_images_are_ignored if {
	count(rule.deny) == 0 with input as statefulset({"image": "oliver006/redis_exporter:v1.58.0", "args": ["--redis.addr=redis://redis:6379"]})
}

# may_run_redis, the cheap guard before tokenizing: a command line that launches redis-server is
# checked whatever the image, and an image name is compared without case.
test_redis_server_in_another_image_is_checked if {
	mine := {"image": "ghcr.io/acme/cache:1"}
	paths(rule.deny) == {["spec", "template", "spec", "containers", 0, "command"]} with input as statefulset(object.union(mine, {"command": ["/usr/local/bin/redis-server"]}))
	paths(rule.deny) == {["spec", "template", "spec", "containers", 0, "args"]} with input as statefulset(object.union(mine, {"command": ["sh", "-c"], "args": ["exec redis-server --appendonly no"]}))
	paths(rule.deny) == {["services", "cache", "command"]} with input as compose(object.union(mine, {"command": "redis-server --save ''"}))
	count(rule.deny) == 0 with input as statefulset(object.union(mine, {"command": ["cache-server", "--appendonly", "no"]}))
}

test_upper_case_image_is_the_redis_image if {
	paths(rule.deny) == {["spec", "template", "spec", "containers", 0, "args"]} with input as statefulset({"image": "Docker.io/Bitnami/REDIS:7.2", "args": ["--save", ""]})
	paths(rule.deny) == {["spec", "template", "spec", "containers", 0, "image"]} with input as statefulset({"image": "REDIS:7"})
}

test_variable_values_are_unknown if {
	count(rule.deny) == 0 with input as statefulset({"command": ["redis-server", "--appendonly", "$(REDIS_AOF)"]})
}

test_redis_7_empty_save_before_another_flag if {
	paths(rule.deny) == {["spec", "template", "spec", "containers", 0, "command"]} with input as statefulset({"command": ["redis-server", "--save", "--appendonly", "yes"]})
}

test_include_flag_may_set_appendonly if {
	count(rule.deny) == 0 with input as statefulset({"command": ["redis-server", "--include", "/etc/redis/base.conf", "--port", "6380"]})
}

test_sentinel_mode_is_not_a_data_server if {
	count(rule.deny) == 0 with input as statefulset({"command": ["redis-server", "--sentinel", "--port", "26379"]})
}

# Compose --------------------------------------------------------------------------------------

test_compose_string_command if {
	paths(rule.deny) == {["services", "cache", "command"]} with input as compose({"command": "redis-server --appendonly yes --save \"\""})
	count(rule.deny) == 0 with input as compose({"command": "redis-server --appendonly yes --appendfsync always"})
}

test_compose_list_command if {
	paths(rule.deny) == {["services", "cache", "command"]} with input as compose({"command": ["redis-server", "--appendonly", "no"]})
}

test_compose_one_finding_lists_every_problem if {
	findings := rule.deny with input as compose({"command": "redis-server --appendonly no --appendfsync no --save ''"})
	count(findings) == 1
	some f in findings
	contains(f.msg, "--appendonly no")
	contains(f.msg, "--appendfsync no")
	contains(f.msg, "--save")
}

test_compose_sh_c_command if {
	paths(rule.deny) == {["services", "cache", "command"]} with input as compose({"command": "sh -c \"redis-server --requirepass $$REDIS_PASSWORD\""})
}

test_compose_config_file_passes if {
	count(rule.deny) == 0 with input as compose({"command": ["redis-server", "/usr/local/etc/redis/redis.conf"]})
}

test_compose_service_without_command_runs_the_default_configuration if {
	paths(rule.deny) == {["services", "cache", "image"]} with input as compose({})
	some f in rule.deny with input as compose({})
	startswith(f.msg, "service `cache` runs the `redis:7-alpine` image's default command")
}

test_compose_service_without_command_exemptions if {
	# A mounted redis.conf may turn AOF on.
	count(rule.deny) == 0 with input as compose({"volumes": ["./redis.conf:/usr/local/etc/redis/redis.conf:ro"]})
	count(rule.deny) == 0 with input as compose({"volumes": [{"type": "bind", "source": "./redis", "target": "/usr/local/etc/redis/redis.conf"}]})
	# Bitnami images enable AOF by default.
	count(rule.deny) == 0 with input as compose({"image": "bitnami/redis:7.2"})
	# Not a redis image; another image named redis, with its own entrypoint.
	count(rule.deny) == 0 with input as compose({"image": "valkey/valkey:8"})
	count(rule.deny) == 0 with input as compose({"image": "registry.k8s.io/redis:e2e"})
	count(rule.deny) == 1 with input as compose({"image": "docker.io/library/redis:7.4"})
}

test_compose_interpolated_value_is_unknown if {
	count(rule.deny) == 0 with input as compose({"command": "redis-server --appendonly ${REDIS_AOF:-yes}"})
}

test_compose_entrypoint if {
	paths(rule.deny) == {["services", "cache", "entrypoint"]} with input as compose({"entrypoint": ["redis-server", "--save", ""], "command": ["--appendonly", "yes"]})
}

test_compose_other_programs_are_ignored if {
	count(rule.deny) == 0 with input as {"services": {"web": {"image": "node:20", "command": "npm start --save"}, "cli": {"image": "redis:7", "command": "redis-cli -h cache ping"}}}
}

test_null_command_and_args_are_skipped if {
	count(rule.deny) == 0 with input as statefulset({"command": null, "args": null})
	count(rule.deny) == 0 with input as compose({"command": null})
}
