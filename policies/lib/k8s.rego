# Kubernetes helpers shared by the built-in rules: where the pod templates and containers of a
# manifest are, as paths into `input` (so findings can point at them).
package tollgate.lib.k8s

import rego.v1

# Kinds whose pods run until stopped.
long_running_kinds := {"Deployment", "StatefulSet", "DaemonSet"}

# Kinds with a pod template at spec.template.
templated_kinds := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"}

# pod_specs: {"path": [...], "spec": PodSpec} for every pod template of the manifest.
pod_specs contains {"path": ["spec"], "spec": input.spec} if {
	input.kind == "Pod"
	is_object(input.spec)
}

pod_specs contains {"path": ["spec", "template", "spec"], "spec": input.spec.template.spec} if {
	input.kind in templated_kinds
	is_object(input.spec.template.spec)
}

pod_specs contains {"path": ["spec", "jobTemplate", "spec", "template", "spec"], "spec": spec} if {
	input.kind == "CronJob"
	spec := input.spec.jobTemplate.spec.template.spec
	is_object(spec)
}

# containers: {"path": [..., "containers", i], "container": {...}, "pod": pod_spec} (init containers excluded).
# Only mapping items of a list count: `containers:` left empty (null) or a stray scalar item is skipped
# (regorus, unlike OPA, raises an error on `some x in null`).
containers contains {"path": array.concat(ps.path, ["containers", i]), "container": c, "pod": ps} if {
	some ps in pod_specs
	some i, c in list_of(ps.spec, "containers")
	is_object(c)
}

# init_containers: as containers, for initContainers.
init_containers contains {"path": array.concat(ps.path, ["initContainers", i]), "container": c, "pod": ps} if {
	some ps in pod_specs
	some i, c in list_of(ps.spec, "initContainers")
	is_object(c)
}

# list_of(obj, key): obj[key] when it is a list, else [] (absent, null or mistyped).
list_of(obj, key) := obj[key] if is_array(obj[key])

else := []

# name(obj): the manifest's kind/name for messages.
name := sprintf("%s/%s", [input.kind, object.get(input, ["metadata", "name"], "<unnamed>")])
