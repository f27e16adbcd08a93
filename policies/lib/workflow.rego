# GitHub Actions helpers shared by the built-in workflow rules. Every function takes the workflow
# (the document's content: `doc.content` for project rules; per-document rules use the rules
# `input_job_list` and `input_step_list`) and returns values with their paths into it, so
# findings can point at them.
package tollgate.lib.workflow

import rego.v1

# jobs(wf): the `jobs:` mapping (job id -> job), {} when absent or not a mapping.
jobs(wf) := wf.jobs if {
	is_object(wf)
	is_object(wf.jobs)
} else := {}

# job_list(wf): {"id", "job", "path"} for every job that is a mapping.
job_list(wf) := {{"id": id, "job": job, "path": ["jobs", id]} |
	some id, job in jobs(wf)
	is_object(job)
}

# step_list(wf): {"job_id", "job", "index", "step", "path"} for every step that is a mapping.
step_list(wf) := {{"job_id": id, "job": job, "index": i, "step": step, "path": ["jobs", id, "steps", i]} |
	some id, job in jobs(wf)
	is_object(job)
	is_array(job.steps)
	some i, step in job.steps
	is_object(step)
}

# input_job_list, input_step_list: job_list and step_list of `input`, as rules: a rule is
# evaluated once for every rule of the document (regorus patch 12), a function at every call.
input_job_list := job_list(input)

input_step_list := step_list(input)

# list_of_steps(job): the job's steps that are mappings ([] when absent or mistyped).
list_of_steps(job) := [st | some st in job.steps; is_object(st)] if is_array(job.steps)

else := []

# has_expression(v): v is a string with a `${{ … }}` expression in it (its value is only known
# when the workflow runs).
has_expression(v) if {
	is_string(v)
	contains(v, "${{")
}

# is_reusable_call(job): the job calls a reusable workflow (`uses:` at job level).
is_reusable_call(job) if {
	is_string(job.uses)
	job.uses != ""
}

# job_names(id, job): the job id and, when it is a string, its `name:`.
job_names(id, job) := {id} | {n | n := job.name; is_string(n)}

# step_names(step): the step's `name:` and `id:`, where they are strings.
step_names(step) := {n | some k in ["name", "id"]; n := step[k]; is_string(n)}

# job_label(id, job): how messages name a job: "job `build`" or "job `build` (Build and test)".
job_label(id, job) := sprintf("job `%s` (%s)", [id, job.name]) if {
	is_string(job.name)
	job.name != id
} else := sprintf("job `%s`", [id])

# step_label(s): how messages name an element of step_list: its name, id or uses, else its index
# (1-based). When another step of the job goes by the same name, the index tells them apart:
# "step 7 (`actions/download-artifact@v4`) of job `deploy`".
step_label(s) := sprintf("step %d (`%s`) of job `%s`", [s.index + 1, n, s.job_id]) if {
	n := step_name(s.step)
	count([x | some x in s.job.steps; is_object(x); step_name(x) == n]) > 1
} else := sprintf("step `%s` of job `%s`", [n, s.job_id]) if {
	n := step_name(s.step)
} else := sprintf("step %d of job `%s`", [s.index + 1, s.job_id])

# step_name(step): the name messages use for a step: its name, else its id, else its uses.
step_name(step) := step.name if {
	is_string(step.name)
} else := step.id if {
	is_string(step.id)
} else := step.uses if {
	is_string(step.uses)
}

# env_value(wf, s, name): the value of environment variable `name` for the step `s` (an element
# of step_list): the step's `env:`, else its job's, else the workflow's. Undefined when unset.
env_value(wf, s, name) := v if {
	v := env_sources(wf, s, name)[0].value
}

# env_sources(wf, s, name): where `name` is set for step `s`, nearest first: [{"value", "path"}].
env_sources(wf, s, name) := [x |
	some c in [
		{"env": object.get(s.step, "env", null), "path": array.concat(s.path, ["env", name])},
		{"env": object.get(s.job, "env", null), "path": ["jobs", s.job_id, "env", name]},
		{"env": object.get(wf, "env", null), "path": ["env", name]},
	]
	is_object(c.env)
	v := c.env[name]
	v != null
	x := {"value": v, "path": c.path}
]
