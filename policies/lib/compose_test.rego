package tollgate.lib.compose_test

import rego.v1

import data.tollgate.lib.compose

project(files) := {"documents": [{"file": f, "kind": "compose", "index": 0, "content": c} | some f, c in files]}

hc := {"test": ["CMD", "pg_isready"], "interval": "5s"}

# A folder with a base file and an override, another folder, and a file included from a third.
repo := project({
	"compose.yaml": {"services": {"top": {"image": "nginx"}}},
	"deploy/compose.yaml": {"include": ["../shared/db.yaml"], "services": {
		"api": {"image": "api", "depends_on": {"migrate": {"condition": "service_completed_successfully"}, "db": {"condition": "service_healthy"}}},
		"migrate": {"image": "api"},
	}},
	"deploy/compose.override.yaml": {"services": {"api": {"healthcheck": hc}}},
	"shared/db.yaml": {"services": {"db": {"image": "postgres:16", "healthcheck": hc}}},
})

# ---------------------------------------------------------------------------------------------
# folder, compose_docs, docs_by_folder, folder_docs

test_folder_of_a_file if {
	compose.folder("compose.yaml") == ""
	compose.folder("deploy/compose.yaml") == "deploy"
	compose.folder("a/b/c/compose.override.yml") == "a/b/c"
}

test_compose_docs_are_the_compose_mappings if {
	docs := {"documents": [
		{"file": "compose.yaml", "kind": "compose", "index": 0, "content": {"services": {}}},
		{"file": "empty.yaml", "kind": "compose", "index": 0, "content": null},
		{"file": "k8s.yaml", "kind": "kubernetes", "index": 0, "content": {"kind": "Pod"}},
	]}
	{d.file | some d in compose.compose_docs} == {"compose.yaml"} with input as docs
}

test_folder_docs_groups_documents_by_folder if {
	{d.file | some d in compose.folder_docs("deploy")} == {"deploy/compose.yaml", "deploy/compose.override.yaml"} with input as repo
	{d.file | some d in compose.folder_docs("")} == {"compose.yaml"} with input as repo
	compose.folder_docs("nowhere") == set() with input as repo
}

test_nothing_without_compose_documents if {
	compose.compose_docs == set() with input as {"documents": []}
	compose.folder_docs("") == set() with input as {"documents": []}
	compose.folder_services("") == set() with input as {"documents": []}
}

# ---------------------------------------------------------------------------------------------
# services, folder_services, includes

test_services_is_the_services_mapping if {
	compose.services({"services": {"a": {"image": "x"}}}) == {"a": {"image": "x"}}
	compose.services({"services": null}) == {}
	compose.services({"services": ["a", "b"]}) == {}
	compose.services({"version": "3"}) == {}
}

test_folder_services_include_overrides_and_included_files if {
	compose.folder_services("deploy") == {"api", "migrate", "db"} with input as repo
	compose.folder_services("") == {"top"} with input as repo
	compose.folder_services("shared") == {"db"} with input as repo
	compose.folder_services("nowhere") == set() with input as repo
}

test_includes_accepts_strings_and_path_entries if {
	compose.includes({"include": [
		"a.yaml",
		{"path": "b.yaml"},
		{"path": ["c.yaml", "d.yaml", 3]},
		{"project_directory": "x"},
		7,
	]}) == {"a.yaml", "b.yaml", "c.yaml", "d.yaml"}
}

test_includes_of_missing_or_mistyped_include_is_empty if {
	compose.includes({"services": {}}) == set()
	compose.includes({"include": null}) == set()
	compose.includes({"include": "a.yaml"}) == set()
	compose.includes({"include": {"path": "a.yaml"}}) == set()
}

test_included_matches_the_path_without_leading_dots_as_a_suffix if {
	compose.included("shared/db.yaml", "../shared/db.yaml")
	compose.included("deploy/common.yaml", "./common.yaml")
	compose.included("common.yaml", "common.yaml")
	not compose.included("deploy/notcommon.yaml", "./common.yaml")
	not compose.included("shared/db.yaml", "../other/db.yaml")
	not compose.included("shared/db.yaml", "../")
}

test_unresolved_include if {
	compose.unresolved_include("") with input as project({"compose.yaml": {"include": ["missing.yaml"], "services": {}}})
	not compose.unresolved_include("deploy") with input as repo
	not compose.unresolved_include("") with input as repo
}

# ---------------------------------------------------------------------------------------------
# completion_targets, healthchecks, defines_container

test_completion_targets if {
	compose.completion_targets("deploy") == {"migrate"} with input as repo
	compose.completion_targets("") == set() with input as repo
}

test_completion_targets_ignore_short_form_and_mistyped_entries if {
	p := project({"compose.yaml": {"services": {
		"a": {"image": "a", "depends_on": ["b"]},
		"c": {"image": "c", "depends_on": {"d": null, "e": "service_completed_successfully"}},
		"f": "not a service",
	}}})
	compose.completion_targets("") == set() with input as p
}

test_has_test if {
	compose.has_test({"healthcheck": hc})
	compose.has_test({"healthcheck": {"test": "curl -f http://localhost/"}})
	not compose.has_test({"image": "x"})
	not compose.has_test({"healthcheck": null})
	not compose.has_test({"healthcheck": {"interval": "5s"}})
	not compose.has_test({"healthcheck": {"test": "  "}})
	not compose.has_test({"healthcheck": {"test": []}})
	not compose.has_test({"healthcheck": {"test": "NONE"}})
	not compose.has_test({"healthcheck": {"test": ["NONE"]}})
	not compose.has_test({"healthcheck": object.union(hc, {"disable": true})})
	not compose.has_test({"healthcheck": object.union(hc, {"disable": "true"})})
	compose.has_test({"healthcheck": object.union(hc, {"disable": false})})
}

test_runs if {
	compose.runs("pg_isready")
	compose.runs(["CMD", "true"])
	not compose.runs("")
	not compose.runs([])
	not compose.runs(null)
}

test_none_test if {
	compose.none_test("NONE")
	compose.none_test(["NONE"])
	not compose.none_test(["CMD", "NONE"])
	not compose.none_test("none")
	not compose.none_test([])
}

test_disabled if {
	compose.disabled({"disable": true})
	compose.disabled({"disable": "true"})
	not compose.disabled({"disable": false})
	not compose.disabled({"test": "x"})
}

test_defines_container if {
	compose.defines_container({"image": "nginx"})
	compose.defines_container({"build": "."})
	compose.defines_container({"extends": {"service": "base"}})
	not compose.defines_container({"healthcheck": hc})
}
