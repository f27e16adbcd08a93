# METADATA
# title: Renew or remove expired .trivyignore entries
# description: >-
#   A .trivyignore entry whose `exp:` date has passed ignores nothing any more; one whose `exp:`
#   value is not a valid YYYY-MM-DD date is skipped by Trivy. Review the finding and renew, fix
#   or remove the entry.
# custom:
#   id: trivyignore-expired
#   severity: error
#   input: [trivyignore]
#   scope: document
package tollgate.rules.trivy.trivyignore_expired

import rego.v1

import data.tollgate.lib.result
import data.tollgate.lib.trivy

deny contains result.fail(["entries", i], msg) if {
	some i, e in input.entries
	trivy.expired(e)
	msg := sprintf(
		"`.trivyignore` entry %s expired on %s (today is %s): it ignores nothing any more; fix the finding and remove the entry, or review it and set a new `exp:` date",
		[e.id, e.expires, trivy.today],
	)
}

deny contains result.fail(["entries", i], msg) if {
	some i, e in input.entries
	trivy.invalid_expiry(e)
	msg := sprintf(
		"`.trivyignore` entry %s has `exp:%s`, which is not a valid YYYY-MM-DD date: Trivy skips the whole entry, so it ignores nothing; write the date as `exp:YYYY-MM-DD`",
		[e.id, e.expires],
	)
}
