# Kubernetes helpers shared by the built-in rules: where the pod templates and containers of a
# manifest are, as paths into the manifest (so findings can point at them).
#
# Every helper is a function of the manifest object: project-scope rules pass a document's
# `content` (an element of `input.documents`). Functions are not cached like rules (regorus
# evaluates a call each time): per-document rules use the rules `input_pod_specs`,
# `input_containers` and `input_init_containers`, evaluated once per evaluation.
package tollgate.lib.k8s

import rego.v1

# Kinds whose pods run until stopped (OpenShift DeploymentConfig and Argo Rollout included).
long_running_kinds := {"Deployment", "StatefulSet", "DaemonSet", "DeploymentConfig", "Rollout"}

# Kinds with a pod template at spec.template.
templated_kinds := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"}

# pod_specs(obj): {"path": [...], "spec": PodSpec} for every pod template of the manifest
# (a set; empty when obj is not a manifest with a pod template). The template is found by its
# place, whatever the kind (an Argo Rollout, an OpenShift DeploymentConfig, a custom
# workload): a Pod's `spec`, `spec.template.spec`, or `spec.jobTemplate.spec.template.spec`.
# For kinds outside the built-in ones, the template must list `containers`, so that a
# custom resource's unrelated `spec.template` is not read as a pod.
pod_specs(obj) := {{"path": ["spec"], "spec": obj.spec} |
	is_object(obj)
	obj.kind == "Pod"
	is_object(obj.spec)
} | {{"path": ["spec", "template", "spec"], "spec": spec} |
	is_object(obj)
	not obj.kind in {"Pod", "CronJob"}
	spec := obj.spec.template.spec
	pod_template(obj.kind, spec)
} | {{"path": ["spec", "jobTemplate", "spec", "template", "spec"], "spec": spec} |
	is_object(obj)
	obj.kind != "Pod"
	spec := obj.spec.jobTemplate.spec.template.spec
	pod_template(obj.kind, spec)
}

pod_template(kind, spec) if {
	is_object(spec)
	kind in templated_kinds | {"CronJob"}
}

pod_template(kind, spec) if {
	is_object(spec)
	not kind in templated_kinds | {"CronJob"}
	is_array(spec.containers)
}

# containers(obj): {"path": [..., "containers", i], "container": {...}, "pod": pod_spec} for every
# container of the manifest's pod templates (init containers excluded), as a set. Only mapping
# items of a list count: `containers:` left empty (null) or a stray scalar item is skipped
# (regorus, unlike OPA, raises an error on `some x in null`).
containers(obj) := containers_at(obj, "containers")

# init_containers(obj): as containers, for initContainers.
init_containers(obj) := containers_at(obj, "initContainers")

containers_at(obj, key) := containers_in(pod_specs(obj), key)

containers_in(specs, key) := {{"path": array.concat(ps.path, [key, i]), "container": c, "pod": ps} |
	some ps in specs
	some i, c in list_of(ps.spec, key)
	is_object(c)
}

# input_pod_specs, input_containers, input_init_containers: pod_specs, containers and
# init_containers of `input`, as rules: a rule is evaluated once per evaluation, where each
# call of a function is evaluated again (a rule that used the containers and the init
# containers computed the pod templates three times).
input_pod_specs := pod_specs(input)

input_containers := containers_in(input_pod_specs, "containers")

input_init_containers := containers_in(input_pod_specs, "initContainers")

# list_of(obj, key): obj[key] when it is a list, else [] (absent, null or mistyped).
list_of(obj, key) := obj[key] if is_array(obj[key])

else := []

# container_name(c): how messages name an element of containers/init_containers: its `name`,
# else "#i" (its index in the list).
container_name(c) := c.container.name if is_string(c.container.name)

else := sprintf("#%d", [c.path[count(c.path) - 1]])

# metadata_name(obj): the manifest's metadata.name, "<unnamed>" when absent.
metadata_name(obj) := object.get(obj, ["metadata", "name"], "<unnamed>")

# name(obj): the manifest's kind/name for messages ("Deployment/api"); undefined without a kind.
name(obj) := sprintf("%s/%s", [obj.kind, metadata_name(obj)])
