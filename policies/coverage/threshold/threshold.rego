# METADATA
# title: Test coverage meets its thresholds
# description: >-
#   The total line, function, branch and statement coverage of a coverage report (lcov, istanbul
#   coverage-summary.json, Cobertura) must reach its threshold. Only the primary report of a run is
#   checked, and only the metrics its format carries.
# custom:
#   id: coverage-threshold
#   severity: error
#   input: [coverage]
#   scope: document
#   settings:
#     lines: 85
#     functions: 85
#     branches: 80
#     statements: 85
#   schema:
#     lines: &percent
#       description: minimum coverage, in percent (0 to 100; 0 turns the metric off)
#       type: number
#       minimum: 0
#       maximum: 100
#       not: {type: number, exclusiveMinimum: 0, exclusiveMaximum: 1}
#     functions: *percent
#     branches: *percent
#     statements: *percent
package tollgate.rules.coverage.threshold

import rego.v1

import data.tollgate.lib.result

cfg := data.tollgate.config["coverage-threshold"]

metrics := ["lines", "functions", "branches", "statements"]

singular := {"lines": "line", "functions": "function", "branches": "branch", "statements": "statement"}

# One finding per metric below its threshold, at the report's totals for that metric.
deny contains result.fail(["totals", metric], msg) if {
	input.primary == true
	some metric in metrics
	required := cfg[metric]
	is_number(required)
	t := input.totals[metric]
	is_number(t.pct)
	t.total > 0
	t.pct < required
	msg := sprintf(
		"%s coverage is %s%% (%v of %v %s covered), below the required %s%%%s",
		[singular[metric], pct2(t.pct), t.covered, t.total, metric, pct2(required), worst_note(metric)],
	)
}

# The three files with the lowest coverage of `metric` (files without any, total 0, ignored).
worst(metric) := array.slice(
	sort([[f[metric].pct, f.path] |
		some f in input.files
		is_number(f[metric].pct)
		f[metric].total > 0
	]),
	0, 3,
)

worst_note(metric) := sprintf("; lowest: %s", [concat(", ", [sprintf("%s (%s%%)", [w[1], pct2(w[0])]) | some w in worst(metric)])]) if {
	count(worst(metric)) > 0
} else := ""

# A percentage with two decimals, truncated as istanbul does (84.996 is 84.99, never 85.00).
pct2(x) := sprintf("%d.%s", [whole, frac]) if {
	cents := floor((x * 100) + 0.000001)
	whole := (cents - (cents % 100)) / 100
	f := cents % 100
	frac := pad2(f)
}

pad2(n) := sprintf("0%d", [n]) if n < 10

else := sprintf("%d", [n])
