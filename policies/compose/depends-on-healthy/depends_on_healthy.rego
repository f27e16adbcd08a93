# METADATA
# title: Services wait for their dependencies to be healthy
# description: >-
#   Every `depends_on` entry must use the long form with `condition: service_healthy` (or
#   `service_completed_successfully` for a run-to-completion dependency), and name a service
#   defined by a compose file of the same folder. The short form only waits for the
#   dependency's container to start, not for it to be ready.
# custom:
#   id: compose-depends-on-healthy
#   severity: error
#   input: [compose]
#   scope: project
#   settings:
#     allowed_conditions: [service_healthy, service_completed_successfully]
#   schema:
#     allowed_conditions:
#       type: array
#       items: {enum: [service_started, service_healthy, service_completed_successfully]}
package tollgate.rules.compose.depends_on_healthy

import rego.v1

import data.tollgate.lib.compose
import data.tollgate.lib.result

cfg := data.tollgate.config["compose-depends-on-healthy"]

allowed := {c | some c in cfg.allowed_conditions}

# Short (list) form: `depends_on: [db]` only waits for the container to start.
deny contains result.fail_in(doc, ["services", name, "depends_on", i], msg) if {
	some doc in compose.compose_docs
	some name, svc in compose.services(doc.content)
	is_object(svc)
	deps := svc.depends_on
	is_array(deps)
	some i, dep in deps
	is_string(dep)
	msg := short_form_msg(doc, name, dep)
}

short_form_msg(doc, name, dep) := sprintf("service `%s` depends on `%s`, which is defined in no compose file of this folder; fix the name or define the service", [name, dep]) if {
	unknown(doc, dep)
} else := sprintf("service `%s` depends on `%s` in the short form, which only waits for the container to start; %s", [name, dep, advice(doc, dep, sprintf("use `%s: {condition: service_healthy}`", [dep]))])

# Long form with a condition that does not wait for readiness.
deny contains result.fail_in(doc, ["services", name, "depends_on", dep, "condition"], msg) if {
	some doc in compose.compose_docs
	some name, svc in compose.services(doc.content)
	is_object(svc)
	deps := svc.depends_on
	is_object(deps)
	some dep, spec in deps
	is_object(spec)
	cond := spec.condition
	cond != null
	not cond in allowed
	msg := sprintf("service `%s` waits for `%s` with condition %v, which does not wait for it to be ready; %s", [name, dep, cond, advice(doc, dep, "use condition: service_healthy")])
}

# Long form without a condition (the default is service_started), or an unknown service.
deny contains result.fail_in(doc, ["services", name, "depends_on", dep], msg) if {
	some doc in compose.compose_docs
	some name, svc in compose.services(doc.content)
	is_object(svc)
	deps := svc.depends_on
	is_object(deps)
	some dep, spec in deps
	problems := array.concat(unknown_problem(doc, dep, spec), no_condition_problem(doc, dep, spec))
	count(problems) > 0
	msg := sprintf("service `%s` depends on `%s`, %s", [name, dep, concat("; and ", problems)])
}

unknown_problem(doc, dep, spec) := ["which is defined in no compose file of this folder: fix the name or define the service"] if {
	unknown(doc, dep)
	not optional(spec)
} else := []

no_condition_problem(doc, dep, spec) := [sprintf("without a condition (the default, service_started, does not wait for readiness): %s", [advice(doc, dep, "add condition: service_healthy")])] if {
	not has_condition(spec)
} else := []

# advice(doc, dep, fix): the fix, or, when no compose file of the document's stacks gives the
# dependency a healthcheck, to add one first: `condition: service_healthy` on a service
# without a healthcheck makes `docker compose up` fail.
advice(doc, dep, fix) := sprintf("`%s` has no healthcheck, and condition: service_healthy on it makes `docker compose up` fail: first add a healthcheck.test to `%s` (unless its image defines a HEALTHCHECK), then %s", [dep, dep, fix]) if {
	defined_in_stack(doc, dep)
	not healthy(doc, dep)
} else := fix

defined_in_stack(doc, dep) if {
	some st in compose.stacks_of(doc.file)
	count(compose.stack_definitions(st, dep)) > 0
}

healthy(doc, dep) if {
	some st in compose.stacks_of(doc.file)
	some d in compose.stack_definitions(st, dep)
	compose.has_test(d)
}

has_condition(spec) if {
	is_object(spec)
	spec.condition != null
}

# `required: false`: Compose accepts a dependency that is not defined.
optional(spec) if spec.required == false

# unknown(doc, dep): no compose file of the document's folder (or file they include) defines
# the service. When an include cannot be resolved the services are unknown, and nothing is said.
unknown(doc, dep) if {
	dir := compose.folder(doc.file)
	not dep in compose.folder_services(dir)
	not compose.unresolved_include(dir)
}
