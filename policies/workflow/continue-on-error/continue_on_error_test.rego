package tollgate.rules.workflow.continue_on_error_test

import rego.v1

import data.tollgate.rules.workflow.continue_on_error as rule

workflow(jobs) := {"name": "CI", "on": {"push": null}, "jobs": jobs}

paths(findings) := {f.path | some f in findings}

severities(findings) := {[f.path, object.get(f, "severity", "error")] | some f in findings}

test_no_continue_on_error_passes if {
	count(rule.deny) == 0 with input as workflow({"test": {"runs-on": "ubuntu-latest", "steps": [{"run": "make test"}]}})
}

test_false_passes if {
	count(rule.deny) == 0 with input as workflow({"test": {
		"continue-on-error": false,
		"runs-on": "ubuntu-latest",
		"steps": [{"run": "make test", "continue-on-error": false}, {"run": "make lint", "continue-on-error": "false"}],
	}})
}

test_job_true_is_an_error_at_the_key if {
	severities(rule.deny) == {[["jobs", "test", "continue-on-error"], "error"]} with input as workflow({"test": {"continue-on-error": true, "runs-on": "ubuntu-latest", "steps": [{"run": "make test"}]}})
}

test_step_true_is_an_error_at_the_key if {
	severities(rule.deny) == {[["jobs", "test", "steps", 1, "continue-on-error"], "error"]} with input as workflow({"test": {"runs-on": "ubuntu-latest", "steps": [
		{"uses": "actions/checkout@v4"},
		{"name": "Lint", "run": "npm run lint", "continue-on-error": true},
	]}})
}

test_quoted_true_is_an_error if {
	severities(rule.deny) == {[["jobs", "test", "steps", 0, "continue-on-error"], "error"]} with input as workflow({"test": {"steps": [{"run": "x", "continue-on-error": "true"}]}})
}

test_constant_true_expression_is_an_error if {
	severities(rule.deny) == {[["jobs", "test", "continue-on-error"], "error"]} with input as workflow({"test": {"continue-on-error": "${{ true }}", "steps": [{"run": "x"}]}})
}

test_constant_false_expression_passes if {
	count(rule.deny) == 0 with input as workflow({"test": {"continue-on-error": "${{ false }}", "steps": [{"run": "x"}]}})
}

test_expression_is_a_warning if {
	severities(rule.deny) == {
		[["jobs", "test", "continue-on-error"], "warning"],
		[["jobs", "test", "steps", 0, "continue-on-error"], "warning"],
	} with input as workflow({"test": {
		"continue-on-error": "${{ matrix.experimental }}",
		"strategy": {"matrix": {"node": [20, 22], "experimental": [false]}},
		"steps": [{"run": "npm test", "continue-on-error": "${{ github.event_name == 'schedule' }}"}],
	}})
}

test_allow_matches_job_id if {
	count(rule.deny) == 0 with input as workflow({"nightly-canary": {"continue-on-error": true, "steps": [{"run": "x", "continue-on-error": true}]}})
		with data.tollgate.config["workflow-continue-on-error"] as {"allow": ["^nightly-"]}
}

test_allow_matches_job_name if {
	count(rule.deny) == 0 with input as workflow({"c": {"name": "Canary (optional)", "continue-on-error": true, "steps": [{"run": "x"}]}})
		with data.tollgate.config["workflow-continue-on-error"] as {"allow": ["(?i)optional"]}
}

test_allow_matches_step_name_and_id if {
	paths(rule.deny) == {["jobs", "test", "steps", 2, "continue-on-error"]} with input as workflow({"test": {"steps": [
		{"name": "Upload coverage", "run": "codecov", "continue-on-error": true},
		{"id": "flaky-e2e", "run": "npm run e2e", "continue-on-error": true},
		{"name": "Unit tests", "run": "npm test", "continue-on-error": true},
	]}})
		with data.tollgate.config["workflow-continue-on-error"] as {"allow": ["^Upload", "flaky"]}
}

test_allow_does_not_exempt_other_jobs if {
	paths(rule.deny) == {["jobs", "build", "continue-on-error"]} with input as workflow({
		"docs": {"continue-on-error": true, "steps": [{"run": "x"}]},
		"build": {"continue-on-error": true, "steps": [{"run": "x"}]},
	})
		with data.tollgate.config["workflow-continue-on-error"] as {"allow": ["^docs$"]}
}

test_reusable_workflow_job_is_checked if {
	paths(rule.deny) == {["jobs", "call", "continue-on-error"]} with input as workflow({"call": {"uses": "./.github/workflows/test.yml", "continue-on-error": true}})
}

test_odd_shapes_are_ignored if {
	count(rule.deny) == 0 with input as {"on": "push", "jobs": {"a": null, "b": {"steps": "oops"}, "c": {"steps": [null, "x"]}}}
	count(rule.deny) == 0 with input as {"on": "push"}
}
