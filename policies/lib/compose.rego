# Compose helpers shared by the built-in rules. `docker compose` merges some files into one
# stack (compose.yaml + compose.override.yaml, `include:`, `extends.file`, `COMPOSE_FILE` in a
# `.env`, stacks declared in .tollgate.yml): tollgate computes these stacks when it loads the
# files (`data.tollgate.compose.stacks`, see docs/inputs.md), and project-scope rules read a
# service together with the other files of its stacks. Folder helpers remain for rules that
# only need "is this name defined nearby".
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
	some dir in folders
}

# folders: the distinct folders of the compose documents (each folder's set is built once).
folders := {p[0] | some p in doc_folders}

# ---------------------------------------------------------------------------------------------
# Stacks

# compose_files: the files of the compose documents.
compose_files := {doc.file | some doc in compose_docs}

# stacks: lists of files `docker compose` merges into one project, as tollgate computed them
# (data.tollgate.compose.stacks); without that data (a unit test), each file is a stack alone.
stacks := s if {
	s := data.tollgate.compose.stacks
	is_array(s)
} else := [[f] | some f in compose_files]

# file_docs[file]: the compose documents of a file; through `input.files` (each file's
# positions in input.documents) when tollgate gives it, which is linear, where a comprehension
# per file over every document is quadratic.
file_docs[f] := {doc |
	some i in positions[f]
	doc := input.documents[i]
	doc.kind == "compose"
	is_object(doc.content)
} if {
	by_position
	some f in compose_files
}

file_docs[f] := {doc | some doc in compose_docs; doc.file == f} if {
	not by_position
	some f in compose_files
}

positions := object.get(input, "files", {})

by_position if count(positions) > 0

# stacks_of(file): the stacks a file is part of (at least itself): looked up in
# data.tollgate.compose.of when tollgate gives it (a partial rule looked up by key was
# re-evaluated per lookup over every stack: quadratic), else computed once, in file_stacks.
stacks_of(file) := s if {
	indexed
	s := [stacks[i] | some i in data.tollgate.compose.of[file]]
	count(s) > 0
} else := s if {
	not indexed
	s := file_stacks[file]
	count(s) > 0
} else := [[file]]

# Without the index (a unit test that replaces the stacks): every file's stacks, once.
file_stacks[f] := [st | some st in stacks; f in st] if some f in compose_files

# The index applies to data.tollgate.compose.stacks as tollgate computed them (a test that
# replaces the stacks without an index uses the comprehension).
indexed if {
	is_array(data.tollgate.compose.stacks)
	is_object(data.tollgate.compose.of)
	count(data.tollgate.compose.of) > 0
}

# stack_docs(stack): the compose documents of the files of a stack (a stack is a few files, each
# looked up in file_docs).
stack_docs(stack) := docs_of_files(stack)

docs_of_files(files) := {doc | some f in files; some doc in object.get(file_docs, f, set())}

# stack_definitions(stack, name): the definitions of service `name` in the files of a stack.
stack_definitions(stack, name) := [svc |
	some doc in stack_docs(stack)
	svc := services(doc.content)[name]
	is_object(svc)
]

# waiters(stack, name): [service, condition] pairs of the services of a stack that wait for
# `name` (the short list form waits for `service_started`).
waiters(stack, name) := {[w, cond] |
	some doc in stack_docs(stack)
	some w, svc in services(doc.content)
	is_object(svc)
	some cond in dep_conditions(svc, name)
}

dep_conditions(svc, name) := {"service_started"} if {
	is_array(svc.depends_on)
	name in svc.depends_on
}

dep_conditions(svc, name) := {condition(spec)} if {
	deps := svc.depends_on
	is_object(deps)
	spec := deps[name]
}

condition(spec) := spec.condition if {
	is_object(spec)
	is_string(spec.condition)
} else := "service_started"

# one_shot_reason(stack, name, patterns): why service `name` of a stack runs once and exits
# (undefined when it is long-running): another service waits for it to complete; it matches
# one of `patterns` (service-name globs); or it never restarts (`restart: "no"`, or no
# `restart` and `profiles:`) and no service waits for it to be started or healthy.
one_shot_reason(stack, name, patterns) := sprintf("`%s` waits for it to complete", [min(ws)]) if {
	ws := {w[0] | some w in waiters(stack, name); w[1] == "service_completed_successfully"}
	count(ws) > 0
} else := sprintf("it matches the oneshot pattern `%s`", [min(ps)]) if {
	ps := {p | some p in patterns; glob.match(p, [], name)}
	count(ps) > 0
} else := "it never restarts and no service waits for it to start" if {
	never_restarts(stack, name)
	not started_by_others(stack, name)
}

started_by_others(stack, name) if {
	some w in waiters(stack, name)
	w[1] in {"service_started", "service_healthy"}
}

never_restarts(stack, name) if {
	some svc in stack_definitions(stack, name)
	restart_no(svc.restart)
}

never_restarts(stack, name) if {
	defs := stack_definitions(stack, name)
	count([d | some d in defs; d.restart]) == 0
	count([d | some d in defs; d.restart == false]) == 0
	some d in defs
	is_array(d.profiles)
	count(d.profiles) > 0
}

restart_no(r) if r == "no"

restart_no(r) if r == false

# long_running_reason(stack, name): how a service was judged long-running, for messages.
long_running_reason(stack, name) := min(ws) if {
	ws := {sprintf("`%s` waits for it with %s", [w[0], w[1]]) |
		some w in waiters(stack, name)
		w[1] in {"service_started", "service_healthy"}
	}
	count(ws) > 0
} else := min(rs) if {
	rs := {sprintf("restart: %v", [svc.restart]) |
		some svc in stack_definitions(stack, name)
		not restart_no(svc.restart)
	}
	count(rs) > 0
} else := "nothing waits for it to complete and it does not set `restart: \"no\"`"

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
