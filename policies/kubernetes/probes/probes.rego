# METADATA
# title: Long-running containers declare readiness and liveness probes
# description: >-
#   Every container of a Deployment, StatefulSet, DaemonSet, DeploymentConfig or Rollout (the
#   `kinds` setting: any kind with a pod template) must declare a readinessProbe, so
#   that it receives traffic only once it can serve, and a livenessProbe, so that a hung process
#   is restarted. Init containers, Jobs, CronJobs and bare Pods are exempt.
# custom:
#   id: k8s-probes
#   severity: error
#   input: [kubernetes]
#   scope: document
#   settings:
#     kinds: [Deployment, StatefulSet, DaemonSet, DeploymentConfig, Rollout]
#     probes: [readinessProbe, livenessProbe]
#   schema:
#     kinds: {type: array, minItems: 1, items: {type: string, minLength: 1}}
#     probes:
#       type: array
#       minItems: 1
#       items: {enum: [readinessProbe, livenessProbe, startupProbe]}
package tollgate.rules.kubernetes.probes

import rego.v1

import data.tollgate.lib.k8s
import data.tollgate.lib.result

cfg := data.tollgate.config["k8s-probes"]

# One finding per container (init containers exempt), naming every required probe it lacks.
deny contains result.fail(c.path, msg) if {
	input.kind in cfg.kinds
	some c in k8s.input_containers
	missing := [p | some p in cfg.probes; not has_probe(c.container, p)]
	count(missing) > 0
	msg := sprintf(
		"container `%s` of %s has no %s; add %s",
		[k8s.container_name(c), k8s.name(input), concat(" and no ", missing), concat(", and ", [why(p) | some p in missing])],
	)
}

# A probe is declared when its key holds a mapping (`readinessProbe:` alone is null: missing).
has_probe(container, probe) if is_object(container[probe])

why(p) := "a readinessProbe so that traffic reaches it only once it is ready" if p == "readinessProbe"

else := "a livenessProbe so that a hung process is restarted" if p == "livenessProbe"

else := "a startupProbe so that a slow start is not mistaken for a hang" if p == "startupProbe"

else := sprintf("a %s", [p])
