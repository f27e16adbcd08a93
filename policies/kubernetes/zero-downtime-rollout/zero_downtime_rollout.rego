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
#   schema:
#     max_unavailable: {type: integer, minimum: 0}
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
		"%s uses the %v strategy, which stops every pod before starting new ones; %s",
		[k8s.name(input), strategy_type, advice("use RollingUpdate with maxUnavailable: 0")],
	)
}

deny contains result.fail(["spec", "strategy", "rollingUpdate", "maxUnavailable"], msg) if {
	input.kind == "Deployment"
	strategy_type == "RollingUpdate"
	value := object.get(input, ["spec", "strategy", "rollingUpdate", "maxUnavailable"], "25%")
	not within_limit(value)
	msg := sprintf(
		"%s may take %v out of service during a rollout (maxUnavailable: %v%s); %s",
		[k8s.name(input), ready_pods(value), value, default_note, advice(sprintf("set maxUnavailable: %v", [cfg.max_unavailable]))],
	)
}

ready_pods(v) := "1 ready pod" if v in {1, "1"}

else := sprintf("%v ready pods", [v])

deny contains result.fail(["spec", "strategy", "rollingUpdate", "maxSurge"], msg) if {
	input.kind == "Deployment"
	strategy_type == "RollingUpdate"
	value := object.get(input, ["spec", "strategy", "rollingUpdate", "maxSurge"], "25%")
	is_zero(value)
	unavailable := object.get(input, ["spec", "strategy", "rollingUpdate", "maxUnavailable"], "25%")
	msg := sprintf("%s has maxSurge %v: %s; %s", [k8s.name(input), value, surge_problem(unavailable), advice("set maxSurge to 1 or more")])
}

# maxUnavailable 0 on a single-replica Deployment with a ReadWriteOnce claim: the surge pod
# waits for the volume forever and the rollout never completes.
deny contains result.fail(["spec", "strategy", "rollingUpdate", "maxUnavailable"], msg) if {
	input.kind == "Deployment"
	strategy_type == "RollingUpdate"
	value := object.get(input, ["spec", "strategy", "rollingUpdate", "maxUnavailable"], "25%")
	within_limit(value)
	not is_zero(object.get(input, ["spec", "strategy", "rollingUpdate", "maxSurge"], "25%"))
	single_replica
	count(rwo_claims) > 0
	msg := sprintf("%s sets maxUnavailable: %v, which cannot roll: it has one replica and mounts the ReadWriteOnce claim `%s`, which a surge pod on another node cannot attach while the old pod holds it, so the rollout hangs; run it as a StatefulSet (or use Recreate and waive this finding with a reason)", [k8s.name(input), value, min(rwo_claims)])
}

surge_problem(unavailable) := sprintf("with maxUnavailable %v a rollout can never make progress", [unavailable]) if {
	is_zero(unavailable)
} else := sprintf("with maxUnavailable %v a rollout removes ready pods before their replacements start", [unavailable])

# ---------------------------------------------------------------------------------------------
# A single-replica Deployment that mounts a ReadWriteOnce claim cannot roll with zero downtime:
# a surge pod cannot attach the volume while the old pod holds it. The claims are those of the
# loaded manifests (data.tollgate.kubernetes.claims).

claims := c if {
	c := data.tollgate.kubernetes.claims
	is_object(c)
} else := {}

single_replica if not input.spec.replicas

single_replica if input.spec.replicas == 1

rwo_claims := {name |
	some ps in k8s.input_pod_specs
	some v in k8s.list_of(ps.spec, "volumes")
	is_object(v)
	name := v.persistentVolumeClaim.claimName
	is_string(name)
	some c in object.get(claims, name, [])
	same_namespace(c.namespace)
	some m in c.accessModes
	m in {"ReadWriteOnce", "ReadWriteOncePod"}
}

same_namespace(ns) if ns == null

same_namespace(ns) if not input.metadata.namespace

same_namespace(ns) if ns == input.metadata.namespace

# advice(fix): the fix, or for a single-replica Deployment with a ReadWriteOnce claim, why no
# strategy rolls it without downtime and what to do instead.
advice(fix) := sprintf("but it has one replica and mounts the ReadWriteOnce claim `%s`: a surge pod on another node cannot attach the volume while the old pod holds it, so no rollout strategy reliably avoids downtime here; run it as a StatefulSet (or waive this finding with a reason)", [min(rwo_claims)]) if {
	input.kind == "Deployment"
	single_replica
	count(rwo_claims) > 0
} else := fix

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
