package tollgate.rules.kubernetes.zero_downtime_rollout_test

import rego.v1

import data.tollgate.rules.kubernetes.zero_downtime_rollout as rule

deployment(strategy) := {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api"}, "spec": object.union({"replicas": 2}, strategy)}

paths(findings) := {f.path | some f in findings}

test_rolling_update_with_zero_unavailable_passes if {
	count(rule.deny) == 0 with input as deployment({"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}}})
}

test_percent_zero_passes if {
	count(rule.deny) == 0 with input as deployment({"strategy": {"rollingUpdate": {"maxUnavailable": "0%", "maxSurge": "25%"}}})
}

test_missing_strategy_is_the_25_percent_default if {
	paths(rule.deny) == {["spec", "strategy", "rollingUpdate", "maxUnavailable"]} with input as deployment({})
}

test_recreate_is_reported_at_the_type if {
	paths(rule.deny) == {["spec", "strategy", "type"]} with input as deployment({"strategy": {"type": "Recreate"}})
}

test_non_zero_unavailable_is_reported if {
	paths(rule.deny) == {["spec", "strategy", "rollingUpdate", "maxUnavailable"]} with input as deployment({"strategy": {"rollingUpdate": {"maxUnavailable": 1, "maxSurge": 1}}})
}

test_zero_surge_is_reported if {
	paths(rule.deny) == {["spec", "strategy", "rollingUpdate", "maxSurge"]} with input as deployment({"strategy": {"rollingUpdate": {"maxUnavailable": 0, "maxSurge": 0}}})
}

test_setting_allows_one_unavailable if {
	count(rule.deny) == 0 with input as deployment({"strategy": {"rollingUpdate": {"maxUnavailable": 1, "maxSurge": 1}}})
		with data.tollgate.config["k8s-zero-downtime-rollout"] as {"max_unavailable": 1}
}

test_other_kinds_are_ignored if {
	count(rule.deny) == 0 with input as {"apiVersion": "apps/v1", "kind": "StatefulSet", "spec": {}}
}
