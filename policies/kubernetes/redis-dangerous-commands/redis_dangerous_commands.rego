# METADATA
# title: Redis disables FLUSHDB and FLUSHALL
# description: >-
#   A redis.conf in a ConfigMap must disable the commands that wipe the data set, with
#   `rename-command FLUSHDB ""` and `rename-command FLUSHALL ""`, so that a stray client or a
#   mistyped command cannot erase every key.
# custom:
#   id: redis-dangerous-commands
#   severity: error
#   input: [kubernetes]
#   scope: document
#   settings:
#     commands: [FLUSHDB, FLUSHALL]
#   schema:
#     commands: {type: array, minItems: 1, items: {type: string, minLength: 1}}
package tollgate.rules.kubernetes.redis_dangerous_commands

import rego.v1

import data.tollgate.lib.k8s
import data.tollgate.lib.redis
import data.tollgate.lib.result

cfg := data.tollgate.config["redis-dangerous-commands"]

# Commands renamed to "" by any redis.conf text of the ConfigMap (Bitnami-style ConfigMaps put
# them in master.conf / replica.conf next to redis.conf).
disabled contains upper(d.args[0]) if {
	some c in redis.configmap_confs
	some d in c.directives
	d.name == "rename-command"
	count(d.args) == 2
	d.args[1] == ""
}

missing := [upper(cmd) | some cmd in cfg.commands; not upper(cmd) in disabled]

# One finding per redis.conf text, listing every command still enabled.
deny contains result.fail(["data", key], msg) if {
	input.kind == "ConfigMap" # first: the rest is not cheap on other manifests
	count(missing) > 0
	not redis.configmap_includes
	some key in redis.primary_conf_keys
	renames := concat(" and ", [sprintf("`rename-command %s \"\"`", [cmd]) | some cmd in missing])
	msg := sprintf("ConfigMap/%s %s leaves %s enabled, so any client can wipe the data set; add %s", [
		k8s.metadata_name(input), key, concat(" and ", missing), renames,
	])
}
