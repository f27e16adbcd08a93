# METADATA
# title: Pods run as a non-root user
# description: >-
#   Every pod template must make all its containers run as a non-root user: the pod's
#   securityContext sets runAsNonRoot: true or a non-zero runAsUser, or every container sets one
#   of them itself, and no container overrides it with runAsNonRoot: false or runAsUser: 0.
# custom:
#   id: k8s-non-root
#   severity: error
#   input: [kubernetes]
#   scope: document
#   settings:
#     init_containers: true
#   schema:
#     init_containers: {type: boolean}
package tollgate.rules.kubernetes.non_root

import rego.v1

import data.tollgate.lib.k8s
import data.tollgate.lib.result

cfg := data.tollgate.config["k8s-non-root"]

# One finding per pod template (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job,
# CronJob, ReplicationController), at its PodSpec, naming every container that may run as root.
deny contains result.fail(ps.path, msg) if {
	some ps in k8s.input_pod_specs
	psc := object.get(ps.spec, "securityContext", {})
	reasons := [r |
		some entry in checked(ps.spec)
		r := reason(entry.label, object.get(entry.c, "securityContext", {}), psc)
	]
	count(reasons) > 0
	msg := sprintf(
		"%s may run containers as root: %s; set securityContext.runAsNonRoot: true (and a non-zero runAsUser) in the pod spec, and do not override it per container",
		[k8s.name(input), concat("; ", reasons)],
	)
}

# The containers checked, init containers first (they run first), each with a label for messages.
# A list left empty (null) and items that are not mappings are skipped.
checked(spec) := array.concat(
	[{"c": c, "label": label("init container", c, i)} | cfg.init_containers == true; some i, c in k8s.list_of(spec, "initContainers"); is_object(c)],
	[{"c": c, "label": label("container", c, i)} | some i, c in k8s.list_of(spec, "containers"); is_object(c)],
)

label(what, c, _) := sprintf("%s `%s`", [what, c.name]) if is_string(c.name)

label(what, c, i) := sprintf("%s #%d", [what, i]) if not is_string(object.get(c, "name", null))

# A setting counts only when written with the right type: a number for runAsUser, a boolean for
# runAsNonRoot (null, as in `runAsUser:` alone, is unset).
uid(sc) := sc.runAsUser if {
	is_object(sc)
	is_number(sc.runAsUser)
}

non_root(sc) := sc.runAsNonRoot if {
	is_object(sc)
	is_boolean(sc.runAsNonRoot)
}

# Why a container may run as root, from its securityContext `csc` and the pod's `psc`;
# undefined when it runs as non-root. runAsUser decides when set (the container's wins);
# an explicit container-level runAsNonRoot: false is not rescued by the pod's settings.
reason(label, csc, psc) := sprintf("%s sets runAsUser: 0", [label]) if {
	uid(csc) == 0
} else := sprintf("%s inherits runAsUser: 0 from the pod", [label]) if {
	not uid(csc)
	uid(psc) == 0
} else := sprintf("%s sets runAsNonRoot: false", [label]) if {
	not uid(csc)
	non_root(csc) == false
} else := sprintf("%s sets neither runAsNonRoot: true nor a non-zero runAsUser", [label]) if {
	not uid(csc)
	not uid(psc)
	not effective_non_root(csc, psc)
}

# runAsNonRoot as the container sees it: its own setting, else the pod's.
effective_non_root(csc, _) if non_root(csc) == true

effective_non_root(csc, psc) if {
	not non_root(csc)
	non_root(psc) == true
}
