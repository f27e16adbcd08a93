# METADATA
# title: CI runs every governance mode in a build matrix
# description: >-
#   Where the application switches behaviour on GOVERNANCE_MODE, CI must test each mode: some job
#   sets GOVERNANCE_MODE from a matrix variable, and that matrix lists both DEMO and LIVE.
# custom:
#   id: workflow-governance-matrix
#   severity: error
#   input: [workflow, compose, kubernetes]
#   scope: project
#   settings:
#     env_var: GOVERNANCE_MODE
#     required_modes: [DEMO, LIVE]
#     ci_workflow: ".github/workflows/ci.y*ml"
#   schema:
#     env_var: {type: string, pattern: "^[A-Za-z_][A-Za-z0-9_]*$"}
#     required_modes: {type: array, minItems: 1, items: {type: string, minLength: 1}}
#     ci_workflow: {type: string, minLength: 1}
package tollgate.rules.workflow.governance_matrix

import rego.v1

import data.tollgate.lib.result
import data.tollgate.lib.workflow as wf

cfg := data.tollgate.config["workflow-governance-matrix"]

env_var := object.get(cfg, "env_var", "GOVERNANCE_MODE")

required_modes := object.get(cfg, "required_modes", ["DEMO", "LIVE"])

ci_workflow := object.get(cfg, "ci_workflow", ".github/workflows/ci.y*ml")

# ---------------------------------------------------------------------------------------------
# Does the repository use governance modes? Some document names the variable, as a key or in a
# string value, anywhere in its content.

refers(content) if {
	walk(content, [path, _])
	count(path) > 0
	path[count(path) - 1] == env_var
}

refers(content) if {
	walk(content, [_, value])
	is_string(value)
	contains(value, env_var)
}

uses_governance if {
	some doc in input.documents
	# A cheap guard first: only documents whose text mentions the variable are walked.
	contains(json.marshal(doc.content), env_var)
	refers(doc.content)
}

workflows := [doc | some doc in input.documents; doc.kind == "workflow"]

# ---------------------------------------------------------------------------------------------
# Jobs that set the variable from a matrix variable: `GOVERNANCE_MODE: ${{ matrix.mode }}` in the
# job's or a step's `env:`. {"doc", "job_id", "job", "var"}.

matrix_ref_re := `\$\{\{(?:[^}]*[^A-Za-z0-9_.}])?matrix\.([A-Za-z_][A-Za-z0-9_-]*)`

matrix_var(value) := m[1] if {
	is_string(value)
	m := regex.find_all_string_submatch_n(matrix_ref_re, value, 1)[0]
}

env_settings(job) := {v |
	is_object(job.env)
	v := job.env[env_var]
} | {v |
	is_array(job.steps)
	some step in job.steps
	is_object(step)
	is_object(step.env)
	v := step.env[env_var]
}

matrix_users contains {"doc": doc, "job_id": j.id, "job": j.job, "var": x} if {
	some doc in workflows
	some j in wf.job_list(doc.content)
	some value in env_settings(j.job)
	x := matrix_var(value)
}

# ---------------------------------------------------------------------------------------------
# The values of matrix variable x, and whether they are all known (no expression decides them).

matrix_of(job) := job.strategy.matrix

# The matrix, or its x, or an include row's x, is computed when the workflow runs
# (`matrix: ${{ fromJSON(...) }}`, `mode: ${{ inputs.modes }}`, `include: ${{ ... }}`).
dynamic(job, _) if {
	"strategy" in object.keys(job)
	not is_object(job.strategy)
}

dynamic(job, _) if {
	"matrix" in object.keys(job.strategy)
	not is_object(job.strategy.matrix)
}

dynamic(job, x) if wf.has_expression(matrix_of(job)[x])

dynamic(job, x) if {
	some v in matrix_of(job)[x]
	wf.has_expression(v)
}

dynamic(job, _) if wf.has_expression(matrix_of(job).include)

dynamic(job, _) if {
	some row in matrix_of(job).include
	wf.has_expression(row)
}

dynamic(job, x) if {
	some row in matrix_of(job).include
	wf.has_expression(row[x])
}

# Values listed under strategy.matrix.x (a list, or a single value).
listed(job, x) := values if {
	is_array(matrix_of(job)[x])
	values := {v | some v in matrix_of(job)[x]}
} else := values if {
	matrix_of(job)[x] != null
	values := {matrix_of(job)[x]}
} else := set()

# Values that include rows add.
included(job, x) := {row[x] |
	is_array(matrix_of(job).include)
	some row in matrix_of(job).include
	is_object(row)
	row[x] != null
}

# Values removed by exclude rows that name only x (`exclude: [{mode: LIVE}]`).
excluded(job, x) := {row[x] |
	is_array(matrix_of(job).exclude)
	some row in matrix_of(job).exclude
	is_object(row)
	object.keys(row) == {x}
}

matrix_values(job, x) := (listed(job, x) - excluded(job, x)) | included(job, x)

# ---------------------------------------------------------------------------------------------
# Findings.

deny contains result.fail_in(u.doc, ["jobs", u.job_id, "strategy", "matrix", u.var], msg) if {
	uses_governance
	some u in matrix_users
	not dynamic(u.job, u.var)
	values := matrix_values(u.job, u.var)
	missing := [m | some m in required_modes; not m in values]
	count(missing) > 0
	msg := sprintf(
		"%s sets %s from matrix.%s, but the matrix does not run %s (it has %s); add %s to matrix.%s so CI tests every governance mode",
		[wf.job_label(u.job_id, u.job), env_var, u.var, concat(", ", missing), shown(values), concat(", ", missing), u.var],
	)
}

shown(values) := concat(", ", sort([sprintf("%v", [v]) | some v in values])) if {
	count(values) > 0
} else := "no values"

# No job sets the variable from a matrix: one finding on the CI workflow's `jobs:`.
deny contains result.fail_in(doc, ["jobs"], msg) if {
	uses_governance
	count(matrix_users) == 0
	doc := ci_doc
	msg := sprintf(
		"%s is used in this repository, but no workflow job sets it from a matrix; run the tests in a matrix over %s (`strategy.matrix.mode: [%s]` with `env: {%s: ${{ matrix.mode }}}`)",
		[env_var, concat(", ", required_modes), concat(", ", required_modes), env_var],
	)
}

# The workflow whose file matches `ci_workflow` (against the path's trailing segments, so that
# `.github/workflows/ci.yml` matches wherever the repository was scanned from), else the first.
ci_doc := doc if {
	candidates := [d | some d in workflows; ci_match(d.file)]
	count(candidates) > 0
	doc := first(candidates)
} else := first(workflows) if {
	count(workflows) > 0
}

# The document first in file order.
first(docs) := d if {
	key := min({[x.file, x.index] | some x in docs})
	some d in docs
	[d.file, d.index] == key
}

ci_match(file) if {
	parts := split(file, "/")
	some i in numbers.range(0, count(parts) - 1)
	glob.match(ci_workflow, ["/"], concat("/", array.slice(parts, i, count(parts))))
}
