# METADATA
# title: Containers declare cpu and memory requests and a memory limit
# description: >-
#   Every container of a pod template must request cpu and memory, so that the scheduler reserves
#   what it needs, and limit its memory, so that a leak kills the container rather than starving
#   its node.
# custom:
#   id: k8s-resources
#   severity: error
#   input: [kubernetes]
#   scope: document
#   settings:
#     requests: [cpu, memory]
#     limits: [memory]
#     init_containers: true
#   schema:
#     requests: {type: array, items: {type: string, minLength: 1}}
#     limits: {type: array, items: {type: string, minLength: 1}}
#     init_containers: {type: boolean}
package tollgate.rules.kubernetes.resources

import rego.v1

import data.tollgate.lib.k8s
import data.tollgate.lib.result

cfg := data.tollgate.config["k8s-resources"]

# The containers checked: every pod template's containers, and its init containers.
checked contains {"c": c, "what": "container"} if some c in k8s.input_containers

checked contains {"c": c, "what": "init container"} if {
	cfg.init_containers == true
	some c in k8s.input_init_containers
}

# One finding per container, listing everything it lacks.
deny contains result.fail(entry.c.path, msg) if {
	some entry in checked
	missing := array.concat(
		[{"kind": "requests", "resource": r} | some r in cfg.requests; not declared(entry.c, "requests", r)],
		[{"kind": "limits", "resource": r} | some r in cfg.limits; not declared(entry.c, "limits", r)],
	)
	count(missing) > 0
	msg := sprintf(
		"%s `%s` of %s has no %s; set %s",
		[
			entry.what, k8s.container_name(entry.c), k8s.name(input),
			joined([sprintf("%s %s", [m.resource, noun[m.kind]]) | some m in missing], "or"),
			joined([sprintf("resources.%s.%s", [m.kind, m.resource]) | some m in missing], "and"),
		],
	)
}

noun := {"requests": "request", "limits": "limit"}

# A quantity is declared when it is set and not zero, on the container or, with pod-level
# resources (spec.resources), on the pod.
declared(c, kind, r) if quantity(c.container.resources[kind][r])

declared(c, kind, r) if quantity(c.pod.spec.resources[kind][r])

quantity(q) if {
	is_number(q)
	q > 0
}

# Any string but an empty or zero one ("0", "0m", "0Mi", "0.0"): placeholders such as `${CPU}`
# or a letters-only `TBD` count as set.
quantity(q) if {
	is_string(q)
	trim_space(q) != ""
	not regex.match(`^\s*\+?(0+(\.0*)?|\.0+)[a-zA-Z]*\s*$`, q)
}

# "a", "a or b", "a, b or c"
joined(items, _) := items[0] if count(items) == 1

joined(items, word) := sprintf("%s %s %s", [concat(", ", array.slice(items, 0, count(items) - 1)), word, items[count(items) - 1]]) if {
	count(items) > 1
}
