# METADATA
# title: Deployments roll out with zero downtime
# description: >-
#   A Deployment must use the RollingUpdate strategy with maxUnavailable 0 and a non-zero
#   maxSurge, so that no ready pod is removed before its replacement is ready.
# custom:
#   id: k8s-zero-downtime-rollout
#   severity: error
#   input: [kubernetes]
#   settings:
#     max_unavailable: 0
package tollgate.rules.kubernetes.zero_downtime_rollout

import rego.v1

import data.tollgate.lib.k8s
import data.tollgate.lib.result

cfg := data.tollgate.config["k8s-zero-downtime-rollout"]

strategy_type := object.get(input, ["spec", "strategy", "type"], "RollingUpdate")

deny contains result.fail(["spec", "strategy", "type"], msg) if {
	input.kind == "Deployment"
	strategy_type != "RollingUpdate"
	msg := sprintf(
		"%s uses the %v strategy, which stops every pod before starting new ones; use RollingUpdate with maxUnavailable: 0",
		[k8s.name(input), strategy_type],
	)
}

deny contains result.fail(["spec", "strategy", "rollingUpdate", "maxUnavailable"], msg) if {
	input.kind == "Deployment"
	strategy_type == "RollingUpdate"
	value := object.get(input, ["spec", "strategy", "rollingUpdate", "maxUnavailable"], "25%")
	not within_limit(value)
	msg := sprintf(
		"%s may take %v ready pods out of service during a rollout (maxUnavailable: %v%s); set maxUnavailable: %v",
		[k8s.name(input), value, value, default_note, cfg.max_unavailable],
	)
}

deny contains result.fail(["spec", "strategy", "rollingUpdate", "maxSurge"], msg) if {
	input.kind == "Deployment"
	strategy_type == "RollingUpdate"
	value := object.get(input, ["spec", "strategy", "rollingUpdate", "maxSurge"], "25%")
	is_zero(value)
	msg := sprintf("%s has maxSurge %v: with maxUnavailable 0 a rollout can never make progress; set maxSurge to 1 or more", [k8s.name(input), value])
}

default_note := ", the default when it is not set" if {
	not input.spec.strategy.rollingUpdate.maxUnavailable
} else := ""

within_limit(v) if is_zero(v)

within_limit(v) if {
	is_number(v)
	v <= cfg.max_unavailable
}

is_zero(v) if v == 0

is_zero(v) if v in {"0", "0%"}
