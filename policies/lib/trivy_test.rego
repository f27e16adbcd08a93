package tollgate.lib.trivy_test

import rego.v1

import data.tollgate.lib.trivy

entry(id, expires) := {"id": id, "line": 1, "expires": expires}

# ---------------------------------------------------------------------------------------------
# valid_date

test_valid_dates if {
	every d in ["2024-01-01", "2024-12-31", "2024-04-30", "2024-02-29", "2000-02-29", "2023-02-28"] {
		trivy.valid_date(d)
	}
}

test_invalid_dates if {
	every d in [
		"2023-02-29", "1900-02-29", "2024-04-31", "2024-13-01", "2024-00-10", "2024-01-00",
		"2024-01-32", "2024-1-01", "24-01-01", "2024/01/01", "2024-01-01T00:00", " 2024-01-01", "",
	] {
		not trivy.valid_date(d)
	}
}

test_non_strings_are_not_dates if {
	not trivy.valid_date(null)
	not trivy.valid_date(20240101)
	not trivy.valid_date(["2024-01-01"])
}

# ---------------------------------------------------------------------------------------------
# has_expiry, invalid_expiry, expired, active

test_has_expiry if {
	trivy.has_expiry(entry("CVE-1", "2024-01-01"))
	trivy.has_expiry(entry("CVE-1", "soon"))
	not trivy.has_expiry(entry("CVE-1", null))
	not trivy.has_expiry({"id": "CVE-1"})
	not trivy.has_expiry("CVE-1")
}

test_invalid_expiry if {
	trivy.invalid_expiry(entry("CVE-1", "2024-02-30"))
	trivy.invalid_expiry(entry("CVE-1", "tomorrow"))
	not trivy.invalid_expiry(entry("CVE-1", "2024-02-29"))
	not trivy.invalid_expiry(entry("CVE-1", null))
}

test_expired_is_strictly_before_today if {
	trivy.expired(entry("CVE-1", "2025-06-14")) with data.tollgate.today as "2025-06-15"
	not trivy.expired(entry("CVE-1", "2025-06-15")) with data.tollgate.today as "2025-06-15"
	not trivy.expired(entry("CVE-1", "2025-06-16")) with data.tollgate.today as "2025-06-15"
}

test_an_invalid_or_missing_date_is_not_expired if {
	not trivy.expired(entry("CVE-1", "2020-02-30")) with data.tollgate.today as "2025-06-15"
	not trivy.expired(entry("CVE-1", null)) with data.tollgate.today as "2025-06-15"
}

test_active_entries if {
	trivy.active(entry("CVE-1", null)) with data.tollgate.today as "2025-06-15"
	trivy.active({"id": "CVE-1"}) with data.tollgate.today as "2025-06-15"
	trivy.active(entry("CVE-1", "2025-06-15")) with data.tollgate.today as "2025-06-15"
	trivy.active(entry("CVE-1", "2099-01-01")) with data.tollgate.today as "2025-06-15"
}

test_inactive_entries if {
	not trivy.active(entry("CVE-1", "2025-06-14")) with data.tollgate.today as "2025-06-15"
	not trivy.active(entry("CVE-1", "2099-02-30")) with data.tollgate.today as "2025-06-15"
	not trivy.active(entry(null, null)) with data.tollgate.today as "2025-06-15"
	not trivy.active("CVE-1") with data.tollgate.today as "2025-06-15"
}

# ---------------------------------------------------------------------------------------------
# entries, ignored_ids, ignored

test_entries_are_the_scan_roots_trivyignore if {
	es := [entry("CVE-1", null)]
	trivy.entries == es with data.tollgate.trivyignore as es
}

test_entries_default_to_empty if {
	trivy.entries == [] with data.tollgate.trivyignore as null
	trivy.entries == [] with data.tollgate.trivyignore as {"CVE-1": true}
}

test_ignored_ids_are_the_active_entries if {
	es := [
		entry("CVE-1", null),
		entry("CVE-2", "2099-12-31"),
		entry("CVE-3", "2020-01-01"),
		entry("CVE-4", "2099-02-30"),
		"CVE-5",
		{"line": 9},
	]
	trivy.ignored_ids == {"CVE-1", "CVE-2"} with data.tollgate.trivyignore as es with data.tollgate.today as "2025-06-15"
}

test_ignored_matches_ids_exactly if {
	es := [entry("CVE-2024-1234", null), entry("AVD-DS-0002", null)]
	trivy.ignored("CVE-2024-1234") with data.tollgate.trivyignore as es with data.tollgate.today as "2025-06-15"
	trivy.ignored("AVD-DS-0002") with data.tollgate.trivyignore as es with data.tollgate.today as "2025-06-15"
	not trivy.ignored("cve-2024-1234") with data.tollgate.trivyignore as es with data.tollgate.today as "2025-06-15"
	not trivy.ignored("CVE-2024-12345") with data.tollgate.trivyignore as es with data.tollgate.today as "2025-06-15"
}

test_nothing_is_ignored_without_a_trivyignore if {
	not trivy.ignored("CVE-1") with data.tollgate.trivyignore as null
}
