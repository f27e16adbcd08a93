package tollgate.lib.workflow_test

import rego.v1

import data.tollgate.lib.workflow as wf

build := {"name": "Build and test", "runs-on": "ubuntu-latest", "steps": [
	{"uses": "actions/checkout@v4"},
	"not a step",
	{"name": "Test", "id": "test", "run": "make test", "env": {"MODE": "step"}},
]}

deploy := {"runs-on": "ubuntu-latest", "env": {"MODE": "job"}, "steps": [{"id": "push", "run": "make push"}]}

workflow := {"name": "CI", "on": "push", "env": {"MODE": "workflow", "LEVEL": "info"}, "jobs": {
	"build": build,
	"deploy": deploy,
	"release": {"uses": "./.github/workflows/release.yml"},
	"broken": "oops",
}}

step(wf_, job_id, i) := s if {
	some s in wf.step_list(wf_)
	s.job_id == job_id
	s.index == i
}

# ---------------------------------------------------------------------------------------------
# jobs, job_list, step_list

test_jobs_is_the_jobs_mapping if {
	wf.jobs(workflow) == workflow.jobs
}

test_jobs_of_a_workflow_without_jobs_is_empty if {
	wf.jobs({"on": "push"}) == {}
	wf.jobs({"jobs": null}) == {}
	wf.jobs({"jobs": ["build"]}) == {}
	wf.jobs(null) == {}
	wf.jobs("jobs") == {}
}

test_job_list_skips_jobs_that_are_not_mappings if {
	{[j.id, j.path] | some j in wf.job_list(workflow)} == {
		["build", ["jobs", "build"]],
		["deploy", ["jobs", "deploy"]],
		["release", ["jobs", "release"]],
	}
	some j in wf.job_list(workflow)
	j.id == "build"
	j.job == build
}

test_job_list_of_nothing_is_empty if {
	wf.job_list(null) == set()
	wf.job_list({"jobs": {}}) == set()
}

test_step_list_keeps_indices_and_skips_non_mappings if {
	{[s.job_id, s.index, s.path] | some s in wf.step_list(workflow)} == {
		["build", 0, ["jobs", "build", "steps", 0]],
		["build", 2, ["jobs", "build", "steps", 2]],
		["deploy", 0, ["jobs", "deploy", "steps", 0]],
	}
	s := step(workflow, "build", 2)
	s.step == build.steps[2]
	s.job == build
}

# The rules over `input` answer what the functions answer for it.
test_input_rules_are_the_functions_of_input if {
	every w in [workflow, {"jobs": {"a": build}}, {"on": "push"}, null] {
		wf.input_job_list == wf.job_list(w) with input as w
		wf.input_step_list == wf.step_list(w) with input as w
	}
	count(wf.input_step_list) == 3 with input as workflow
}

test_step_list_without_steps_is_empty if {
	wf.step_list({"jobs": {"a": {"steps": null}, "b": {"steps": {"run": "x"}}, "c": {}}}) == set()
	wf.step_list(null) == set()
}

# ---------------------------------------------------------------------------------------------
# has_expression, is_reusable_call, names and labels

test_has_expression if {
	wf.has_expression("${{ matrix.mode }}")
	wf.has_expression("prefix-${{ inputs.env }}")
	not wf.has_expression("$HOME")
	not wf.has_expression("{{ not github }}")
	not wf.has_expression(true)
	not wf.has_expression(null)
}

test_is_reusable_call if {
	wf.is_reusable_call(workflow.jobs.release)
	not wf.is_reusable_call(build)
	not wf.is_reusable_call({"uses": ""})
	not wf.is_reusable_call({"uses": null})
}

test_job_names if {
	wf.job_names("build", build) == {"build", "Build and test"}
	wf.job_names("deploy", deploy) == {"deploy"}
	wf.job_names("x", {"name": 3}) == {"x"}
}

test_step_names if {
	wf.step_names(build.steps[2]) == {"Test", "test"}
	wf.step_names({"uses": "actions/checkout@v4"}) == set()
	wf.step_names({"id": "push", "name": null}) == {"push"}
}

test_job_label if {
	wf.job_label("build", build) == "job `build` (Build and test)"
	wf.job_label("deploy", deploy) == "job `deploy`"
	wf.job_label("lint", {"name": "lint"}) == "job `lint`"
	wf.job_label("x", {"name": 3}) == "job `x`"
}

test_step_label_prefers_name_then_id_then_uses_then_index if {
	wf.step_label(step(workflow, "build", 2)) == "step `Test` of job `build`"
	wf.step_label(step(workflow, "deploy", 0)) == "step `push` of job `deploy`"
	wf.step_label(step(workflow, "build", 0)) == "step `actions/checkout@v4` of job `build`"
	wf.step_label({"job_id": "j", "index": 4, "step": {"run": "make"}}) == "step 5 of job `j`"
}

test_steps_of_the_same_name_are_told_apart_by_index if {
	job := {"steps": [
		{"uses": "actions/download-artifact@v4", "with": {"name": "a"}},
		{"run": "make"},
		{"uses": "actions/download-artifact@v4", "with": {"name": "b"}},
		{"name": "Deploy", "run": "./deploy a"},
		{"name": "Deploy", "run": "./deploy b"},
		{"name": "Check", "run": "true"},
	]}
	labels := [wf.step_label({"job_id": "release", "job": job, "index": i, "step": st}) | some i, st in job.steps]
	labels == [
		"step 1 (`actions/download-artifact@v4`) of job `release`",
		"step 2 of job `release`",
		"step 3 (`actions/download-artifact@v4`) of job `release`",
		"step 4 (`Deploy`) of job `release`",
		"step 5 (`Deploy`) of job `release`",
		"step `Check` of job `release`",
	]
}

# ---------------------------------------------------------------------------------------------
# env_sources, env_value

test_env_value_nearest_first if {
	wf.env_value(workflow, step(workflow, "build", 2), "MODE") == "step"
	wf.env_value(workflow, step(workflow, "deploy", 0), "MODE") == "job"
	wf.env_value(workflow, step(workflow, "build", 0), "MODE") == "workflow"
	wf.env_value(workflow, step(workflow, "build", 2), "LEVEL") == "info"
}

test_env_value_unset_is_undefined if {
	not wf.env_value(workflow, step(workflow, "build", 2), "NOPE")
}

test_env_sources_lists_every_level_with_its_path if {
	wf.env_sources(workflow, step(workflow, "build", 2), "MODE") == [
		{"value": "step", "path": ["jobs", "build", "steps", 2, "env", "MODE"]},
		{"value": "workflow", "path": ["env", "MODE"]},
	]
	wf.env_sources(workflow, step(workflow, "deploy", 0), "MODE") == [
		{"value": "job", "path": ["jobs", "deploy", "env", "MODE"]},
		{"value": "workflow", "path": ["env", "MODE"]},
	]
}

test_env_sources_skip_null_values_and_mistyped_env if {
	w := {"env": "MODE=x", "jobs": {"a": {"env": {"MODE": null}, "steps": [{"run": "x", "env": ["MODE"]}]}}}
	wf.env_sources(w, step(w, "a", 0), "MODE") == []
	not wf.env_value(w, step(w, "a", 0), "MODE")
}

test_env_value_keeps_non_string_values if {
	w := {"jobs": {"a": {"steps": [{"run": "x", "env": {"TRIVY_EXIT_CODE": 1}}]}}}
	wf.env_value(w, step(w, "a", 0), "TRIVY_EXIT_CODE") == 1
}
