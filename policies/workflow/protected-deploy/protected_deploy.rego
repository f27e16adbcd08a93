# METADATA
# title: Deployment jobs run in a protected environment
# description: >-
#   A job that deploys, promotes or releases must name a GitHub `environment:`, so that the
#   environment's protection rules (required reviewers, wait timers, branch restrictions) and
#   its scoped secrets apply to it.
# custom:
#   id: workflow-protected-deploy
#   severity: error
#   input: [workflow]
#   scope: document
#   settings:
#     deploy_pattern: "(?i)^(deploy|promote|release)|prod"
package tollgate.rules.workflow.protected_deploy

import rego.v1

import data.tollgate.lib.result
import data.tollgate.lib.workflow as wf

cfg := data.tollgate.config["workflow-protected-deploy"]

deploy_pattern := object.get(cfg, "deploy_pattern", "(?i)^(deploy|promote|release)|prod")

# The names of a job that say it deploys: its id or its `name:` (not the workflow's name).
deploy_job(id, job) if {
	some name in wf.job_names(id, job)
	regex.match(deploy_pattern, name)
}

# `environment: production`, `environment: ${{ inputs.env }}` or `environment: {name: production}`.
has_environment(job) if {
	is_string(job.environment)
	trim_space(job.environment) != ""
}

has_environment(job) if {
	is_string(job.environment.name)
	trim_space(job.environment.name) != ""
}

deny contains result.fail(j.path, msg) if {
	some j in wf.job_list(input)
	deploy_job(j.id, j.job)
	not wf.is_reusable_call(j.job)
	not has_environment(j.job)
	msg := sprintf("%s deploys but has no `environment:` (%s); add `environment: <name>` so the environment's protection rules and secrets apply to it", [wf.job_label(j.id, j.job), reason(j.job)])
}

reason(job) := "the `environment:` mapping has no `name`" if {
	is_object(job.environment)
} else := "`environment:` is empty" if {
	"environment" in object.keys(job)
} else := "none is set"
