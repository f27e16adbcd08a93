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

# No healthcheck.test at all.
deny contains result.fail_in(doc, ["services", name], msg) if {
	some doc in compose.compose_docs
	some name, svc in compose.services(doc.content)
	is_object(svc)
	missing(svc)
	not svc.extends # the extended service may define it: unknown here
	not one_shot(doc, name)
	not defined_elsewhere(doc, name)
	not override_fragment(doc, name, svc)
	msg := sprintf("service `%s` has no healthcheck; add healthcheck.test (an image's HEALTHCHECK does not count) so dependents can wait for it with condition: service_healthy", [name])
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

# A service some other service waits for with `condition: service_completed_successfully` runs
# to completion (a migration, a seeder): it never becomes "healthy".
one_shot(doc, name) if name in compose.completion_targets(compose.folder(doc.file))

# Another compose file of the folder (an override) gives the service its healthcheck.
defined_elsewhere(doc, name) if {
	some other in compose.folder_docs(compose.folder(doc.file))
	other.file != doc.file
	compose.has_test(compose.services(other.content)[name])
}

# A partial definition (no image/build/extends) that another compose file of the folder
# completes: that file is where the finding belongs.
override_fragment(doc, name, svc) if {
	not compose.defines_container(svc)
	some other in compose.folder_docs(compose.folder(doc.file))
	other != doc
	compose.defines_container(compose.services(other.content)[name])
}
