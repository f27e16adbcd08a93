package tollgate.rules.kubernetes.resources_test

import rego.v1

import data.tollgate.rules.kubernetes.resources as rule

full := {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}}

container(name, resources) := {"name": name, "image": "ghcr.io/acme/app:1.0", "resources": resources}

deployment(pod) := {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api"}, "spec": {"template": {"spec": pod}}}

paths(findings) := {f.path | some f in findings}

messages(findings) := concat("\n", [f.msg | some f in findings])

test_requests_and_memory_limit_pass if {
	count(rule.deny) == 0 with input as deployment({"containers": [container("app", full)]})
}

test_cpu_limit_is_not_required if {
	r := object.union(full, {"limits": {"memory": "256Mi", "cpu": "500m"}})
	count(rule.deny) == 0 with input as deployment({"containers": [container("app", r)]})
}

test_numbers_are_quantities if {
	r := {"requests": {"cpu": 1, "memory": 134217728}, "limits": {"memory": 268435456}}
	count(rule.deny) == 0 with input as deployment({"containers": [container("app", r)]})
}

test_no_resources_is_one_finding_listing_everything if {
	findings := rule.deny with input as deployment({"containers": [container("app", full), {"name": "sidecar", "image": "envoy"}]})
	paths(findings) == {["spec", "template", "spec", "containers", 1]}
	contains(messages(findings), "container `sidecar` of Deployment/api has no cpu request, memory request or memory limit")
}

test_missing_memory_limit_only if {
	r := {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "1"}}
	findings := rule.deny with input as deployment({"containers": [container("app", r)]})
	count(findings) == 1
	contains(messages(findings), "has no memory limit; set resources.limits.memory")
}

test_limits_without_requests_are_reported if {
	r := {"limits": {"cpu": "1", "memory": "1Gi"}}
	contains(messages(rule.deny), "no cpu request or memory request; set resources.requests.cpu and resources.requests.memory") with input as deployment({"containers": [container("app", r)]})
}

test_null_empty_and_zero_are_missing if {
	r := {"requests": {"cpu": null, "memory": "0"}, "limits": {"memory": ""}}
	contains(messages(rule.deny), "no cpu request, memory request or memory limit; set resources.requests.cpu, resources.requests.memory and resources.limits.memory") with input as deployment({"containers": [container("app", r)]})
	contains(messages(rule.deny), "no cpu request") with input as deployment({"containers": [container("app", {"requests": {"cpu": 0, "memory": "1Gi"}, "limits": {"memory": "1Gi"}})]})
	count(rule.deny) == 1 with input as deployment({"containers": [container("app", null)]})
}

test_zero_quantities_with_units_are_missing if {
	r := {"requests": {"cpu": "0m", "memory": "0Mi"}, "limits": {"memory": " 0.0 "}}
	contains(messages(rule.deny), "no cpu request, memory request or memory limit") with input as deployment({"containers": [container("app", r)]})
}

test_fractional_and_placeholder_quantities_are_set if {
	r := {"requests": {"cpu": "0.5", "memory": "${MEMORY}"}, "limits": {"memory": 1.5e9}}
	count(rule.deny) == 0 with input as deployment({"containers": [container("app", r)]})
	r2 := {"requests": {"cpu": ".25", "memory": "1e9"}, "limits": {"memory": "+512Mi"}}
	count(rule.deny) == 0 with input as deployment({"containers": [container("app", r2)]})
}

# A letters-only placeholder counts as set, as the README says (not as a zero "0" + unit).
test_letters_only_placeholders_are_set if {
	r := {"requests": {"cpu": "TBD", "memory": "tbd"}, "limits": {"memory": "CHANGEME"}}
	count(rule.deny) == 0 with input as deployment({"containers": [container("app", r)]})
	r2 := {"requests": {"cpu": ".0", "memory": "00Ki"}, "limits": {"memory": "  "}}
	contains(messages(rule.deny), "no cpu request, memory request or memory limit") with input as deployment({"containers": [container("app", r2)]})
}

test_init_containers_are_checked if {
	pod := {"initContainers": [{"name": "migrate", "image": "m"}], "containers": [container("app", full)]}
	findings := rule.deny with input as deployment(pod)
	paths(findings) == {["spec", "template", "spec", "initContainers", 0]}
	contains(messages(findings), "init container `migrate`")
}

test_init_containers_can_be_exempted if {
	pod := {"initContainers": [{"name": "migrate", "image": "m"}], "containers": [container("app", full)]}
	count(rule.deny) == 0 with input as deployment(pod)
		with data.tollgate.config["k8s-resources"] as {"requests": ["cpu", "memory"], "limits": ["memory"], "init_containers": false}
}

test_pod_level_resources_count if {
	pod := {"resources": {"requests": {"cpu": "1"}, "limits": {"memory": "1Gi"}}, "containers": [container("app", {"requests": {"memory": "512Mi"}})]}
	count(rule.deny) == 0 with input as deployment(pod)
}

test_cronjob_container_is_reported if {
	cron := {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly"}, "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "job"}]}}}}}}
	paths(rule.deny) == {["spec", "jobTemplate", "spec", "template", "spec", "containers", 0]} with input as cron
}

test_every_pod_template_kind_is_checked if {
	every kind in ["StatefulSet", "DaemonSet", "ReplicaSet", "Job"] {
		count(rule.deny) == 1 with input as object.union(deployment({"containers": [{"name": "x"}]}), {"kind": kind})
	}
	paths(rule.deny) == {["spec", "containers", 0]} with input as {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "x"}]}}
}

test_unnamed_container_is_named_by_index if {
	contains(messages(rule.deny), "container `#0`") with input as deployment({"containers": [{"image": "x"}]})
}

test_settings_can_require_a_cpu_limit if {
	findings := rule.deny with input as deployment({"containers": [container("app", full)]})
		with data.tollgate.config["k8s-resources"] as {"requests": ["cpu", "memory"], "limits": ["memory", "cpu"], "init_containers": true}
	contains(messages(findings), "has no cpu limit; set resources.limits.cpu")
}

test_other_kinds_are_ignored if {
	count(rule.deny) == 0 with input as {"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "l"}, "spec": {"limits": [{"type": "Container"}]}}
}

test_null_and_scalar_containers_are_skipped if {
	count(rule.deny) == 0 with input as deployment({"initContainers": null, "containers": [container("app", full), "stray", null]})
	count(rule.deny) == 0 with input as deployment({"containers": null})
}
