package tollgate.rules.workflow.trivy_gate_test

import rego.v1

import data.tollgate.rules.workflow.trivy_gate as rule

workflow(steps) := {"name": "Security", "on": {"push": null}, "jobs": {"scan": {"runs-on": "ubuntu-latest", "steps": steps}}}

action(inputs) := {"name": "Trivy", "uses": "aquasecurity/trivy-action@0.28.0", "with": inputs}

paths(findings) := {f.path | some f in findings}

located(findings) := {[f.path, object.get(f, "text_line", 0)] | some f in findings}

step_path(i, key) := ["jobs", "scan", "steps", i, key]

# --- the action ---

test_action_gating_on_high_and_critical_passes if {
	count(rule.deny) == 0 with input as workflow([action({"image-ref": "app:1", "exit-code": "1", "severity": "CRITICAL,HIGH"})])
}

test_action_numeric_exit_code_and_no_severity_passes if {
	count(rule.deny) == 0 with input as workflow([action({"scan-type": "fs", "exit-code": 1})])
}

test_action_without_exit_code_is_reported_at_uses if {
	paths(rule.deny) == {step_path(0, "uses")} with input as workflow([action({"image-ref": "app:1", "severity": "HIGH,CRITICAL"})])
}

test_action_without_with_is_reported_at_uses if {
	paths(rule.deny) == {step_path(0, "uses")} with input as workflow([{"uses": "aquasecurity/trivy-action@master"}])
}

test_action_exit_code_zero_is_reported_at_the_value if {
	paths(rule.deny) == {["jobs", "scan", "steps", 0, "with", "exit-code"]} with input as workflow([action({"exit-code": "0", "severity": "HIGH,CRITICAL"})])
	paths(rule.deny) == {["jobs", "scan", "steps", 0, "with", "exit-code"]} with input as workflow([action({"exit-code": 0})])
}

test_action_severity_without_high_is_reported_at_the_severity if {
	paths(rule.deny) == {["jobs", "scan", "steps", 0, "with", "severity"]} with input as workflow([action({"exit-code": "1", "severity": "CRITICAL"})])
}

test_action_severity_wins_over_exit_code_as_location if {
	paths(rule.deny) == {["jobs", "scan", "steps", 0, "with", "severity"]} with input as workflow([action({"exit-code": "0", "severity": "LOW,MEDIUM"})])
}

test_action_severity_is_case_and_space_insensitive if {
	count(rule.deny) == 0 with input as workflow([action({"exit-code": "1", "severity": "critical, high"})])
}

test_sarif_upload_without_exit_code_is_still_reported if {
	paths(rule.deny) == {step_path(1, "uses")} with input as workflow([
		{"uses": "actions/checkout@v4"},
		action({"format": "sarif", "output": "trivy.sarif", "severity": "CRITICAL,HIGH"}),
		{"uses": "github/codeql-action/upload-sarif@v3", "with": {"sarif_file": "trivy.sarif"}},
	])
}

test_action_expressions_are_not_judged if {
	count(rule.deny) == 0 with input as workflow([action({"exit-code": "${{ inputs.exit-code }}", "severity": "${{ inputs.severity }}"})])
}

test_action_exit_code_from_env if {
	count(rule.deny) == 0 with input as workflow([object.union(action({}), {"env": {"TRIVY_EXIT_CODE": "1"}})])
	paths(rule.deny) == {["jobs", "scan", "steps", 0, "env", "TRIVY_EXIT_CODE"]} with input as workflow([object.union(action({}), {"env": {"TRIVY_EXIT_CODE": "0"}})])
}

test_action_workflow_env_is_read_but_the_step_is_pointed_at if {
	count(rule.deny) == 0 with input as object.union(workflow([action({})]), {"env": {"TRIVY_EXIT_CODE": 1}})
	paths(rule.deny) == {step_path(0, "uses")} with input as object.union(workflow([action({"exit-code": "1"})]), {"env": {"TRIVY_SEVERITY": "CRITICAL"}})
}

test_other_trivy_actions_are_ignored if {
	count(rule.deny) == 0 with input as workflow([
		{"uses": "aquasecurity/setup-trivy@v0.2.2", "with": {"version": "v0.58.1"}},
		{"uses": "knqyf263/trivy-issue-action@v0.0.6", "with": {"severity": "CRITICAL"}},
	])
}

test_required_severities_setting if {
	count(rule.deny) == 0 with input as workflow([action({"exit-code": "1", "severity": "CRITICAL"})])
		with data.tollgate.config["workflow-trivy-gate"] as {"required_severities": ["CRITICAL"]}
	paths(rule.deny) == {["jobs", "scan", "steps", 0, "with", "severity"]} with input as workflow([action({"exit-code": "1", "severity": "HIGH,CRITICAL"})])
		with data.tollgate.config["workflow-trivy-gate"] as {"required_severities": ["MEDIUM", "HIGH", "CRITICAL"]}
}

# --- the CLI in run: ---

test_cli_gating_passes if {
	count(rule.deny) == 0 with input as workflow([{"run": "trivy image --exit-code 1 --severity HIGH,CRITICAL ghcr.io/acme/api:1.0"}])
	count(rule.deny) == 0 with input as workflow([{"run": "trivy fs --exit-code=1 ."}])
	count(rule.deny) == 0 with input as workflow([{"run": "trivy config -s 'CRITICAL,HIGH' --exit-code \"2\" ./deploy"}])
}

test_cli_without_exit_code_single_line_is_at_run if {
	located(rule.deny) == {[step_path(0, "run"), 0]} with input as workflow([{"run": "trivy image --severity HIGH,CRITICAL app:1"}])
}

test_cli_in_a_block_points_at_the_command_line if {
	located(rule.deny) == {[step_path(0, "run"), 3]} with input as workflow([{"run": "set -eu\ndocker build -t app .\ntrivy image \\\n  --severity HIGH,CRITICAL \\\n  app\necho done\n"}])
}

test_cli_continued_flags_count if {
	count(rule.deny) == 0 with input as workflow([{"run": "trivy image \\\n  --exit-code 1 \\\n  --severity HIGH,CRITICAL \\\n  app\n"}])
}

test_cli_severity_without_critical_is_reported if {
	located(rule.deny) == {[step_path(0, "run"), 0]} with input as workflow([{"run": "trivy fs --exit-code 1 -s HIGH ."}])
}

test_cli_exit_code_zero_is_reported if {
	located(rule.deny) == {[step_path(0, "run"), 2]} with input as workflow([{"run": "mkdir -p out\ntrivy fs --exit-code 0 --format sarif -o out/trivy.sarif .\n"}])
}

test_cli_each_command_is_checked if {
	located(rule.deny) == {[step_path(0, "run"), 2]} with input as workflow([{"run": "trivy image --exit-code 1 app:1\ntrivy fs --format json -o fs.json .\n"}])
}

test_cli_discarded_exit_status_is_reported if {
	located(rule.deny) == {[step_path(0, "run"), 0]} with input as workflow([{"run": "trivy image --exit-code 1 app:1 || true"}])
	count(rule.deny) == 0 with input as workflow([{"run": "trivy image --exit-code 1 app:1 || exit 1"}])
}

test_cli_in_docker_run if {
	located(rule.deny) == {[step_path(0, "run"), 0]} with input as workflow([{"run": "docker run --rm -v /var/run/docker.sock:/var/run/docker.sock aquasec/trivy:0.58.1 image app:1"}])
	count(rule.deny) == 0 with input as workflow([{"run": "docker run --rm aquasec/trivy:0.58.1 image --exit-code 1 app:1"}])
}

test_cli_global_flags_before_the_subcommand if {
	located(rule.deny) == {[step_path(0, "run"), 0]} with input as workflow([{"run": "trivy --cache-dir .trivy -q image app:1"}])
}

test_cli_env_settings if {
	count(rule.deny) == 0 with input as workflow([{"run": "trivy image app:1", "env": {"TRIVY_EXIT_CODE": "1", "TRIVY_SEVERITY": "HIGH,CRITICAL"}}])
	count(rule.deny) == 0 with input as workflow([{"run": "export TRIVY_EXIT_CODE=1\ntrivy image app:1\n"}])
	count(rule.deny) == 0 with input as workflow([{"run": "TRIVY_EXIT_CODE=1 trivy image app:1"}])
	located(rule.deny) == {[step_path(0, "run"), 0]} with input as workflow([{"run": "trivy image --exit-code 1 app:1", "env": {"TRIVY_SEVERITY": "CRITICAL"}}])
}

test_cli_shell_variables_are_not_judged if {
	count(rule.deny) == 0 with input as workflow([{"run": "trivy image --exit-code \"$TRIVY_FAIL\" --severity ${{ inputs.severity }} app:1"}])
}

test_not_a_scan_is_ignored if {
	count(rule.deny) == 0 with input as workflow([
		{"run": "trivy --version"},
		{"run": "trivy image --download-db-only"},
		{"run": "# trivy image app:1\necho skipped"},
		{"run": "brew install trivy"},
		{"run": "curl -sfL https://raw.githubusercontent.com/aquasecurity/trivy/main/contrib/install.sh | sh -s -- -b /usr/local/bin v0.58.1"},
		{"run": "trivy convert --format sarif -o out.sarif result.json"},
	])
}

test_odd_shapes_are_ignored if {
	count(rule.deny) == 0 with input as workflow([null, "x", {"run": 3}, {"uses": 3}])
	count(rule.deny) == 0 with input as {"on": "push", "jobs": {"scan": {"steps": {"uses": "aquasecurity/trivy-action@v1"}}}}
}

# --- steps that are not gates ---

gate := action({"image-ref": "ghcr.io/acme/api:1", "exit-code": "1", "severity": "HIGH,CRITICAL"})

sarif := action({"image-ref": "ghcr.io/acme/api:1", "format": "sarif", "output": "trivy.sarif", "exit-code": "0"})

test_sbom_steps_are_not_scans if {
	count(rule.deny) == 0 with input as workflow([
		action({"image-ref": "app:1", "format": "cyclonedx", "output": "sbom.json"}),
		action({"scan-type": "fs", "format": "spdx-json", "output": "sbom.spdx.json"}),
		action({"scan-type": "fs", "format": "github", "output": "dependency-results.sbom.json"}),
		action({"scan-type": "sbom", "input": "sbom.json"}),
		{"run": "trivy image --format cyclonedx --output sbom.json app:1"},
	])
}

test_report_step_next_to_a_gate_on_the_same_target_passes if {
	count(rule.deny) == 0 with input as workflow([sarif, gate])
	count(rule.deny) == 0 with input as workflow([gate, object.union(sarif, {"with": {"exit-code": null}})])
}

test_report_step_alone_is_still_reported if {
	paths(rule.deny) == {["jobs", "scan", "steps", 0, "with", "exit-code"]} with input as workflow([sarif])
}

test_report_step_next_to_a_gate_on_another_target_is_reported if {
	other := action({"image-ref": "ghcr.io/acme/web:1", "exit-code": "1", "severity": "HIGH,CRITICAL"})
	paths(rule.deny) == {["jobs", "scan", "steps", 0, "with", "exit-code"]} with input as workflow([sarif, other])
}

test_report_step_next_to_a_weak_gate_is_reported if {
	weak := action({"image-ref": "ghcr.io/acme/api:1", "exit-code": "1", "severity": "CRITICAL"})
	paths(rule.deny) == {["jobs", "scan", "steps", 0, "with", "exit-code"], ["jobs", "scan", "steps", 1, "with", "severity"]} with input as workflow([sarif, weak])
}

test_a_gate_in_another_job_does_not_count if {
	wf := {"on": "push", "jobs": {
		"report": {"runs-on": "ubuntu-latest", "steps": [sarif]},
		"gate": {"runs-on": "ubuntu-latest", "steps": [gate]},
	}}
	paths(rule.deny) == {["jobs", "report", "steps", 0, "with", "exit-code"]} with input as wf
}
