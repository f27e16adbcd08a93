package tollgate.rules.kubernetes.probes_test

import rego.v1

import data.tollgate.rules.kubernetes.probes as rule

probe := {"httpGet": {"path": "/healthz", "port": 8080}}

ready := {"name": "api", "image": "ghcr.io/acme/api:1.0", "readinessProbe": probe, "livenessProbe": probe}

workload(kind, pod) := {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": "api"}, "spec": {"template": {"spec": pod}}}

paths(findings) := {f.path | some f in findings}

test_both_probes_pass if {
	count(rule.deny) == 0 with input as workload("Deployment", {"containers": [ready]})
}

test_missing_readiness_is_reported_at_the_container if {
	c := object.remove(ready, ["readinessProbe"])
	paths(rule.deny) == {["spec", "template", "spec", "containers", 1]} with input as workload("Deployment", {"containers": [ready, c]})
}

test_missing_liveness_is_reported if {
	c := object.remove(ready, ["livenessProbe"])
	some f in rule.deny with input as workload("StatefulSet", {"containers": [c]})
	contains(f.msg, "no livenessProbe")
	not contains(f.msg, "readinessProbe")
}

test_both_missing_is_one_finding_naming_both if {
	c := {"name": "worker", "image": "busybox"}
	findings := rule.deny with input as workload("DaemonSet", {"containers": [c]})
	count(findings) == 1
	some f in findings
	contains(f.msg, "`worker`")
	contains(f.msg, "readinessProbe and no livenessProbe")
	f.path == ["spec", "template", "spec", "containers", 0]
}

test_null_probe_is_missing if {
	c := object.union(ready, {"livenessProbe": null})
	count(rule.deny) == 1 with input as workload("Deployment", {"containers": [c]})
}

test_startup_probe_does_not_replace_readiness if {
	c := {"name": "api", "startupProbe": probe, "livenessProbe": probe}
	count(rule.deny) == 1 with input as workload("Deployment", {"containers": [c]})
}

test_init_containers_are_exempt if {
	pod := {"initContainers": [{"name": "migrate", "image": "migrate"}, {"name": "proxy", "restartPolicy": "Always"}], "containers": [ready]}
	count(rule.deny) == 0 with input as workload("Deployment", pod)
}

test_jobs_cronjobs_pods_and_replicasets_are_exempt if {
	bare := {"name": "task", "image": "busybox"}
	count(rule.deny) == 0 with input as workload("Job", {"containers": [bare]})
	count(rule.deny) == 0 with input as workload("ReplicaSet", {"containers": [bare]})
	count(rule.deny) == 0 with input as {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [bare]}}
	count(rule.deny) == 0 with input as {
		"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly"},
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [bare]}}}}},
	}
}

test_unnamed_container_is_named_by_index if {
	some f in rule.deny with input as workload("Deployment", {"containers": [ready, {"image": "x"}]})
	contains(f.msg, "`#1`")
}

test_other_kinds_are_ignored if {
	count(rule.deny) == 0 with input as {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api"}, "spec": {"ports": [{"port": 80}]}}
}

test_settings_can_require_a_startup_probe_too if {
	findings := rule.deny with input as workload("Deployment", {"containers": [ready]})
		with data.tollgate.config["k8s-probes"] as {"kinds": ["Deployment"], "probes": ["readinessProbe", "livenessProbe", "startupProbe"]}
	count(findings) == 1
	some f in findings
	contains(f.msg, "no startupProbe")
}

test_settings_can_add_kinds if {
	bare := {"name": "task", "image": "busybox"}
	count(rule.deny) == 1 with input as workload("ReplicaSet", {"containers": [bare]})
		with data.tollgate.config["k8s-probes"] as {"kinds": ["ReplicaSet"], "probes": ["readinessProbe"]}
}

test_null_and_scalar_containers_are_skipped if {
	count(rule.deny) == 0 with input as workload("Deployment", {"initContainers": null, "containers": [ready, "stray", null]})
	count(rule.deny) == 0 with input as workload("Deployment", {"containers": null})
}
