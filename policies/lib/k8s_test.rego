package tollgate.lib.k8s_test

import rego.v1

import data.tollgate.lib.k8s

api := {"name": "api", "image": "ghcr.io/acme/api:1"}

sidecar := {"name": "proxy", "image": "envoy"}

migrate := {"name": "migrate", "image": "ghcr.io/acme/api:1"}

pod := {"initContainers": [migrate], "containers": [api, sidecar]}

workload(kind) := {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": "web"}, "spec": {"template": {"spec": pod}}}

cronjob := {
	"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "backup"},
	"spec": {"jobTemplate": {"spec": {"template": {"spec": pod}}}},
}

bare_pod := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": pod}

paths(xs) := {x.path | some x in xs}

# ---------------------------------------------------------------------------------------------
# pod_specs

test_pod_specs_of_every_templated_kind if {
	every kind in k8s.templated_kinds {
		k8s.pod_specs(workload(kind)) == {{"path": ["spec", "template", "spec"], "spec": pod}}
	}
}

test_pod_specs_of_a_pod if {
	k8s.pod_specs(bare_pod) == {{"path": ["spec"], "spec": pod}}
}

test_pod_specs_of_a_cronjob if {
	k8s.pod_specs(cronjob) == {{"path": ["spec", "jobTemplate", "spec", "template", "spec"], "spec": pod}}
}

test_pod_specs_of_other_kinds_are_empty if {
	k8s.pod_specs({"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "b"}}) == set()
	k8s.pod_specs({"apiVersion": "v1", "kind": "Service", "spec": {"ports": [{"port": 80}]}}) == set()
}

# Any kind: the template is found by its place (Argo Rollout, OpenShift DeploymentConfig, a
# custom workload with a CronJob-like jobTemplate).
test_pod_specs_of_any_workload_kind if {
	k8s.pod_specs(workload("Rollout")) == {{"path": ["spec", "template", "spec"], "spec": pod}}
	k8s.pod_specs(workload("DeploymentConfig")) == {{"path": ["spec", "template", "spec"], "spec": pod}}
	k8s.pod_specs(object.union(cronjob, {"kind": "ScheduledWorkflow"})) == {{"path": ["spec", "jobTemplate", "spec", "template", "spec"], "spec": pod}}
}

# A custom resource's `spec.template.spec` that lists no containers is not a pod.
test_pod_specs_of_other_templates_are_empty if {
	k8s.pod_specs({"kind": "Composition", "spec": {"template": {"spec": {"forProvider": {}}}}}) == set()
}

test_pod_specs_of_incomplete_manifests_are_empty if {
	k8s.pod_specs({"kind": "Deployment"}) == set()
	k8s.pod_specs({"kind": "Deployment", "spec": null}) == set()
	k8s.pod_specs({"kind": "Deployment", "spec": {"template": null}}) == set()
	k8s.pod_specs({"kind": "Deployment", "spec": {"template": {"spec": null}}}) == set()
	k8s.pod_specs({"kind": "Deployment", "spec": {"template": {"spec": ["not", "a", "mapping"]}}}) == set()
	k8s.pod_specs({"kind": "Pod", "spec": "oops"}) == set()
	k8s.pod_specs({"kind": "CronJob", "spec": {"jobTemplate": null}}) == set()
	k8s.pod_specs({"kind": "CronJob", "spec": {"template": {"spec": pod}}}) == set()
}

test_pod_specs_of_non_manifests_are_empty if {
	k8s.pod_specs(null) == set()
	k8s.pod_specs("Deployment") == set()
	k8s.pod_specs([workload("Deployment")]) == set()
	k8s.pod_specs({}) == set()
}

# ---------------------------------------------------------------------------------------------
# containers, init_containers

test_containers_have_their_path_container_and_pod if {
	ps := {"path": ["spec", "template", "spec"], "spec": pod}
	k8s.containers(workload("Deployment")) == {
		{"path": ["spec", "template", "spec", "containers", 0], "container": api, "pod": ps},
		{"path": ["spec", "template", "spec", "containers", 1], "container": sidecar, "pod": ps},
	}
}

test_init_containers_are_separate if {
	ps := {"path": ["spec", "template", "spec"], "spec": pod}
	k8s.init_containers(workload("StatefulSet")) == {{"path": ["spec", "template", "spec", "initContainers", 0], "container": migrate, "pod": ps}}
	every c in k8s.containers(workload("StatefulSet")) {
		c.container != migrate
	}
}

test_containers_of_a_pod_and_a_cronjob if {
	paths(k8s.containers(bare_pod)) == {["spec", "containers", 0], ["spec", "containers", 1]}
	paths(k8s.init_containers(bare_pod)) == {["spec", "initContainers", 0]}
	paths(k8s.containers(cronjob)) == {
		["spec", "jobTemplate", "spec", "template", "spec", "containers", 0],
		["spec", "jobTemplate", "spec", "template", "spec", "containers", 1],
	}
}

test_null_and_mistyped_container_lists_are_empty if {
	every list in [null, "api", {"name": "api"}, 3, []] {
		m := {"kind": "Deployment", "spec": {"template": {"spec": {"containers": list, "initContainers": list}}}}
		k8s.containers(m) == set()
		k8s.init_containers(m) == set()
	}
}

test_missing_container_lists_are_empty if {
	m := {"kind": "Pod", "spec": {}}
	k8s.containers(m) == set()
	k8s.init_containers(m) == set()
}

test_items_that_are_not_mappings_are_skipped_keeping_indices if {
	m := {"kind": "Pod", "spec": {"containers": [null, "api", api, ["x"], sidecar]}}
	paths(k8s.containers(m)) == {["spec", "containers", 2], ["spec", "containers", 4]}
}

# The rules over `input` answer what the functions answer for it, input by input.
test_input_rules_are_the_functions_of_input if {
	every m in [workload("Deployment"), cronjob, bare_pod, {"kind": "ConfigMap", "data": {}}, null] {
		k8s.input_pod_specs == k8s.pod_specs(m) with input as m
		k8s.input_containers == k8s.containers(m) with input as m
		k8s.input_init_containers == k8s.init_containers(m) with input as m
	}
	count(k8s.input_containers) == 2 with input as bare_pod
	count(k8s.input_init_containers) == 1 with input as cronjob
}

test_containers_of_non_manifests_are_empty if {
	k8s.containers(null) == set()
	k8s.init_containers(null) == set()
	k8s.containers({"kind": "ConfigMap", "data": {}}) == set()
	k8s.containers("Deployment") == set()
}

# ---------------------------------------------------------------------------------------------
# list_of, container_name, metadata_name, name

test_list_of_returns_lists_only if {
	k8s.list_of({"a": [1, 2]}, "a") == [1, 2]
	k8s.list_of({"a": []}, "a") == []
	k8s.list_of({"a": null}, "a") == []
	k8s.list_of({"a": {"b": 1}}, "a") == []
	k8s.list_of({"a": "x"}, "a") == []
	k8s.list_of({}, "a") == []
}

test_container_name_is_the_name_or_the_index if {
	k8s.container_name({"path": ["spec", "containers", 0], "container": api}) == "api"
	k8s.container_name({"path": ["spec", "containers", 3], "container": {"image": "x"}}) == "#3"
	k8s.container_name({"path": ["spec", "initContainers", 1], "container": {"name": 42}}) == "#1"
	k8s.container_name({"path": ["spec", "containers", 0], "container": {"name": null}}) == "#0"
}

test_container_name_of_listed_containers if {
	m := {"kind": "Pod", "spec": {"containers": [{"image": "x"}, api]}}
	{k8s.container_name(c) | some c in k8s.containers(m)} == {"#0", "api"}
}

test_metadata_name if {
	k8s.metadata_name(workload("Deployment")) == "web"
	k8s.metadata_name({"kind": "Deployment"}) == "<unnamed>"
	k8s.metadata_name({"kind": "Deployment", "metadata": {"labels": {}}}) == "<unnamed>"
}

test_name_is_kind_slash_name if {
	k8s.name(workload("Deployment")) == "Deployment/web"
	k8s.name(cronjob) == "CronJob/backup"
	k8s.name({"kind": "ConfigMap"}) == "ConfigMap/<unnamed>"
}

test_name_needs_a_kind if {
	not k8s.name({"metadata": {"name": "web"}})
}

test_long_running_kinds_have_pod_templates if {
	k8s.long_running_kinds == {"Deployment", "StatefulSet", "DaemonSet", "DeploymentConfig", "Rollout"}
	every kind in k8s.long_running_kinds {
		count(k8s.pod_specs(workload(kind))) == 1
	}
}
