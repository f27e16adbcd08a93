# Trivy helpers shared by the built-in rules: which `.trivyignore` entries are in force today, and
# whether an `exp:` date is valid. Entries have the shape of the trivyignore input's `entries`
# (see docs/inputs.md); the scan root's entries are `data.tollgate.trivyignore`.
#
# Semantics follow Trivy's own .trivyignore handling:
# - ids match exactly (case-sensitive), a vulnerability by VulnerabilityID, a misconfiguration by
#   ID or AVDID;
# - an entry without `exp:` ignores forever;
# - an entry whose `exp:` date is strictly before today ignores nothing (the expiry day itself is
#   still covered);
# - an entry whose `exp:` value is not a valid YYYY-MM-DD date ignores nothing (Trivy skips such a
#   line with only a log warning).
package tollgate.lib.trivy

import rego.v1

# today: the date expiry checks use ("YYYY-MM-DD").
today := data.tollgate.today

# entries: the scan root's .trivyignore entries ([] when there is none).
default entries := []

entries := data.tollgate.trivyignore if is_array(data.tollgate.trivyignore)

# has_expiry(e): the entry carries an `exp:` field (whatever its value).
has_expiry(e) if {
	is_object(e)
	e.expires != null
}

# valid_date(s): s is an existing calendar date written YYYY-MM-DD.
valid_date(s) if {
	is_string(s)
	regex.match(`^\d{4}-\d{2}-\d{2}$`, s)
	parts := split(s, "-")
	parts[1] in months
	parts[2] >= "01"
	parts[2] <= last_day(parts[0], parts[1])
}

months := {"01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12"}

last_day(_, m) := "31" if m in {"01", "03", "05", "07", "08", "10", "12"}

last_day(_, m) := "30" if m in {"04", "06", "09", "11"}

last_day(y, "02") := "29" if leap_year(y)

last_day(y, "02") := "28" if not leap_year(y)

leap_year(y) if {
	n := to_number(y)
	n % 4 == 0
	n % 100 != 0
}

leap_year(y) if {
	n := to_number(y)
	n % 400 == 0
}

# invalid_expiry(e): the entry has an `exp:` value that is not a valid date.
invalid_expiry(e) if {
	has_expiry(e)
	not valid_date(e.expires)
}

# expired(e): the entry's valid `exp:` date is strictly before today.
expired(e) if {
	has_expiry(e)
	valid_date(e.expires)
	e.expires < today
}

# active(e): the entry ignores findings today.
active(e) if {
	is_object(e)
	is_string(e.id)
	not has_expiry(e)
}

active(e) if {
	is_object(e)
	is_string(e.id)
	valid_date(e.expires)
	e.expires >= today
}

# ignored_ids: the ids that the scan root's .trivyignore ignores today.
ignored_ids contains e.id if {
	some e in entries
	active(e)
}

# ignored(id): a finding with this id is ignored by an entry in force.
ignored(id) if id in ignored_ids
