# METADATA
# title: Justify every .trivyignore entry
# description: >-
#   Every entry of a .trivyignore must say why the finding is accepted, in a comment block
#   directly above it or in a comment after the id on its line.
# custom:
#   id: trivyignore-justification
#   severity: warning
#   input: [trivyignore]
#   scope: document
package tollgate.rules.trivy.trivyignore_justification

import rego.v1

import data.tollgate.lib.result

deny contains result.fail(["entries", i], msg) if {
	some i, e in input.entries
	is_object(e)
	not justified(e)
	msg := sprintf(
		"`.trivyignore` entry %s has no justification%s: say why the finding is accepted (not reachable, no fix yet, …) in a comment directly above it (no blank line between) or after the id on its line",
		[object.get(e, "id", "?"), why(e, i)],
	)
}

# A justification must say something: whitespace or decoration only (`# ----`) is none.
justified(e) if {
	is_string(e.justification)
	regex.match(`[\p{L}\p{N}]`, e.justification)
}

why(e, i) := " (a `# tollgate:` directive is not a justification)" if {
	count(object.get(e, "directives", [])) > 0
	not has_text(e.justification)
} else := " (its comment says nothing)" if {
	is_string(e.justification)
	not regex.match(`[\p{L}\p{N}]`, e.justification)
} else := sprintf(" (the comment %s %s on line %v justifies only that entry)", [where, prev.id, prev.line]) if {
	i > 0
	prev := input.entries[i - 1]
	prev.line == e.line - 1
	justified(prev)
	where := position(prev)
} else := ""

position(e) := "above" if is_string(e.comment_above) else := "after"

has_text(s) if {
	is_string(s)
	trim_space(s) != ""
}
