# METADATA
# title: Redis persists its data with AOF and RDB snapshots
# description: >-
#   A Redis server must run with the append-only file on (`appendonly yes`), fsync it every
#   second or on every write, and keep RDB snapshots (no `save ""`), so a restart does not lose
#   the data set. Checks redis.conf text in ConfigMaps and redis-server command lines in
#   Kubernetes containers and compose services, and Redis images run with their default
#   command (the default configuration does not persist).
# custom:
#   id: redis-persistence
#   severity: error
#   input: [kubernetes, compose]
#   scope: document
#   settings:
#     appendfsync_allowed: [everysec, always]
#   schema:
#     appendfsync_allowed:
#       type: array
#       minItems: 1
#       items: {enum: [always, everysec, "no"]}
package tollgate.rules.kubernetes.redis_persistence

import rego.v1

import data.tollgate.lib.image
import data.tollgate.lib.k8s
import data.tollgate.lib.redis
import data.tollgate.lib.result

cfg := data.tollgate.config["redis-persistence"]

fsync_allowed := {lower(v) | some v in cfg.appendfsync_allowed}

# ---------------------------------------------------------------------------------------------
# redis.conf text in ConfigMaps: findings on the directive's line inside the text.

cm := k8s.metadata_name(input)

deny contains result.fail_with(["data", c.key], msg, {"text_line": d.line}) if {
	input.kind == "ConfigMap" # first: cheap, and nothing below applies to other manifests
	some c in redis.configmap_confs
	d := redis.last(c.directives, "appendonly")
	redis.arg0(d) != "yes"
	msg := sprintf("ConfigMap/%s %s sets `appendonly %s`: the append-only file is off and up to the last snapshot of writes is lost on restart; set `appendonly yes`", [cm, c.key, concat(" ", d.args)])
}

deny contains result.fail(["data", key], msg) if {
	input.kind == "ConfigMap"
	not any_appendonly
	not redis.configmap_includes
	some key in redis.primary_conf_keys
	msg := sprintf("ConfigMap/%s %s does not set appendonly, which defaults to `no`: the append-only file is off; add `appendonly yes`", [cm, key])
}

any_appendonly if {
	some c in redis.configmap_confs
	redis.last(c.directives, "appendonly")
}

deny contains result.fail_with(["data", c.key], msg, {"text_line": d.line}) if {
	input.kind == "ConfigMap" # first: cheap, and nothing below applies to other manifests
	some c in redis.configmap_confs
	d := redis.last(c.directives, "appendfsync")
	not redis.arg0(d) in fsync_allowed
	msg := sprintf("ConfigMap/%s %s sets `appendfsync %s`: the append-only file is not synced to disk regularly; use %s", [cm, c.key, concat(" ", d.args), allowed_text])
}

deny contains result.fail_with(["data", c.key], msg, {"text_line": d.line}) if {
	input.kind == "ConfigMap" # first: cheap, and nothing below applies to other manifests
	some c in redis.configmap_confs
	d := redis.last(c.directives, "save")
	redis.save_disables(d)
	msg := sprintf("ConfigMap/%s %s disables RDB snapshots with `save \"\"`: keep snapshots (e.g. `save 3600 1 300 100 60 10000`) as a second copy of the data", [cm, c.key])
}

allowed_text := concat(" or ", [sprintf("`appendfsync %s`", [v]) | some v in cfg.appendfsync_allowed])

# ---------------------------------------------------------------------------------------------
# redis-server command lines: Kubernetes containers (command + args) and compose services
# (entrypoint + command). One finding per field, listing every problem found there.

# launches: {"base": path to the container or service, "what": its name for messages,
# "tokens": the command line as {"s", "key"} tokens, "default_field": where a missing flag is
# reported (args if the container has args, else command), "image"}.
launches contains l if {
	input.kind
	input.apiVersion
	some c in k8s.input_containers | k8s.input_init_containers
	may_run_redis(c.container, "command", "args")
	toks := array.concat(
		redis.tokens(object.get(c.container, "command", []), "command"),
		redis.tokens(object.get(c.container, "args", []), "args"),
	)
	l := {
		"base": c.path,
		"what": sprintf("container `%s` of %s", [object.get(c.container, "name", "?"), k8s.name(input)]),
		"tokens": toks,
		"default_field": default_k8s_field(c.container),
		"image": object.get(c.container, "image", ""),
	}
}

# may_run_redis(x, a, b): a cheap necessary condition for a container or service (fields a and b
# holding its command line) to launch redis-server (see redis.invocation): its image names redis
# or its command line mentions `redis-server`. Tokenizing every command line of every manifest
# was most of this rule's time on repositories without Redis.
may_run_redis(x, _, _) if mentions(object.get(x, "image", ""), "redis")

may_run_redis(x, a, _) if mentions(object.get(x, a, []), "redis-server")

may_run_redis(x, _, b) if mentions(object.get(x, b, []), "redis-server")

# mentions(v, word): the string v, or a string item of the list v, contains word (lower-cased
# for an image, whose name is compared lower-cased).
mentions(v, word) if {
	is_string(v)
	contains(lower(v), word)
}

mentions(v, word) if {
	is_array(v)
	some item in v
	is_string(item)
	contains(item, word)
}

default_k8s_field(c) := "args" if c.args
else := "command"

launches contains l if {
	not input.apiVersion
	services := object.get(input, "services", {})
	is_object(services) # regorus: `some … in null` is an error
	some name, svc in services
	is_object(svc)
	may_run_redis(svc, "entrypoint", "command")
	toks := array.concat(
		redis.tokens(object.get(svc, "entrypoint", []), "entrypoint"),
		redis.tokens(object.get(svc, "command", []), "command"),
	)
	l := {
		"base": ["services", name],
		"what": sprintf("service `%s`", [name]),
		"tokens": toks,
		"default_field": default_compose_field(svc),
		"image": object.get(svc, "image", ""),
	}
}

default_compose_field(svc) := "command" if svc.command
else := "entrypoint"

# problems: {"base", "field", "msg"} for every launch of redis-server with a persistence flaw.
problems contains {"base": l.base, "field": field, "what": l.what, "msg": msg} if {
	some l in launches
	inv := redis.invocation(l.tokens, redis_image(l.image))
	opts := redis.options(inv.args)
	not redis.last_option(opts, "sentinel") # redis-server --sentinel: a Sentinel, no data
	some p in launch_problems(inv, opts, l.default_field)
	field := p.field
	msg := p.msg
}

# redis_image(image): true or false (an argument must not be undefined).
redis_image(image) := true if redis.is_redis_image(image)
else := false

launch_problems(inv, opts, default_field) := {p |
	some p in appendonly_problem(inv, opts, default_field)
} | {p |
	some p in fsync_problem(opts)
} | {p |
	some p in save_problem(opts)
}

appendonly_problem(inv, opts, default_field) := {{"field": o.at.key, "msg": sprintf("sets `--appendonly %s`, so the append-only file is off", [redis.option_value(o)])}} if {
	o := redis.last_option(opts, "appendonly")
	not redis.dynamic(o)
	redis.option_value(o) != "yes"
} else := {{"field": default_field, "msg": "runs redis-server without `--appendonly yes` (the default is no), so the append-only file is off"}} if {
	not redis.last_option(opts, "appendonly")
	not redis.has_config_file(inv.args)
	not redis.last_option(opts, "include") # the included file may set it
} else := set()

fsync_problem(opts) := {{"field": o.at.key, "msg": sprintf("sets `--appendfsync %s`, so the append-only file is not synced to disk regularly", [redis.option_value(o)])}} if {
	o := redis.last_option(opts, "appendfsync")
	not redis.dynamic(o)
	not redis.option_value(o) in fsync_allowed
} else := set()

save_problem(opts) := {{"field": o.at.key, "msg": "disables RDB snapshots with `--save \"\"`"}} if {
	o := redis.last_option(opts, "save")
	not redis.dynamic(o)
	count([v | some v in o.values; trim_space(v) != ""]) == 0
} else := set()

# ---------------------------------------------------------------------------------------------
# The official Redis image run with its default command: `redis-server` with the default
# configuration, in which the append-only file is off. Other images named redis have their own
# entrypoints (Bitnami's turns AOF on by default; the Kubernetes examples' run a script), and a
# mounted `.conf` file may turn it on (its content is not known): not reported.

deny contains result.fail(array.concat(d.base, ["image"]), msg) if {
	some d in default_launches
	msg := sprintf("%s runs the `%s` image's default command (`redis-server` with the default configuration), which does not persist: the append-only file is off; run `redis-server --appendonly yes --appendfsync everysec` (or pass a redis.conf that turns it on)", [d.what, d.image])
}

default_launches contains {"base": c.path, "what": sprintf("container `%s` of %s", [object.get(c.container, "name", "?"), k8s.name(input)]), "image": c.container.image} if {
	input.kind
	input.apiVersion
	some c in k8s.input_containers
	default_command(c.container, "command", "args")
	not mounts_conf_k8s(c.container)
}

default_launches contains {"base": ["services", name], "what": sprintf("service `%s`", [name]), "image": svc.image} if {
	not input.apiVersion
	services := object.get(input, "services", {})
	is_object(services)
	some name, svc in services
	is_object(svc)
	default_command(svc, "entrypoint", "command")
	not mounts_conf_compose(svc)
}

default_command(x, a, b) if {
	mentions(x.image, "redis") # cheap, and necessary for the parse below
	image.official(x.image, "redis")
	not x[a]
	not x[b]
}

mounts_conf_k8s(c) if {
	some m in k8s.list_of(c, "volumeMounts")
	some p in [object.get(m, "mountPath", ""), object.get(m, "subPath", "")]
	is_string(p)
	conf_path(p)
}

mounts_conf_compose(svc) if {
	is_array(svc.volumes)
	some v in svc.volumes
	conf_path(volume_target(v))
}

volume_target(v) := parts[1] if {
	is_string(v)
	parts := split(v, ":")
	count(parts) > 1
} else := v.target if is_string(v.target)

else := ""

# A redis.conf file, or a folder of one (/usr/local/etc/redis, /etc/redis).
conf_path(p) if endswith(trim_right(p, "/"), ".conf")

conf_path(p) if regex.match(`(^|/)etc/redis/?$`, p)

deny contains result.fail(array.concat(base, [field]), msg) if {
	some p in problems
	base := p.base
	field := p.field
	what := p.what
	msgs := sort([q.msg | some q in problems; q.base == base; q.field == field])
	msg := sprintf("%s %s; run `redis-server --appendonly yes --appendfsync everysec` and keep the default RDB snapshots (or pass a redis.conf that does)", [what, concat("; it also ", msgs)])
}
