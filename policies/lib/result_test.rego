package tollgate.lib.result_test

import rego.v1

import data.tollgate.lib.result
import data.tollgate.result as compat

doc := {"file": "deploy/api.yaml", "kind": "kubernetes", "index": 2, "content": {"kind": "Deployment"}}

test_fail_is_path_and_msg if {
	result.fail(["spec", "replicas"], "too few replicas") == {"path": ["spec", "replicas"], "msg": "too few replicas"}
}

test_fail_keeps_an_empty_path if {
	result.fail([], "whole document") == {"path": [], "msg": "whole document"}
}

test_fail_with_adds_the_extra_fields if {
	result.fail_with(["data", "redis.conf"], "m", {"text_line": 3}) == {"path": ["data", "redis.conf"], "msg": "m", "text_line": 3}
	result.fail_with(["jobs", "a"], "m", {"severity": "warning", "related": [{"path": ["on"], "msg": "here"}]}) == {
		"path": ["jobs", "a"], "msg": "m",
		"severity": "warning", "related": [{"path": ["on"], "msg": "here"}],
	}
}

test_fail_with_no_extra_is_fail if {
	result.fail_with(["a", 0], "m", {}) == result.fail(["a", 0], "m")
}

test_fail_in_names_the_file_and_document_index if {
	result.fail_in(doc, ["kind"], "m") == {"path": ["kind"], "msg": "m", "file": "deploy/api.yaml", "document": 2}
}

test_fail_in_needs_a_file if {
	not result.fail_in({"index": 0}, ["kind"], "m")
}

test_fail_in_with_adds_the_extra_fields_to_fail_in if {
	result.fail_in_with(doc, ["kind"], "m", {"severity": "warning"}) == {
		"path": ["kind"], "msg": "m", "file": "deploy/api.yaml", "document": 2,
		"severity": "warning",
	}
	result.fail_in_with(doc, ["kind"], "m", {}) == result.fail_in(doc, ["kind"], "m")
}

# The compatibility package `data.tollgate.result` (team policies import it) forwards every
# function to data.tollgate.lib.result.

test_compat_fail_forwards if {
	compat.fail(["spec"], "m") == {"path": ["spec"], "msg": "m"}
	compat.fail(["spec"], "m") == result.fail(["spec"], "m")
}

test_compat_fail_with_forwards if {
	compat.fail_with(["spec"], "m", {"text_line": 7}) == {"path": ["spec"], "msg": "m", "text_line": 7}
	compat.fail_with(["spec"], "m", {"text_line": 7}) == result.fail_with(["spec"], "m", {"text_line": 7})
}

test_compat_fail_in_forwards if {
	compat.fail_in(doc, ["kind"], "m") == {"path": ["kind"], "msg": "m", "file": "deploy/api.yaml", "document": 2}
	compat.fail_in(doc, ["kind"], "m") == result.fail_in(doc, ["kind"], "m")
}

test_compat_fail_in_with_forwards if {
	compat.fail_in_with(doc, ["kind"], "m", {"severity": "note"}) == {"path": ["kind"], "msg": "m", "file": "deploy/api.yaml", "document": 2, "severity": "note"}
	compat.fail_in_with(doc, ["kind"], "m", {"severity": "note"}) == result.fail_in_with(doc, ["kind"], "m", {"severity": "note"})
}

test_compat_fail_in_needs_a_file_too if {
	not compat.fail_in({"index": 0}, ["kind"], "m")
}
