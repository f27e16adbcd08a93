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

msgs(findings) := {f.msg | some f in findings}

test_one_ready_pod_is_singular if {
	some m in msgs(rule.deny) with input as deployment({"strategy": {"rollingUpdate": {"maxUnavailable": 1, "maxSurge": 1}}})
	contains(m, "may take 1 ready pod out of service")
	some n in msgs(rule.deny) with input as deployment({"strategy": {"rollingUpdate": {"maxUnavailable": 2, "maxSurge": 1}}})
	contains(n, "may take 2 ready pods out of service")
}

test_max_surge_message_names_the_real_max_unavailable if {
	some m in msgs(rule.deny) with input as deployment({"strategy": {"rollingUpdate": {"maxUnavailable": 0, "maxSurge": 0}}})
	contains(m, "with maxUnavailable 0 a rollout can never make progress")
	ms := msgs(rule.deny) with input as deployment({"strategy": {"rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}})
	some n in ms
	contains(n, "has maxSurge 0: with maxUnavailable 1 a rollout removes ready pods before their replacements start")
	every x in ms {
		not contains(x, "with maxUnavailable 0")
	}
}

rwo_deployment(replicas) := object.union(
	deployment({"strategy": {"rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}}}),
	{"spec": {"replicas": replicas, "template": {"spec": {
		"containers": [{"name": "app", "image": "app:1"}],
		"volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}],
	}}}},
)

rwo := {"data": [{"namespace": null, "accessModes": ["ReadWriteOnce"]}]}

test_single_replica_with_a_rwo_claim_is_told_to_use_a_statefulset if {
	d := object.union(rwo_deployment(1), {"spec": {"strategy": {"type": "Recreate"}}})
	some m in msgs(rule.deny) with input as d with data.tollgate.kubernetes.claims as rwo
	contains(m, "uses the Recreate strategy, which stops every pod before starting new ones; but it has one replica and mounts the ReadWriteOnce claim `data`")
	contains(m, "run it as a StatefulSet (or waive this finding with a reason)")
	not contains(m, "maxSurge")
}

test_rwo_advice_only_for_one_replica_and_a_rwo_claim if {
	d := object.union(rwo_deployment(3), {"spec": {"strategy": {"type": "Recreate"}}})
	some m in msgs(rule.deny) with input as d with data.tollgate.kubernetes.claims as rwo
	endswith(m, "use RollingUpdate with maxUnavailable: 0")
	one := object.union(rwo_deployment(1), {"spec": {"strategy": {"type": "Recreate"}}})
	some n in msgs(rule.deny) with input as one with data.tollgate.kubernetes.claims as {"data": [{"namespace": null, "accessModes": ["ReadWriteMany"]}]}
	endswith(n, "use RollingUpdate with maxUnavailable: 0")
	some o in msgs(rule.deny) with input as one
	endswith(o, "use RollingUpdate with maxUnavailable: 0")
}

test_rwo_claim_of_another_namespace_does_not_count if {
	d := object.union(rwo_deployment(1), {"metadata": {"namespace": "shop"}, "spec": {"strategy": {"type": "Recreate"}}})
	some m in msgs(rule.deny) with input as d with data.tollgate.kubernetes.claims as {"data": [{"namespace": "other", "accessModes": ["ReadWriteOnce"]}]}
	endswith(m, "use RollingUpdate with maxUnavailable: 0")
}

test_zero_unavailable_with_a_rwo_claim_and_one_replica_cannot_roll if {
	findings := rule.deny with input as rwo_deployment(1) with data.tollgate.kubernetes.claims as rwo
	paths(findings) == {["spec", "strategy", "rollingUpdate", "maxUnavailable"]}
	some f in findings
	contains(f.msg, "sets maxUnavailable: 0, which cannot roll: it has one replica and mounts the ReadWriteOnce claim `data`")
	count(rule.deny) == 0 with input as rwo_deployment(2) with data.tollgate.kubernetes.claims as rwo
	count(rule.deny) == 0 with input as rwo_deployment(1)
}
