# METADATA
# title: Jobs and steps do not continue on error
# description: >-
#   A job or step with `continue-on-error: true` turns its failure into a green check, so a
#   failing test, scan or deploy no longer stops the pipeline. An expression
#   (`${{ matrix.experimental }}`) may do so for some runs and is reported as a warning.
# custom:
#   id: workflow-continue-on-error
#   severity: error
#   input: [workflow]
#   scope: document
#   settings:
#     allow: []
#   schema:
#     allow: {type: array, items: {type: string, minLength: 1}}
package tollgate.rules.workflow.continue_on_error

import rego.v1

import data.tollgate.lib.result
import data.tollgate.lib.workflow as wf

cfg := data.tollgate.config["workflow-continue-on-error"]

allow_patterns := object.get(cfg, "allow", [])

# A literal true (YAML boolean, or the string "true" that GitHub also accepts).
literal_true(v) if v == true

literal_true(v) if {
	is_string(v)
	lower(trim_space(v)) == "true"
}

literal_true(v) if constant_expression(v, "true")

# `${{ true }}` / `${{ false }}`: an expression with a fixed value.
constant_expression(v, word) if {
	is_string(v)
	regex.match(sprintf(`^\s*\$\{\{\s*%s\s*\}\}\s*$`, [word]), lower(v))
}

# An expression that is true for some runs only, decided when the workflow runs.
expression(v) if {
	wf.has_expression(v)
	not constant_expression(v, "true")
	not constant_expression(v, "false")
}

allowed(names) if {
	some name in names
	some pattern in allow_patterns
	regex.match(pattern, name)
}

job_exempt(id, job) if allowed(wf.job_names(id, job))

step_exempt(s) if job_exempt(s.job_id, s.job)

step_exempt(s) if allowed(wf.step_names(s.step))

deny contains result.fail(array.concat(j.path, ["continue-on-error"]), msg) if {
	some j in wf.input_job_list
	literal_true(j.job["continue-on-error"])
	not job_exempt(j.id, j.job)
	msg := sprintf(
		"%s has continue-on-error: true, so the workflow passes even when the job fails; remove it (or list the job in the rule's `allow` setting if its failure must not block)",
		[wf.job_label(j.id, j.job)],
	)
}

deny contains result.fail_with(array.concat(j.path, ["continue-on-error"]), msg, {"severity": "warning"}) if {
	some j in wf.input_job_list
	value := j.job["continue-on-error"]
	expression(value)
	not job_exempt(j.id, j.job)
	msg := sprintf(
		"%s has continue-on-error: %s, so the workflow passes when the job fails in the runs where it is true; make sure this only covers experimental runs, or remove it",
		[wf.job_label(j.id, j.job), trim_space(value)],
	)
}

deny contains result.fail(array.concat(s.path, ["continue-on-error"]), msg) if {
	some s in wf.input_step_list
	literal_true(s.step["continue-on-error"])
	not step_exempt(s)
	msg := sprintf(
		"%s has continue-on-error: true, so the job goes on and passes even when the step fails; remove it (or list the step in the rule's `allow` setting if its failure must not block)",
		[wf.step_label(s)],
	)
}

deny contains result.fail_with(array.concat(s.path, ["continue-on-error"]), msg, {"severity": "warning"}) if {
	some s in wf.input_step_list
	value := s.step["continue-on-error"]
	expression(value)
	not step_exempt(s)
	msg := sprintf(
		"%s has continue-on-error: %s, so the job passes when the step fails in the runs where it is true; make sure this only covers experimental runs, or remove it",
		[wf.step_label(s), trim_space(value)],
	)
}
