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
#     not_deploy_pattern: "(?i)notif|report|summary|status|announce|slack|teams|email|changelog"
#   schema:
#     deploy_pattern: {type: string, minLength: 1}
#     not_deploy_pattern: {type: string}
package tollgate.rules.workflow.protected_deploy

import rego.v1

import data.tollgate.lib.result
import data.tollgate.lib.workflow as wf

cfg := data.tollgate.config["workflow-protected-deploy"]

deploy_pattern := object.get(cfg, "deploy_pattern", "(?i)^(deploy|promote|release)|prod")

not_deploy_pattern := object.get(cfg, "not_deploy_pattern", "(?i)notif|report|summary|status|announce|slack|teams|email|changelog")

# A job deploys when its id or `name:` (not the workflow's name) matches deploy_pattern, unless
# a name also says it only notifies or reports (`notify-deployment`, "Deployment
# Notification", `deploy-report`): such a job deploys only when one of its steps does.
deploy_job(id, job) if {
	deploy_named(id, job)
	not reporting_named(id, job)
}

deploy_job(id, job) if {
	deploy_named(id, job)
	reporting_named(id, job)
	some step in wf.list_of_steps(job)
	deploy_step(step)
}

deploy_named(id, job) if {
	some name in wf.job_names(id, job)
	regex.match(deploy_pattern, name)
}

reporting_named(id, job) if {
	some name in wf.job_names(id, job)
	regex.match(not_deploy_pattern, name)
}

# A step that deploys: a command that changes a cluster or a host, pushes an image, or deploys
# to a cloud; or an action that does.
deploy_run_re := `(?i)(^|[\s;&|(])(kubectl\s+(apply|create|replace|rollout|set\s+image|patch)|helm\s+(upgrade|install|rollback)|helmfile\s+(apply|sync)|docker\s+(image\s+)?push|podman\s+push|ssh\s|scp\s|rsync\s.*:|terraform\s+apply|tofu\s+apply|pulumi\s+up|argocd\s+app\s+sync|kustomize\s+build.*kubectl|aws\s+(ecs\s+update-service|deploy|lambda\s+update-function-code|s3\s+sync)|gcloud\s+(run\s+deploy|app\s+deploy|functions\s+deploy)|az\s+(webapp|functionapp|containerapp)\s|(serverless|sls|flyctl|fly|eb|cdk|firebase|netlify|wrangler|vercel)\s+deploy|vercel\s+--prod)`

deploy_action_re := `(?i)^(azure/(webapps-deploy|k8s-deploy|functions-action|helm)|aws-actions/amazon-ecs-deploy|google-github-actions/deploy-|appleboy/(ssh|scp)-action|docker/build-push-action|cloudflare/(wrangler|pages)-action|amondnet/vercel-action|peaceiris/actions-gh-pages|actions/deploy-pages|superfly/flyctl-actions|deliverybot/helm|burnett01/rsync-deployments|easingthemes/ssh-deploy)`

deploy_step(step) if {
	is_string(step.run)
	regex.match(deploy_run_re, step.run)
}

deploy_step(step) if {
	is_string(step.uses)
	regex.match(deploy_action_re, trim_space(step.uses))
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
	some j in wf.input_job_list
	deploy_job(j.id, j.job)
	not wf.is_reusable_call(j.job)
	not has_environment(j.job)
	msg := sprintf("%s deploys (%s) but has no `environment:` (%s); add `environment: <name>` so the environment's protection rules and secrets apply to it", [wf.job_label(j.id, j.job), why_deploy(j.id, j.job), reason(j.job)])
}

why_deploy(id, job) := sprintf("its name matches deploy_pattern, and step %d deploys", [min(ns)]) if {
	reporting_named(id, job)
	is_array(job.steps)
	ns := {n | some i, step in job.steps; is_object(step); deploy_step(step); n := i + 1}
	count(ns) > 0
} else := "its name matches deploy_pattern"

reason(job) := "the `environment:` mapping has no `name`" if {
	is_object(job.environment)
} else := "`environment:` is empty" if {
	"environment" in object.keys(job)
} else := "none is set"
