# METADATA
# title: Every long-running compose service has a healthcheck
# description: >-
#   A compose service must define `healthcheck.test` (and not `disable: true`), so that
#   dependents can wait for it with `condition: service_healthy` and `docker compose up --wait`
#   knows when the stack is ready. Services that run to completion are exempt.
# custom:
#   id: compose-healthcheck
#   severity: error
#   input: [compose]
#   scope: project
#   settings:
#     oneshot: []
#   schema:
#     oneshot:
#       type: array
#       items: {type: string, minLength: 1}
package tollgate.rules.compose.healthcheck

import rego.v1

import data.tollgate.lib.compose
import data.tollgate.lib.result

# healthcheck.disable: true
deny contains result.fail_in(doc, ["services", name, "healthcheck", "disable"], msg) if {
	some doc in compose.compose_docs
	some name, svc in compose.services(doc.content)
	is_object(svc)
	compose.disabled(svc.healthcheck)
	not one_shot(doc, name)
	msg := sprintf("service `%s` disables its healthcheck; remove `disable: true` and define healthcheck.test so dependents can wait for it", [name])
}

# test: NONE / ["NONE"] also disables the image's HEALTHCHECK.
deny contains result.fail_in(doc, ["services", name, "healthcheck", "test"], msg) if {
	some doc in compose.compose_docs
	some name, svc in compose.services(doc.content)
	is_object(svc)
	not compose.disabled(svc.healthcheck)
	compose.none_test(svc.healthcheck.test)
	not one_shot(doc, name)
	msg := sprintf("service `%s` disables its healthcheck with test NONE; give it a real healthcheck.test so dependents can wait for it", [name])
}

# No healthcheck.test at all, in a stack where the service is long-running and no other file
# of the stack gives it one.
deny contains result.fail_in(doc, ["services", name], msg) if {
	some doc in compose.compose_docs
	some name, svc in compose.services(doc.content)
	is_object(svc)
	missing(svc)
	not svc.extends # the extended service may define it: unknown here
	not override_fragment(doc, name, svc)
	stack := unchecked_stack(doc, name)
	msg := sprintf("service `%s` has no healthcheck; add healthcheck.test (an image's HEALTHCHECK does not count) so dependents can wait for it with condition: service_healthy (it is long-running: %s)", [name, compose.long_running_reason(stack, name)])
}

# oneshot: service-name globs that run once and exit (test runners, migrations).
patterns := p if {
	p := data.tollgate.config["compose-healthcheck"].oneshot
	is_array(p)
} else := []

# unchecked_stack(doc, name): the first stack of the document's file in which the service is
# long-running and no other file gives it a healthcheck.
unchecked_stack(doc, name) := sts[0] if {
	sts := [st |
		some st in compose.stacks_of(doc.file)
		not healthy_elsewhere(st, doc, name)
		not compose.one_shot_reason(st, name, patterns)
	]
	count(sts) > 0
}

healthy_elsewhere(stack, doc, name) if {
	some other in compose.stack_docs(stack)
	other.file != doc.file
	compose.has_test(compose.services(other.content)[name])
}

missing(svc) if not svc.healthcheck

missing(svc) if {
	hc := svc.healthcheck
	not compose.disabled(hc)
	not hc.test
}

missing(svc) if {
	hc := svc.healthcheck
	not compose.disabled(hc)
	t := hc.test
	not compose.runs(t)
}

# The service runs once and exits in every stack of its file (see compose.one_shot_reason).
one_shot(doc, name) if {
	count([st |
		some st in compose.stacks_of(doc.file)
		not compose.one_shot_reason(st, name, patterns)
	]) == 0
}

# A partial definition (no image/build/extends) that another compose file of the folder
# completes: that file is where the finding belongs.
override_fragment(doc, name, svc) if {
	not compose.defines_container(svc)
	some other in compose.folder_docs(compose.folder(doc.file))
	other != doc
	compose.defines_container(compose.services(other.content)[name])
}
