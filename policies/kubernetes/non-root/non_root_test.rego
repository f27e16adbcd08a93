package tollgate.rules.kubernetes.non_root_test

import rego.v1

import data.tollgate.rules.kubernetes.non_root as rule

app := {"name": "app", "image": "ghcr.io/acme/app:1.0"}

sidecar := {"name": "sidecar", "image": "ghcr.io/acme/proxy:1.0"}

deployment(pod) := {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api"}, "spec": {"template": {"spec": pod}}}

with_sc(c, sc) := object.union(c, {"securityContext": sc})

paths(findings) := {f.path | some f in findings}

messages(findings) := concat("\n", [f.msg | some f in findings])

test_pod_run_as_non_root_passes if {
	count(rule.deny) == 0 with input as deployment({"securityContext": {"runAsNonRoot": true}, "containers": [app, sidecar]})
}

test_pod_non_zero_run_as_user_passes if {
	count(rule.deny) == 0 with input as deployment({"securityContext": {"runAsUser": 10001, "fsGroup": 2000}, "containers": [app]})
}

test_every_container_setting_it_passes if {
	pod := {"containers": [with_sc(app, {"runAsNonRoot": true}), with_sc(sidecar, {"runAsUser": 101})]}
	count(rule.deny) == 0 with input as deployment(pod)
}

test_nothing_set_is_reported_at_the_pod_spec if {
	paths(rule.deny) == {["spec", "template", "spec"]} with input as deployment({"containers": [app]})
}

test_one_container_missing_it_is_reported_and_named if {
	pod := {"containers": [with_sc(app, {"runAsNonRoot": true}), sidecar]}
	findings := rule.deny with input as deployment(pod)
	count(findings) == 1
	contains(messages(findings), "container `sidecar` sets neither")
	not contains(messages(findings), "`app`")
}

test_container_run_as_non_root_false_overrides_the_pod if {
	pod := {"securityContext": {"runAsNonRoot": true}, "containers": [app, with_sc(sidecar, {"runAsNonRoot": false})]}
	findings := rule.deny with input as deployment(pod)
	paths(findings) == {["spec", "template", "spec"]}
	contains(messages(findings), "`sidecar` sets runAsNonRoot: false")
}

test_container_run_as_non_root_false_is_not_rescued_by_a_pod_uid if {
	pod := {"securityContext": {"runAsUser": 1000}, "containers": [with_sc(app, {"runAsNonRoot": false})]}
	count(rule.deny) == 1 with input as deployment(pod)
}

test_container_run_as_non_root_false_with_its_own_uid_passes if {
	pod := {"containers": [with_sc(app, {"runAsNonRoot": false, "runAsUser": 1000})]}
	count(rule.deny) == 0 with input as deployment(pod)
}

test_container_run_as_user_zero_overrides_the_pod if {
	pod := {"securityContext": {"runAsNonRoot": true, "runAsUser": 1000}, "containers": [app, with_sc(sidecar, {"runAsUser": 0})]}
	findings := rule.deny with input as deployment(pod)
	count(findings) == 1
	contains(messages(findings), "`sidecar` sets runAsUser: 0")
}

test_pod_run_as_user_zero_is_root_even_with_run_as_non_root if {
	pod := {"securityContext": {"runAsNonRoot": true, "runAsUser": 0}, "containers": [app]}
	findings := rule.deny with input as deployment(pod)
	contains(messages(findings), "`app` inherits runAsUser: 0 from the pod")
}

test_container_uid_wins_over_pod_uid_zero if {
	pod := {"securityContext": {"runAsUser": 0}, "containers": [with_sc(app, {"runAsUser": 1000})]}
	count(rule.deny) == 0 with input as deployment(pod)
}

test_container_true_wins_over_pod_false if {
	pod := {"securityContext": {"runAsNonRoot": false}, "containers": [with_sc(app, {"runAsNonRoot": true})]}
	count(rule.deny) == 0 with input as deployment(pod)
}

test_pod_false_is_reported if {
	count(rule.deny) == 1 with input as deployment({"securityContext": {"runAsNonRoot": false}, "containers": [app]})
}

test_null_and_mistyped_values_are_unset if {
	pod := {"securityContext": {"runAsNonRoot": "true", "runAsUser": null}, "containers": [with_sc(app, null)]}
	count(rule.deny) == 1 with input as deployment(pod)
}

test_init_containers_count if {
	pod := {"securityContext": {"runAsNonRoot": true}, "initContainers": [{"name": "chown", "securityContext": {"runAsUser": 0}}], "containers": [app]}
	findings := rule.deny with input as deployment(pod)
	contains(messages(findings), "init container `chown` sets runAsUser: 0")
}

test_init_containers_can_be_excluded if {
	pod := {"initContainers": [{"name": "chown"}], "containers": [with_sc(app, {"runAsNonRoot": true})]}
	count(rule.deny) == 1 with input as deployment(pod)
	count(rule.deny) == 0 with input as deployment(pod) with data.tollgate.config["k8s-non-root"] as {"init_containers": false}
}

test_every_pod_template_kind_is_checked if {
	pod := {"containers": [app]}
	every kind in ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"] {
		paths(rule.deny) == {["spec", "template", "spec"]} with input as object.union(deployment(pod), {"kind": kind})
	}
}

test_cronjob_points_at_the_job_template_pod_spec if {
	cron := {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly"}, "spec": {"schedule": "@daily", "jobTemplate": {"spec": {"template": {"spec": {"containers": [app]}}}}}}
	paths(rule.deny) == {["spec", "jobTemplate", "spec", "template", "spec"]} with input as cron
}

test_bare_pod_points_at_spec if {
	paths(rule.deny) == {["spec"]} with input as {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [app]}}
}

test_unnamed_container_is_named_by_index if {
	contains(messages(rule.deny), "container #0") with input as deployment({"containers": [{"image": "x"}]})
}

test_other_kinds_are_ignored if {
	count(rule.deny) == 0 with input as {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"containers": "x"}}
}

test_null_and_scalar_containers_are_skipped if {
	count(rule.deny) == 0 with input as deployment({"securityContext": {"runAsNonRoot": true}, "initContainers": null, "containers": [app, "stray", null]})
	count(rule.deny) == 0 with input as deployment({"containers": null})
	paths(rule.deny) == {["spec", "template", "spec"]} with input as deployment({"initContainers": null, "containers": [app, "stray"]})
}
