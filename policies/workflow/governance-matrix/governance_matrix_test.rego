package tollgate.rules.workflow.governance_matrix_test

import rego.v1

import data.tollgate.rules.workflow.governance_matrix as rule

doc(file, kind, content) := {"file": file, "kind": kind, "index": 0, "content": content}

ci(jobs) := doc(".github/workflows/ci.yml", "workflow", {"name": "CI", "on": {"push": null}, "jobs": jobs})

matrix_job(matrix) := {
	"runs-on": "ubuntu-latest",
	"strategy": {"matrix": matrix},
	"env": {"GOVERNANCE_MODE": "${{ matrix.mode }}"},
	"steps": [{"run": "npm test"}],
}

compose_with_mode := doc("compose.yml", "compose", {"services": {"api": {"image": "acme/api", "environment": {"GOVERNANCE_MODE": "DEMO"}}}})

located(findings) := {[f.file, f.path] | some f in findings}

test_nothing_mentions_the_variable_passes if {
	count(rule.deny) == 0 with input as {"documents": [
		ci({"test": {"runs-on": "ubuntu-latest", "steps": [{"run": "npm test"}]}}),
		doc("compose.yml", "compose", {"services": {"api": {"image": "acme/api"}}}),
	]}
}

test_matrix_with_both_modes_passes if {
	count(rule.deny) == 0 with input as {"documents": [ci({"test": matrix_job({"mode": ["DEMO", "LIVE"], "node": ["20"]})})]}
}

test_matrix_lacking_live_is_reported_at_the_matrix_key if {
	located(rule.deny) == {[".github/workflows/ci.yml", ["jobs", "test", "strategy", "matrix", "mode"]]} with input as {"documents": [ci({"test": matrix_job({"mode": ["DEMO"]})})]}
}

test_include_rows_add_values if {
	count(rule.deny) == 0 with input as {"documents": [ci({"test": matrix_job({"mode": ["DEMO"], "include": [{"mode": "LIVE", "node": "22"}]})})]}
	count(rule.deny) == 0 with input as {"documents": [ci({"test": matrix_job({"include": [{"mode": "DEMO"}, {"mode": "LIVE"}]})})]}
}

test_include_only_matrix_lacking_demo_is_reported if {
	located(rule.deny) == {[".github/workflows/ci.yml", ["jobs", "test", "strategy", "matrix", "mode"]]} with input as {"documents": [ci({"test": matrix_job({"include": [{"mode": "LIVE"}]})})]}
}

test_exclude_of_a_whole_mode_removes_it if {
	located(rule.deny) == {[".github/workflows/ci.yml", ["jobs", "test", "strategy", "matrix", "mode"]]} with input as {"documents": [ci({"test": matrix_job({"mode": ["DEMO", "LIVE"], "exclude": [{"mode": "LIVE"}]})})]}
	count(rule.deny) == 0 with input as {"documents": [ci({"test": matrix_job({"mode": ["DEMO", "LIVE"], "os": ["ubuntu-latest", "windows-latest"], "exclude": [{"mode": "LIVE", "os": "windows-latest"}]})})]}
}

test_expression_matrices_are_not_judged if {
	count(rule.deny) == 0 with input as {"documents": [ci({"test": matrix_job("${{ fromJSON(needs.plan.outputs.matrix) }}")})]}
	count(rule.deny) == 0 with input as {"documents": [ci({"test": matrix_job({"mode": "${{ fromJSON(inputs.modes) }}"})})]}
	count(rule.deny) == 0 with input as {"documents": [ci({"test": matrix_job({"mode": ["DEMO", "${{ inputs.extra }}"]})})]}
	count(rule.deny) == 0 with input as {"documents": [ci({"test": matrix_job({"mode": ["DEMO"], "include": "${{ fromJSON(inputs.rows) }}"})})]}
}

test_step_env_counts if {
	located(rule.deny) == {[".github/workflows/ci.yml", ["jobs", "e2e", "strategy", "matrix", "governance"]]} with input as {"documents": [ci({"e2e": {
		"strategy": {"matrix": {"governance": ["DEMO", "SHADOW"]}},
		"steps": [{"run": "npm run e2e", "env": {"GOVERNANCE_MODE": "${{matrix.governance}}"}}],
	}})]}
}

test_no_matrix_job_is_reported_on_the_ci_workflow_jobs if {
	located(rule.deny) == {[".github/workflows/ci.yml", ["jobs"]]} with input as {"documents": [
		doc(".github/workflows/build.yml", "workflow", {"on": "push", "jobs": {"b": {"steps": [{"run": "make"}]}}}),
		ci({"test": {"runs-on": "ubuntu-latest", "steps": [{"run": "npm test"}]}}),
		compose_with_mode,
	]}
}

test_a_literal_mode_is_not_a_matrix if {
	located(rule.deny) == {[".github/workflows/ci.yml", ["jobs"]]} with input as {"documents": [ci({"test": {"env": {"GOVERNANCE_MODE": "DEMO"}, "steps": [{"run": "npm test"}]}})]}
}

test_ci_workflow_is_matched_wherever_the_scan_started if {
	located(rule.deny) == {["repo/.github/workflows/ci.yaml", ["jobs"]]} with input as {"documents": [
		doc("repo/.github/workflows/a.yml", "workflow", {"on": "push", "jobs": {}}),
		doc("repo/.github/workflows/ci.yaml", "workflow", {"on": "push", "jobs": {}}),
		doc("repo/deploy/api.yaml", "kubernetes", {"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"template": {"spec": {"containers": [{"name": "api", "env": [{"name": "GOVERNANCE_MODE", "value": "LIVE"}]}]}}}}),
	]}
}

test_without_a_ci_workflow_the_first_workflow_gets_it if {
	located(rule.deny) == {[".github/workflows/a.yml", ["jobs"]]} with input as {"documents": [
		doc(".github/workflows/b.yml", "workflow", {"on": "push", "jobs": {}}),
		doc(".github/workflows/a.yml", "workflow", {"on": "push", "jobs": {}}),
		compose_with_mode,
	]}
}

test_ci_workflow_setting if {
	located(rule.deny) == {[".github/workflows/b.yml", ["jobs"]]} with input as {"documents": [
		doc(".github/workflows/a.yml", "workflow", {"on": "push", "jobs": {}}),
		doc(".github/workflows/b.yml", "workflow", {"on": "push", "jobs": {}}),
		compose_with_mode,
	]}
		with data.tollgate.config["workflow-governance-matrix"] as {"env_var": "GOVERNANCE_MODE", "required_modes": ["DEMO", "LIVE"], "ci_workflow": "**/b.yml"}
}

test_no_workflow_no_finding if {
	count(rule.deny) == 0 with input as {"documents": [compose_with_mode]}
}

test_mention_in_a_string_counts if {
	located(rule.deny) == {[".github/workflows/ci.yml", ["jobs"]]} with input as {"documents": [
		ci({"test": {"steps": [{"run": "echo \"GOVERNANCE_MODE=DEMO\" >> \"$GITHUB_ENV\""}]}}),
	]}
	located(rule.deny) == {[".github/workflows/ci.yml", ["jobs"]]} with input as {"documents": [
		ci({"test": {"steps": [{"run": "npm test"}]}}),
		doc("docker-compose.yml", "compose", {"services": {"api": {"environment": ["GOVERNANCE_MODE=LIVE"]}}}),
	]}
}

test_settings_rename_the_variable_and_modes if {
	located(rule.deny) == {[".github/workflows/ci.yml", ["jobs", "test", "strategy", "matrix", "tier"]]} with input as {"documents": [ci({"test": {
		"strategy": {"matrix": {"tier": ["free", "pro"]}},
		"env": {"APP_TIER": "${{ matrix.tier }}"},
		"steps": [{"run": "npm test"}],
	}})]}
		with data.tollgate.config["workflow-governance-matrix"] as {"env_var": "APP_TIER", "required_modes": ["free", "pro", "enterprise"], "ci_workflow": ".github/workflows/ci.y*ml"}
}

test_one_finding_per_matrix_variable if {
	count(rule.deny) == 1 with input as {"documents": [ci({"test": object.union(matrix_job({"mode": ["LIVE"]}), {"steps": [{"run": "npm test", "env": {"GOVERNANCE_MODE": "${{ matrix.mode }}"}}]})})]}
}

test_missing_matrix_is_reported_on_the_job_path if {
	located(rule.deny) == {[".github/workflows/ci.yml", ["jobs", "test", "strategy", "matrix", "mode"]]} with input as {"documents": [ci({"test": {"env": {"GOVERNANCE_MODE": "${{ matrix.mode }}"}, "steps": [{"run": "npm test"}]}})]}
}
