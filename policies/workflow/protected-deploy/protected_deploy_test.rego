package tollgate.rules.workflow.protected_deploy_test

import rego.v1

import data.tollgate.rules.workflow.protected_deploy as rule

workflow(jobs) := {"name": "Deploy to production", "on": {"push": {"branches": ["main"]}}, "jobs": jobs}

paths(findings) := {f.path | some f in findings}

steps := [{"uses": "actions/checkout@v4"}, {"run": "./deploy.sh"}]

test_deploy_job_without_environment_is_reported_at_the_job if {
	paths(rule.deny) == {["jobs", "deploy"]} with input as workflow({"deploy": {"runs-on": "ubuntu-latest", "steps": steps}})
}

test_string_environment_passes if {
	count(rule.deny) == 0 with input as workflow({"deploy": {"runs-on": "ubuntu-latest", "environment": "production", "steps": steps}})
}

test_mapping_environment_with_name_passes if {
	count(rule.deny) == 0 with input as workflow({"deploy": {"environment": {"name": "production", "url": "https://example.com"}, "steps": steps}})
}

test_expression_environment_passes if {
	count(rule.deny) == 0 with input as workflow({"deploy-app": {"environment": "${{ inputs.target }}", "steps": steps}})
}

test_mapping_without_name_is_reported if {
	paths(rule.deny) == {["jobs", "deploy"]} with input as workflow({"deploy": {"environment": {"url": "https://example.com"}, "steps": steps}})
}

test_empty_environment_is_reported if {
	paths(rule.deny) == {["jobs", "deploy"]} with input as workflow({"deploy": {"environment": "", "steps": steps}})
	paths(rule.deny) == {["jobs", "deploy"]} with input as workflow({"deploy": {"environment": null, "steps": steps}})
}

test_job_name_counts if {
	paths(rule.deny) == {["jobs", "ship"]} with input as workflow({"ship": {"name": "Deploy web", "steps": steps}})
}

test_prod_anywhere_counts if {
	paths(rule.deny) == {["jobs", "smoke-production"], ["jobs", "e2e"]} with input as workflow({
		"smoke-production": {"steps": steps},
		"e2e": {"name": "E2E against PROD", "steps": steps},
	})
}

test_prefixes_are_case_insensitive if {
	paths(rule.deny) == {["jobs", "Release"], ["jobs", "promote_to_stage"]} with input as workflow({
		"Release": {"steps": steps},
		"promote_to_stage": {"steps": steps},
	})
}

test_other_jobs_and_the_workflow_name_do_not_count if {
	count(rule.deny) == 0 with input as workflow({
		"build": {"name": "Build", "steps": steps},
		"test": {"steps": steps},
		"predeploy-checks": {"steps": steps},
	})
}

test_reusable_workflow_call_is_exempt if {
	count(rule.deny) == 0 with input as workflow({"deploy": {"uses": "./.github/workflows/deploy.yml", "with": {"env": "prod"}, "secrets": "inherit"}})
}

test_setting_replaces_the_pattern if {
	paths(rule.deny) == {["jobs", "ship-it"]} with input as workflow({"ship-it": {"steps": steps}, "deploy": {"steps": steps}})
		with data.tollgate.config["workflow-protected-deploy"] as {"deploy_pattern": "^ship"}
}

test_odd_shapes_are_ignored if {
	count(rule.deny) == 0 with input as {"on": "push", "jobs": {"deploy": null}}
	count(rule.deny) == 0 with input as {"on": "push", "jobs": "deploy"}
}

notify := [{"uses": "slackapi/slack-github-action@v1.26.0", "with": {"payload": "{}"}}]

test_notification_and_report_jobs_are_not_deployments if {
	count(rule.deny) == 0 with input as workflow({
		"notify-deployment": {"runs-on": "ubuntu-latest", "needs": "deploy", "steps": notify},
		"notification": {"name": "Deployment Notification", "runs-on": "ubuntu-latest", "steps": notify},
		"deploy-report": {"runs-on": "ubuntu-latest", "steps": [{"run": "echo \"## Deployed\" >> $GITHUB_STEP_SUMMARY"}]},
	})
}

test_a_reporting_name_that_deploys_is_a_deployment if {
	some f in rule.deny with input as workflow({"deploy-and-notify": {"runs-on": "ubuntu-latest", "steps": [
		{"uses": "actions/checkout@v4"},
		{"run": "helm upgrade --install api ./chart"},
	]}})
	f.path == ["jobs", "deploy-and-notify"]
	contains(f.msg, "its name matches deploy_pattern, and step 2 deploys")
}

test_deploy_steps_are_recognised if {
	every step in [
		{"run": "kubectl apply -f k8s/"},
		{"run": "set -e\nhelm upgrade api ./chart"},
		{"run": "docker push ghcr.io/acme/api:1"},
		{"run": "ssh deploy@host ./restart.sh"},
		{"run": "gcloud run deploy api --image x"},
		{"uses": "azure/webapps-deploy@v3"},
		{"uses": "appleboy/ssh-action@v1.0.3"},
		{"uses": "aws-actions/amazon-ecs-deploy-task-definition@v1"},
	] {
		rule.deploy_step(step)
	}
	not rule.deploy_step({"run": "curl -X POST $SLACK_WEBHOOK"})
	not rule.deploy_step({"run": "ssh-keyscan github.com"})
	not rule.deploy_step({"uses": "slackapi/slack-github-action@v1"})
}

test_not_deploy_pattern_is_a_setting if {
	paths(rule.deny) == {["jobs", "deploy-report"]} with input as workflow({"deploy-report": {"steps": notify}})
		with data.tollgate.config["workflow-protected-deploy"].not_deploy_pattern as "^$"
}

test_message_says_why_the_job_deploys if {
	some f in rule.deny with input as workflow({"deploy": {"runs-on": "ubuntu-latest", "steps": steps}})
	contains(f.msg, "deploys (its name matches deploy_pattern) but has no `environment:`")
}
