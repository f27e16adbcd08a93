# Compose helpers shared by the built-in rules. Compose files of one folder are usually merged
# (compose.yaml + compose.override.yaml, or `-f a -f b`), so project-scope rules group the
# compose documents of `input.documents` by folder.
package tollgate.lib.compose

import rego.v1

# folder(file): the folder of a file path as tollgate displays it ("" for a top-level file).
folder(file) := concat("/", array.slice(parts, 0, count(parts) - 1)) if parts := split(file, "/")

# compose_docs: the compose documents of a project-scope input.
compose_docs contains doc if {
	some doc in input.documents
	doc.kind == "compose"
	is_object(doc.content)
}

# doc_folders: [folder, document] pairs, computed once per evaluation (rules are cached;
# functions are not, and a function over every document per service was quadratic).
doc_folders := [[folder(doc.file), doc] | some doc in compose_docs]

# docs_by_folder: folder -> the compose documents in it.
docs_by_folder[dir] := {doc | some p in doc_folders; p[0] == dir; doc := p[1]} if {
	some q in doc_folders
	dir := q[0]
}

# folder_docs(dir): the compose documents in folder `dir`.
folder_docs(dir) := object.get(docs_by_folder, dir, set())

# services(content): the `services` mapping of a compose file ({} when absent).
services(content) := s if {
	s := content.services
	is_object(s)
} else := {}

# folder_services(dir): every service name defined by a compose file of folder `dir`, or by a
# compose file it `include`s.
folder_services(dir) := object.get(services_by_folder, dir, set())

services_by_folder[dir] := names if {
	some dir, _ in docs_by_folder
	names := folder_services_of(dir)
}

folder_services_of(dir) := {name |
	some doc in folder_docs(dir)
	some name, _ in services(doc.content)
} | {name |
	some doc in folder_docs(dir)
	some inc in includes(doc.content)
	some other in compose_docs
	included(other.file, inc)
	some name, _ in services(other.content)
}

# includes(content): the paths of the file's `include:` entries (strings, or `path:` as a string
# or list).
includes(content) := {p |
	items := object.get(content, "include", [])
	is_array(items) # regorus: `some … in null` is an error
	some item in items
	some p in include_paths(item)
}

include_paths(item) := {item} if is_string(item)

include_paths(item) := {item.path} if is_string(item.path)

include_paths(item) := {p | some p in item.path; is_string(p)} if is_array(item.path)

# included(file, path): `file` is (probably) the file an include path names: the path without
# its leading `./` and `../` segments is a suffix of the file's path.
included(file, path) if {
	tail := regex.replace(path, `^(\.\.?/)+`, "")
	tail != ""
	suffix_match(file, tail)
}

suffix_match(file, tail) if file == tail

suffix_match(file, tail) if endswith(file, concat("", ["/", tail]))

# unresolved_include(dir): a compose file of folder `dir` includes a file tollgate did not load
# (another name, a remote or absolute path): its services are unknown.
unresolved_include(dir) if {
	some doc in folder_docs(dir)
	some inc in includes(doc.content)
	not resolved(inc)
}

resolved(inc) if {
	some other in compose_docs
	included(other.file, inc)
}

# completion_targets(dir): services that some service of folder `dir` waits for with
# `condition: service_completed_successfully`: they run to completion (migrations, seeders).
completion_targets(dir) := object.get(completion_by_folder, dir, set())

completion_by_folder[dir] := deps if {
	some dir, _ in docs_by_folder
	deps := completion_targets_of(dir)
}

completion_targets_of(dir) := {dep |
	some doc in folder_docs(dir)
	some _, svc in services(doc.content)
	is_object(svc)
	deps := object.get(svc, "depends_on", {})
	is_object(deps)
	some dep, spec in deps
	is_object(spec)
	spec.condition == "service_completed_successfully"
}

# has_test(svc): the service's healthcheck has a `test` that runs something (not "NONE").
has_test(svc) if {
	hc := svc.healthcheck
	is_object(hc)
	not disabled(hc)
	runs(hc.test)
	not none_test(hc.test)
}

runs(t) if {
	is_string(t)
	trim_space(t) != ""
}

runs(t) if {
	is_array(t)
	count(t) > 0
}

# none_test(t): `test: NONE` / `test: ["NONE"]` disables the image's healthcheck.
none_test(t) if t == "NONE"

none_test(t) if {
	is_array(t)
	t[0] == "NONE"
}

disabled(hc) if hc.disable == true

disabled(hc) if hc.disable == "true"

# defines_container(svc): the service definition says what to run (not only overrides).
defines_container(svc) if svc.image

defines_container(svc) if svc.build

defines_container(svc) if svc.extends
