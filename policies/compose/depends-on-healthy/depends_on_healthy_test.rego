package tollgate.rules.compose.depends_on_healthy_test

import rego.v1

import data.tollgate.rules.compose.depends_on_healthy as rule

project(files) := {"documents": [{"file": f, "kind": "compose", "index": 0, "content": c} | some f, c in files]}

one(services) := project({"compose.yaml": {"services": services}})

db := {"image": "postgres:16", "healthcheck": {"test": ["CMD", "pg_isready"]}}

paths(findings) := {f.path | some f in findings}

test_service_healthy_passes if {
	count(rule.deny) == 0 with input as one({"db": db, "api": {"image": "api", "depends_on": {"db": {"condition": "service_healthy", "restart": true}}}})
}

test_completed_successfully_passes if {
	count(rule.deny) == 0 with input as one({"migrate": {"image": "api"}, "api": {"image": "api", "depends_on": {"migrate": {"condition": "service_completed_successfully"}}}})
}

test_short_form_items_are_reported if {
	paths(rule.deny) == {["services", "api", "depends_on", 0], ["services", "api", "depends_on", 1]} with input as one({
		"db": db, "cache": {"image": "redis"},
		"api": {"image": "api", "depends_on": ["db", "cache"]},
	})
}

test_service_started_is_reported_at_condition if {
	paths(rule.deny) == {["services", "api", "depends_on", "db", "condition"]} with input as one({"db": db, "api": {"image": "api", "depends_on": {"db": {"condition": "service_started"}}}})
}

test_long_form_without_condition_is_reported_at_the_dependency if {
	paths(rule.deny) == {["services", "api", "depends_on", "db"], ["services", "api", "depends_on", "cache"]} with input as one({
		"db": db, "cache": {"image": "redis"},
		"api": {"image": "api", "depends_on": {"db": {"restart": true}, "cache": null}},
	})
}

test_unknown_service_in_short_form_is_one_finding if {
	findings := rule.deny with input as one({"api": {"image": "api", "depends_on": ["ghost"]}})
	paths(findings) == {["services", "api", "depends_on", 0]}
	count(findings) == 1
	some f in findings
	contains(f.msg, "defined in no compose file")
}

test_unknown_service_in_long_form_is_reported_at_the_dependency if {
	paths(rule.deny) == {["services", "api", "depends_on", "ghost"]} with input as one({"api": {"image": "api", "depends_on": {"ghost": {"condition": "service_healthy"}}}})
}

test_unknown_and_no_condition_is_one_message if {
	findings := rule.deny with input as one({"api": {"image": "api", "depends_on": {"ghost": {}}}})
	count(findings) == 1
	some f in findings
	contains(f.msg, "defined in no compose file")
	contains(f.msg, "without a condition")
}

test_optional_dependency_may_be_undefined if {
	count(rule.deny) == 0 with input as one({"api": {"image": "api", "depends_on": {"ghost": {"condition": "service_healthy", "required": false}}}})
}

test_service_from_another_file_of_the_folder_is_known if {
	count(rule.deny) == 0 with input as project({
		"deploy/compose.yaml": {"services": {"api": {"image": "api", "depends_on": {"db": {"condition": "service_healthy"}}}}},
		"deploy/compose.override.yaml": {"services": {"db": db}},
	})
}

test_service_from_another_folder_is_unknown if {
	findings := rule.deny with input as project({
		"deploy/compose.yaml": {"services": {"api": {"image": "api", "depends_on": {"db": {"condition": "service_healthy"}}}}},
		"other/compose.yaml": {"services": {"db": db}},
	})
	{[f.file, f.path] | some f in findings} == {["deploy/compose.yaml", ["services", "api", "depends_on", "db"]]}
}

test_included_file_defines_services if {
	count(rule.deny) == 0 with input as project({
		"app/compose.yaml": {"include": [{"path": "../infra/compose.yaml"}], "services": {"api": {"image": "api", "depends_on": {"db": {"condition": "service_healthy"}}}}},
		"infra/compose.yaml": {"services": {"db": db}},
	})
}

test_unresolved_include_makes_services_unknowable if {
	count(rule.deny) == 0 with input as project({"compose.yaml": {"include": ["common.yaml"], "services": {"api": {"image": "api", "depends_on": {"db": {"condition": "service_healthy"}}}}}})
}

test_setting_can_allow_service_started if {
	count(rule.deny) == 0 with input as one({"db": db, "api": {"image": "api", "depends_on": {"db": {"condition": "service_started"}}}})
		with data.tollgate.config["compose-depends-on-healthy"] as {"allowed_conditions": ["service_healthy", "service_started"]}
}

test_services_without_depends_on_pass if {
	count(rule.deny) == 0 with input as one({"db": db, "web": {"image": "nginx"}})
}

test_null_depends_on_is_skipped if {
	count(rule.deny) == 0 with input as one({"db": db, "api": {"image": "api", "depends_on": null}})
}

# service_healthy on a dependency without a healthcheck makes `docker compose up` fail: the
# advice is to add the healthcheck first.
test_dependency_without_healthcheck_is_told_to_get_one_first if {
	some f in rule.deny with input as one({"cache": {"image": "redis:7"}, "api": {"image": "api", "depends_on": ["cache"]}})
	contains(f.msg, "`cache` has no healthcheck, and condition: service_healthy on it makes `docker compose up` fail: first add a healthcheck.test to `cache`")
	endswith(f.msg, "then use `cache: {condition: service_healthy}`")
}

test_dependency_with_healthcheck_gets_the_plain_advice if {
	some f in rule.deny with input as one({"db": db, "api": {"image": "api", "depends_on": {"db": {"condition": "service_started"}}}})
	endswith(f.msg, "which does not wait for it to be ready; use condition: service_healthy")
}

test_healthcheck_from_another_file_of_the_stack_counts if {
	files := {
		"compose.yaml": {"services": {"db": {"image": "postgres:16"}, "api": {"image": "api", "depends_on": {"db": {}}}}},
		"compose.override.yaml": {"services": {"db": {"healthcheck": {"test": ["CMD", "pg_isready"]}}}},
	}
	some f in rule.deny with input as project(files)
		with data.tollgate.compose.stacks as [["compose.yaml", "compose.override.yaml"]]
	endswith(f.msg, "(the default, service_started, does not wait for readiness): add condition: service_healthy")
	some g in rule.deny with input as project(files)
		with data.tollgate.compose.stacks as [["compose.yaml"], ["compose.override.yaml"]]
	contains(g.msg, "first add a healthcheck.test to `db`")
}
