package tollgate.rules.trivy.trivyignore_expired_test

import rego.v1

import data.tollgate.rules.trivy.trivyignore_expired as rule

entry(id, expires) := {
	"id": id, "line": 1, "expires": expires, "comment_above": "accepted", "comment": null,
	"justification": "accepted", "directives": [],
}

paths(findings) := {f.path | some f in findings}

test_past_date_is_reported if {
	findings := rule.deny with input as {"entries": [entry("CVE-2023-0001", "2020-01-31")]}
		with data.tollgate.today as "2026-06-01"
	paths(findings) == {["entries", 0]}
	some f in findings
	contains(f.msg, "CVE-2023-0001 expired on 2020-01-31")
}

test_yesterday_is_expired_today_is_not if {
	findings := rule.deny with input as {"entries": [
		entry("CVE-2023-0001", "2026-05-31"),
		entry("CVE-2023-0002", "2026-06-01"),
		entry("CVE-2023-0003", "2026-06-02"),
	]}
		with data.tollgate.today as "2026-06-01"
	paths(findings) == {["entries", 0]}
}

test_entries_without_expiry_are_fine if {
	count(rule.deny) == 0 with input as {"entries": [entry("CVE-2023-0001", null), entry("AVD-DS-0002", "2099-12-31")]}
		with data.tollgate.today as "2026-06-01"
}

test_invalid_dates_are_reported if {
	findings := rule.deny with input as {"entries": [
		entry("CVE-2023-0001", "2026-13-01"),
		entry("CVE-2023-0002", "2026-02-30"),
		entry("CVE-2023-0003", "31/12/2026"),
		entry("CVE-2023-0004", "2026-1-5"),
		entry("CVE-2023-0005", ""),
		entry("CVE-2023-0006", "2026-12-31T00:00:00Z"),
		entry("CVE-2023-0007", "2026-00-10"),
	]}
		with data.tollgate.today as "2026-06-01"
	paths(findings) == {["entries", i] | some i in numbers.range(0, 6)}
	every f in findings {
		contains(f.msg, "not a valid YYYY-MM-DD date")
	}
}

test_leap_days if {
	findings := rule.deny with input as {"entries": [
		entry("CVE-2023-0001", "2028-02-29"),
		entry("CVE-2023-0002", "2027-02-29"),
		entry("CVE-2023-0003", "2100-02-29"),
		entry("CVE-2023-0004", "2400-02-29"),
		entry("CVE-2023-0005", "2099-04-31"),
		entry("CVE-2023-0006", "2099-12-31"),
	]}
		with data.tollgate.today as "2026-06-01"
	paths(findings) == {["entries", 1], ["entries", 2], ["entries", 4]}
}

test_date_compare_uses_today if {
	e := entry("CVE-2023-0001", "2026-11-30")
	count(rule.deny) == 0 with input as {"entries": [e]} with data.tollgate.today as "2026-11-26"
	count(rule.deny) == 1 with input as {"entries": [e]} with data.tollgate.today as "2026-12-01"
}
