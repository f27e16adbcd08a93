package tollgate.rules.compose.healthcheck_test

import rego.v1

import data.tollgate.rules.compose.healthcheck as rule

project(files) := {"documents": [{"file": f, "kind": "compose", "index": 0, "content": c} | some f, c in files]}

one(services) := project({"compose.yaml": {"services": services}})

hc := {"test": ["CMD", "curl", "-f", "http://localhost/health"], "interval": "10s"}

paths(findings) := {f.path | some f in findings}

test_service_with_healthcheck_passes if {
	count(rule.deny) == 0 with input as one({"web": {"image": "nginx", "healthcheck": hc}})
}

test_string_test_passes if {
	count(rule.deny) == 0 with input as one({"web": {"image": "nginx", "healthcheck": {"test": "curl -f http://localhost/ || exit 1"}}})
}

test_missing_healthcheck_is_reported_at_the_service if {
	paths(rule.deny) == {["services", "api"]} with input as one({
		"web": {"image": "nginx", "healthcheck": hc},
		"api": {"image": "ghcr.io/acme/api:1.0"},
	})
}

test_healthcheck_without_test_is_reported if {
	paths(rule.deny) == {["services", "api"]} with input as one({"api": {"image": "api", "healthcheck": {"interval": "5s", "retries": 3}}})
}

test_null_or_empty_healthcheck_is_reported if {
	paths(rule.deny) == {["services", "a"], ["services", "b"], ["services", "c"]} with input as one({
		"a": {"image": "x", "healthcheck": null},
		"b": {"image": "x", "healthcheck": {"test": []}},
		"c": {"image": "x", "healthcheck": {"test": ""}},
	})
}

test_disable_true_is_reported_at_disable if {
	paths(rule.deny) == {["services", "db", "healthcheck", "disable"]} with input as one({"db": {"image": "postgres:16", "healthcheck": {"disable": true}}})
}

test_disable_false_with_test_passes if {
	count(rule.deny) == 0 with input as one({"db": {"image": "postgres:16", "healthcheck": object.union(hc, {"disable": false})}})
}

test_test_none_is_reported_at_test if {
	paths(rule.deny) == {["services", "db", "healthcheck", "test"]} with input as one({"db": {"image": "postgres:16", "healthcheck": {"test": ["NONE"]}}})
}

test_run_to_completion_service_is_exempt if {
	count(rule.deny) == 0 with input as one({
		"migrate": {"image": "api", "command": "migrate up"},
		"api": {"image": "api", "healthcheck": hc, "depends_on": {"migrate": {"condition": "service_completed_successfully"}}},
	})
}

test_service_started_dependency_is_not_exempt if {
	paths(rule.deny) == {["services", "migrate"]} with input as one({
		"migrate": {"image": "api"},
		"api": {"image": "api", "healthcheck": hc, "depends_on": {"migrate": {"condition": "service_started"}}},
	})
}

test_extends_is_unknown_and_not_reported if {
	count(rule.deny) == 0 with input as one({"worker": {"extends": {"file": "common.yaml", "service": "base"}}})
}

test_extends_with_disable_is_reported if {
	paths(rule.deny) == {["services", "worker", "healthcheck", "disable"]} with input as one({"worker": {"extends": {"service": "base"}, "healthcheck": {"disable": true}}})
}

test_override_file_supplies_the_healthcheck if {
	count(rule.deny) == 0 with input as project({
		"app/compose.yaml": {"services": {"web": {"image": "nginx"}}},
		"app/compose.override.yaml": {"services": {"web": {"healthcheck": hc}}},
	})
		with data.tollgate.compose.stacks as [["app/compose.yaml", "app/compose.override.yaml"]]
}

# A sibling used on its own (`-f docker-compose.prod.yml`) does not hide a missing healthcheck.
test_sibling_in_another_stack_does_not_supply_the_healthcheck if {
	findings := rule.deny with input as project({
		"docker-compose.yml": {"services": {"web": {"image": "nginx"}}},
		"docker-compose.prod.yml": {"services": {"web": {"image": "nginx", "healthcheck": hc}}},
	})
		with data.tollgate.compose.stacks as [["docker-compose.yml"], ["docker-compose.prod.yml"]]
	{[f.file, f.path] | some f in findings} == {["docker-compose.yml", ["services", "web"]]}
}

# A file in two stacks: reported when one of them leaves the service without a healthcheck.
test_every_stack_of_the_file_must_supply_the_healthcheck if {
	files := {
		"docker-compose.yml": {"services": {"web": {"image": "nginx"}}},
		"docker-compose.ci.yml": {"services": {"web": {"healthcheck": hc}}},
	}
	count(rule.deny) == 0 with input as project(files)
		with data.tollgate.compose.stacks as [["docker-compose.yml", "docker-compose.ci.yml"]]
	count(rule.deny) == 1 with input as project(files)
		with data.tollgate.compose.stacks as [["docker-compose.yml", "docker-compose.ci.yml"], ["docker-compose.yml"]]
}

test_restart_no_without_dependents_is_one_shot if {
	count(rule.deny) == 0 with input as one({"tests": {"image": "node:22", "command": "npm test", "restart": "no"}})
	count(rule.deny) == 0 with input as one({"e2e": {"image": "mcr.microsoft.com/playwright", "profiles": ["test"]}})
}

test_restart_no_but_waited_for_is_long_running if {
	some f in rule.deny with input as one({
		"worker": {"image": "w", "restart": "no"},
		"api": {"image": "api", "healthcheck": hc, "depends_on": {"worker": {"condition": "service_started"}}},
	})
	f.path == ["services", "worker"]
	contains(f.msg, "long-running: `api` waits for it with service_started")
}

test_profiles_with_a_restart_policy_is_long_running if {
	some f in rule.deny with input as one({"admin": {"image": "adminer", "profiles": ["tools"], "restart": "always"}})
	contains(f.msg, "long-running: restart: always")
}

test_message_says_why_the_service_is_long_running if {
	some f in rule.deny with input as one({"api": {"image": "api"}})
	contains(f.msg, "long-running: nothing waits for it to complete")
}

test_oneshot_setting_names_more_services if {
	count(rule.deny) == 0 with input as one({"db-seed": {"image": "api"}, "pytest": {"image": "py"}})
		with data.tollgate.config["compose-healthcheck"].oneshot as ["*-seed", "pytest"]
	paths(rule.deny) == {["services", "api"]} with input as one({"db-seed": {"image": "api"}, "api": {"image": "api"}})
		with data.tollgate.config["compose-healthcheck"].oneshot as ["*-seed"]
}

test_disabled_healthcheck_of_a_one_shot_service_passes if {
	count(rule.deny) == 0 with input as one({"migrate": {"image": "api", "restart": "no", "healthcheck": {"disable": true}}})
}

test_override_fragment_is_not_reported_twice if {
	findings := rule.deny with input as project({
		"app/compose.yaml": {"services": {"web": {"image": "nginx"}}},
		"app/compose.override.yaml": {"services": {"web": {"ports": ["8080:80"]}}},
	})
	{[f.file, f.path] | some f in findings} == {["app/compose.yaml", ["services", "web"]]}
}

test_other_folder_does_not_count if {
	findings := rule.deny with input as project({
		"app/compose.yaml": {"services": {"web": {"image": "nginx"}}},
		"other/compose.yaml": {"services": {"web": {"image": "nginx", "healthcheck": hc}}},
	})
	{f.file | some f in findings} == {"app/compose.yaml"}
}

test_findings_name_file_and_document if {
	some f in rule.deny with input as one({"api": {"image": "api"}})
	f.file == "compose.yaml"
	f.document == 0
	contains(f.msg, "`api`")
}

test_file_without_services_passes if {
	count(rule.deny) == 0 with input as project({"compose.yaml": {"include": ["other/compose.yaml"]}})
}

test_null_services_and_service_entries_are_skipped if {
	count(rule.deny) == 0 with input as project({"compose.yaml": {"services": null}})
	count(rule.deny) == 0 with input as one({"web": null})
}
