package tollgate.rules.trivy.trivyignore_justification_test

import rego.v1

import data.tollgate.rules.trivy.trivyignore_justification as rule

entry(id, above, comment, directives) := {
	"id": id, "line": 1, "expires": null, "comment_above": above, "comment": comment,
	"justification": justification(above, comment), "directives": directives,
}

justification(above, _) := above if above != null

justification(null, comment) := comment

paths(findings) := {f.path | some f in findings}

test_comment_above_justifies if {
	count(rule.deny) == 0 with input as {"entries": [entry("CVE-2023-0286", "not reachable: we never parse X.400 names", null, [])]}
}

test_trailing_comment_justifies if {
	count(rule.deny) == 0 with input as {"entries": [entry("CVE-2023-0286", null, "no fix in alpine 3.17 yet", [])]}
}

test_entry_without_comment_is_reported if {
	findings := rule.deny with input as {"entries": [
		entry("CVE-2023-0001", "reason", null, []),
		entry("CVE-2023-0002", null, null, []),
	]}
	paths(findings) == {["entries", 1]}
	some f in findings
	contains(f.msg, "CVE-2023-0002 has no justification")
}

test_directive_is_not_a_justification if {
	findings := rule.deny with input as {"entries": [entry("CVE-2023-0002", null, null, ["tollgate: ignore[trivyignore-expired]"])]}
	paths(findings) == {["entries", 0]}
	some f in findings
	contains(f.msg, "directive is not a justification")
}

test_whitespace_only_justification_is_none if {
	findings := rule.deny with input as {"entries": [
		entry("CVE-2023-0001", "  \t", null, []),
		entry("CVE-2023-0002", null, " ", []),
	]}
	paths(findings) == {["entries", 0], ["entries", 1]}
}

test_decoration_only_comment_is_none if {
	findings := rule.deny with input as {"entries": [entry("CVE-2023-0001", "-----\n====", null, [])]}
	paths(findings) == {["entries", 0]}
	some f in findings
	contains(f.msg, "says nothing")
}

test_non_ascii_justification_counts if {
	count(rule.deny) == 0 with input as {"entries": [entry("CVE-2023-0001", "nicht erreichbar: kein XML-Parser", null, [])]}
	count(rule.deny) == 0 with input as {"entries": [entry("CVE-2023-0001", "不可达", null, [])]}
}

test_expiry_does_not_matter if {
	e := object.union(entry("CVE-2023-0001", null, null, []), {"expires": "2099-12-31"})
	paths(rule.deny) == {["entries", 0]} with input as {"entries": [e]}
}

test_empty_file if {
	count(rule.deny) == 0 with input as {"entries": []}
}

test_comment_covers_only_the_entry_below_it if {
	first := object.union(entry("CVE-2024-24786", "protobuf upgrade blocked by grpc 1.58", null, []), {"line": 4})
	second := object.union(entry("CVE-2023-44487", null, null, []), {"line": 5})
	findings := rule.deny with input as {"entries": [first, second]}
	paths(findings) == {["entries", 1]}
	some f in findings
	contains(f.msg, "the comment above CVE-2024-24786 on line 4 justifies only that entry")
}

test_trailing_comment_covers_only_its_line if {
	first := object.union(entry("CVE-2023-39325", null, "the ALB terminates HTTP/2", []), {"line": 9})
	second := object.union(entry("GHSA-m425-mq94-257g", null, null, []), {"line": 10})
	findings := rule.deny with input as {"entries": [first, second]}
	some f in findings
	contains(f.msg, "the comment after CVE-2023-39325 on line 9 justifies only that entry")
}
