package tollgate.rules.coverage.threshold_test

import rego.v1

import data.tollgate.rules.coverage.threshold as rule

m(covered, total) := {"covered": covered, "total": total, "pct": pct(covered, total)}

pct(_, 0) := null

pct(covered, total) := (covered * 100) / total if total != 0

report(format, totals, files) := {"format": format, "primary": true, "totals": totals, "files": files}

good := {"lines": m(90, 100), "functions": m(9, 10), "branches": m(8, 10), "statements": m(95, 100)}

paths(findings) := {f.path | some f in findings}

messages(findings) := concat("\n", [f.msg | some f in findings])

test_everything_at_or_above_threshold_passes if {
	count(rule.deny) == 0 with input as report("istanbul", good, [])
}

test_exactly_at_threshold_passes if {
	totals := {"lines": m(85, 100), "functions": m(17, 20), "branches": m(4, 5), "statements": m(85, 100)}
	count(rule.deny) == 0 with input as report("istanbul", totals, [])
}

test_each_metric_below_is_one_finding if {
	totals := {"lines": m(50, 100), "functions": m(1, 10), "branches": m(1, 10), "statements": m(50, 100)}
	paths(rule.deny) == {["totals", "lines"], ["totals", "functions"], ["totals", "branches"], ["totals", "statements"]} with input as report("istanbul", totals, [])
}

test_message_has_two_decimals_and_counts if {
	totals := object.union(good, {"lines": m(725, 1000)})
	findings := rule.deny with input as report("lcov", totals, [])
	paths(findings) == {["totals", "lines"]}
	contains(messages(findings), "line coverage is 72.50% (725 of 1000 lines covered), below the required 85.00%")
}

test_percentages_are_truncated_not_rounded if {
	totals := object.union(good, {"lines": m(84996, 100000)})
	contains(messages(rule.deny), "is 84.99%") with input as report("lcov", totals, [])
}

test_three_worst_files_are_named if {
	files := [
		{"path": "src/a.ts", "lines": m(9, 10)},
		{"path": "src/b.ts", "lines": m(1, 10)},
		{"path": "src/empty.ts", "lines": m(0, 0)},
		{"path": "src/c.ts", "lines": m(1, 3)},
		{"path": "src/d.ts", "lines": m(5, 10)},
		{"path": "src/e.ts", "functions": m(0, 4)},
	]
	totals := object.union(good, {"lines": m(16, 43)})
	msg := messages(rule.deny) with input as report("lcov", totals, files)
	contains(msg, "; lowest: src/b.ts (10.00%), src/c.ts (33.33%), src/d.ts (50.00%)")
	not contains(msg, "empty.ts")
	not contains(msg, "a.ts")
}

test_no_files_means_no_list if {
	totals := object.union(good, {"branches": m(1, 2)})
	findings := rule.deny with input as report("cobertura", totals, [])
	count(findings) == 1
	not contains(messages(findings), "lowest")
	contains(messages(findings), "branch coverage is 50.00% (1 of 2 branches covered), below the required 80.00%")
}

test_absent_metric_is_not_checked if {
	# Cobertura carries neither functions nor statements.
	totals := {"lines": m(90, 100), "branches": m(9, 10)}
	count(rule.deny) == 0 with input as report("cobertura", totals, [])
}

test_metric_with_total_zero_is_not_checked if {
	totals := object.union(good, {"branches": m(0, 0), "functions": m(0, 0)})
	count(rule.deny) == 0 with input as report("lcov", totals, [])
}

test_non_primary_report_is_not_checked if {
	r := object.union(report("lcov", {"lines": m(1, 100)}, []), {"primary": false})
	count(rule.deny) == 0 with input as r
}

test_thresholds_are_settings if {
	totals := object.union(good, {"lines": m(60, 100)})
	count(rule.deny) == 0 with input as report("lcov", totals, [])
		with data.tollgate.config["coverage-threshold"] as {"lines": 60, "functions": 85, "branches": 80, "statements": 85}
	contains(messages(rule.deny), "below the required 90.50%") with input as report("lcov", good, [])
		with data.tollgate.config["coverage-threshold"] as {"lines": 90.5, "functions": 85, "branches": 80, "statements": 85}
}

test_null_threshold_disables_a_metric if {
	totals := object.union(good, {"branches": m(1, 10)})
	count(rule.deny) == 0 with input as report("lcov", totals, [])
		with data.tollgate.config["coverage-threshold"] as {"lines": 85, "functions": 85, "branches": null, "statements": 85}
}

test_pct2 if {
	rule.pct2(85) == "85.00"
	rule.pct2(0) == "0.00"
	rule.pct2(100) == "100.00"
	rule.pct2(7.5) == "7.50"
	rule.pct2(0.29) == "0.29"
	rule.pct2(33.333333333333336) == "33.33"
	rule.pct2(80.05) == "80.05"
}
