package tollgate.rules.kubernetes.redis_dangerous_commands_test

import rego.v1

import data.tollgate.rules.kubernetes.redis_dangerous_commands as rule

configmap(name, entries) := {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": entries}

paths(findings) := {f.path | some f in findings}

test_both_disabled_passes if {
	count(rule.deny) == 0 with input as configmap("redis", {"redis.conf": "appendonly yes\nrename-command FLUSHDB \"\"\nrename-command FLUSHALL \"\"\n"})
}

test_single_quotes_and_lower_case_pass if {
	count(rule.deny) == 0 with input as configmap("redis", {"redis.conf": "rename-command flushdb ''\nRENAME-COMMAND FlushAll \"\"\n"})
}

test_neither_disabled_is_one_finding_at_the_key if {
	findings := rule.deny with input as configmap("redis", {"redis.conf": "appendonly yes\n"})
	paths(findings) == {["data", "redis.conf"]}
	count(findings) == 1
	some f in findings
	contains(f.msg, "FLUSHDB and FLUSHALL")
	not "text_line" in object.keys(f)
}

test_one_missing_names_it if {
	some f in rule.deny with input as configmap("redis", {"redis.conf": "rename-command FLUSHALL \"\"\n"})
	contains(f.msg, "leaves FLUSHDB enabled")
	not contains(f.msg, "leaves FLUSHDB and FLUSHALL")
}

test_rename_to_another_name_is_not_disabled if {
	paths(rule.deny) == {["data", "redis.conf"]} with input as configmap("redis", {"redis.conf": "rename-command FLUSHDB \"b840fc02d524045429941cc15f59e41cb7be6c52\"\nrename-command FLUSHALL \"\"\n"})
}

test_commented_out_rename_does_not_count if {
	paths(rule.deny) == {["data", "redis.conf"]} with input as configmap("redis", {"redis.conf": "# rename-command FLUSHDB \"\"\nrename-command FLUSHALL \"\"\n"})
}

test_renames_in_a_sibling_conf_count if {
	count(rule.deny) == 0 with input as configmap("redis-configuration", {
		"redis.conf": "appendonly yes\n",
		"master.conf": "dir /data\nrename-command FLUSHDB \"\"\nrename-command FLUSHALL \"\"\n",
	})
}

test_each_conf_reported_without_a_redis_conf_key if {
	paths(rule.deny) == {["data", "master.conf"], ["data", "replica.conf"]} with input as configmap("redis-configuration", {
		"master.conf": "appendonly yes\n",
		"replica.conf": "appendonly yes\nreplica-read-only yes\n",
	})
}

test_non_redis_configmaps_are_ignored if {
	count(rule.deny) == 0 with input as configmap("nginx", {"nginx.conf": "events {}\n", "app.properties": "a=b\n"})
	count(rule.deny) == 0 with input as configmap("redis-sentinel", {"sentinel.conf": "sentinel monitor m redis 6379 2\n"})
}

test_other_kinds_are_ignored if {
	count(rule.deny) == 0 with input as {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "redis"}, "stringData": {"redis.conf": "appendonly yes\n"}}
}

test_commands_setting if {
	findings := rule.deny with input as configmap("redis", {"redis.conf": "rename-command FLUSHDB \"\"\nrename-command FLUSHALL \"\"\n"})
		with data.tollgate.config["redis-dangerous-commands"] as {"commands": ["FLUSHDB", "FLUSHALL", "CONFIG"]}
	some f in findings
	contains(f.msg, "leaves CONFIG enabled")
}
