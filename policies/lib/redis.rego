# Redis helpers shared by the built-in rules: redis.conf text parsed into directives (with their
# 1-based line numbers inside the text, for `text_line`), the detection of redis.conf text in
# ConfigMap data, and the parsing of `redis-server` command lines (a string, a list, or a
# `sh -c "..."` script) into the options they set.
package tollgate.lib.redis

import rego.v1

import data.tollgate.lib.image

# ---------------------------------------------------------------------------------------------
# redis.conf text

# directives(text): one {"line", "name", "args"} per directive line of redis.conf text. `line`
# is 1-based within the text, `name` is lower-cased, `args` are unquoted ("" for `save ""`).
# Comment lines (`#`) and blank lines are skipped.
directives(text) := [d |
	some i, raw in split(text, "\n")
	t := trim_space(raw)
	t != ""
	not startswith(t, "#")
	toks := [unquote(w) | some w in regex.find_n(`"(?:[^"\\]|\\.)*"|'[^']*'|\S+`, t, -1)]
	count(toks) > 0
	d := {"line": i + 1, "name": lower(toks[0]), "args": array.slice(toks, 1, count(toks))}
]

# unquote(s): s without one pair of surrounding double or single quotes.
unquote(s) := substring(s, 1, count(s) - 2) if {
	count(s) >= 2
	startswith(s, `"`)
	endswith(s, `"`)
} else := substring(s, 1, count(s) - 2) if {
	count(s) >= 2
	startswith(s, "'")
	endswith(s, "'")
} else := s

# last(ds, name): the effective (last) directive `name` of a directive list; undefined if absent.
last(ds, name) := matches[count(matches) - 1] if {
	matches := [d | some d in ds; d.name == name]
	count(matches) > 0
}

# arg0(d): the directive's first argument, lower-cased ("" when it has none).
arg0(d) := lower(d.args[0]) if count(d.args) > 0
else := ""

# save_disables(d): a `save` directive that turns RDB snapshots off (`save ""`, or no argument).
save_disables(d) if count([a | some a in d.args; trim_space(a) != ""]) == 0

# Directives that only Redis has: one of them makes a `.conf` text redis config.
strong_directives := {
	"appendonly", "appendfsync", "appendfilename", "appenddirname", "save", "dbfilename",
	"maxmemory", "maxmemory-policy", "maxmemory-samples", "requirepass", "masterauth",
	"masteruser", "replicaof", "slaveof", "rename-command", "rdbcompression", "rdbchecksum",
	"aof-use-rdb-preamble", "auto-aof-rewrite-percentage", "auto-aof-rewrite-min-size",
	"no-appendfsync-on-rewrite", "protected-mode", "tcp-backlog", "cluster-enabled",
	"cluster-config-file", "replica-read-only", "slave-read-only",
	"stop-writes-on-bgsave-error", "lazyfree-lazy-eviction", "notify-keyspace-events",
	"activerehashing", "io-threads", "latency-monitor-threshold", "slowlog-log-slower-than",
	"repl-diskless-sync", "list-max-ziplist-size", "hash-max-ziplist-entries",
}

# Directives Redis shares with other servers' configs: they count only when every directive of
# the text is a Redis directive (`port 6379` + `bind 0.0.0.0` is redis; mosquitto.conf is not).
weak_directives := {
	"port", "bind", "dir", "loglevel", "logfile", "timeout", "tcp-keepalive", "daemonize",
	"databases", "maxclients", "pidfile", "supervised", "include", "unixsocket",
	"unixsocketperm", "user", "aclfile", "tls-port", "hz",
}

# A `name = value` or `name: value` line is not Redis syntax.
foreign_line(d) if contains(d.name, "=")

foreign_line(d) if contains(d.name, ":")

foreign_line(d) if {
	count(d.args) > 0
	startswith(d.args[0], "=")
}

# Sentinel configs (`sentinel monitor …`) are not redis-server configs.
is_sentinel(key, ds) if contains(lower(key), "sentinel")

is_sentinel(_, ds) if {
	some d in ds
	d.name == "sentinel"
}

looks_like_redis(ds) if {
	some d in ds
	d.name in strong_directives
	not foreign_line(d)
}

looks_like_redis(ds) if {
	count(ds) > 0
	every d in ds {
		d.name in (strong_directives | weak_directives)
		not foreign_line(d)
	}
}

# is_conf(cm_name, key, text): the ConfigMap data entry `key` holds redis.conf text: its name ends
# in `.conf` and it is named redis.conf, or the ConfigMap's name contains "redis", or the text
# has Redis directives. Sentinel configs are excluded.
is_conf(cm_name, key, text) if {
	is_string(text)
	endswith(lower(key), ".conf")
	ds := directives(text)
	not is_sentinel(key, ds)
	conf_hint(cm_name, key, ds)
}

conf_hint(_, key, _) if lower(key) == "redis.conf"

conf_hint(cm_name, _, _) if contains(lower(cm_name), "redis")

conf_hint(_, _, ds) if looks_like_redis(ds)

# configmap_confs: the redis.conf texts of the input ConfigMap, as
# {"key", "text", "directives"}.
configmap_confs contains {"key": key, "text": text, "directives": directives(text)} if {
	input.kind == "ConfigMap"
	cm_name := name_of(input)
	is_object(input.data) # regorus: `some … in null` is an error
	some key, text in input.data
	is_conf(cm_name, key, text)
}

name_of(obj) := obj.metadata.name if is_string(obj.metadata.name)
else := ""

# primary_conf_keys: the keys that stand for the whole ConfigMap when a directive is missing
# from all of its redis.conf texts: `redis.conf` if there is one (Bitnami-style ConfigMaps
# append master.conf/replica.conf to it), else every redis.conf text.
primary_conf_keys := named if {
	named := {c.key | some c in configmap_confs; lower(c.key) == "redis.conf"}
	count(named) > 0
} else := {c.key | some c in configmap_confs}

# A text that `include`s another file may get any directive from it.
configmap_includes if {
	some c in configmap_confs
	some d in c.directives
	d.name == "include"
}

# ---------------------------------------------------------------------------------------------
# Command lines

# words(s): a shell command string split into words (quotes removed), with `;`, `&&`, `||`,
# `|` and `&` (and line ends) as separate words. `\`-continued lines are joined.
words(s) := [unquote(w) |
	joined := replace(replace(s, "\\\r\n", " "), "\\\n", " ")
	some w in regex.find_n(`"(?:[^"\\]|\\.)*"|'[^']*'|&&|\|\||[;|&\n]|[^\s;|&]+`, joined, -1)
]

separators := {";", "&&", "||", "|", "&", "\n"}

shells := {"sh", "bash", "ash", "dash", "zsh", "busybox"}

basename(s) := parts[count(parts) - 1] if parts := split(s, "/")

# tokens(value, key): a command given as a string or a list, as {"s", "key"} tokens; `key` says
# which field (command, args, entrypoint) the token came from.
tokens(value, key) := [{"s": w, "key": key} | some w in words(value)] if is_string(value)

tokens(value, key) := [{"s": s, "key": key} | some v in value; s := item_string(v)] if is_array(value)

tokens(value, _) := [] if {
	not is_string(value)
	not is_array(value)
}

item_string(v) := v if is_string(v)

item_string(v) := sprintf("%v", [v]) if {
	not is_string(v)
	not is_object(v)
	not is_array(v)
	v != null
}

# invocation(toks, image_is_redis): the arguments of the first redis-server invocation in the
# token list: {"args": [tokens after redis-server, up to a shell separator], "at": the token of
# the program}. Follows `sh -c "script"` into the script. When the image is redis and the
# command starts with a flag or a `.conf` path, the image's entrypoint runs redis-server with it.
invocation(toks, image_is_redis) := direct_invocation(toks) if {
	direct_invocation(toks)
} else := direct_invocation(script_words(toks)) if {
	direct_invocation(script_words(toks))
} else := {"args": until_separator(toks), "at": toks[0]} if {
	image_is_redis == true
	count(toks) > 0
	implied_redis_server(toks[0].s)
}

direct_invocation(toks) := inv if {
	idx := [i | some i, t in toks; basename(t.s) == "redis-server"]
	count(idx) > 0
	i := idx[0]
	inv := {"args": until_separator(array.slice(toks, i + 1, count(toks))), "at": toks[i]}
}

# script_words(toks): the words of the script of `sh -c "script"` (or -ec, -xc…), as tokens of
# the field the script came from.
script_words(toks) := [{"s": w, "key": script.key} | some w in words(script.s)] if {
	count(toks) > 0
	basename(toks[0].s) in shells
	cs := [i | some i, t in toks; regex.match(`^-[a-z]*c[a-z]*$`, t.s)]
	count(cs) > 0
	script := toks[cs[0] + 1]
}

implied_redis_server(s) if startswith(s, "-")

implied_redis_server(s) if endswith(s, ".conf")

until_separator(toks) := array.slice(toks, 0, n) if {
	seps := [i | some i, t in toks; t.s in separators]
	n := min(array.concat(seps, [count(toks)]))
}

# options(args): the `--name value…` options of redis-server arguments, in order, as
# {"name", "values", "at"}, where `at` is the `--name` token. The values of an option are the
# tokens up to the next `--` token.
options(args) := [o |
	starts := [i | some i, t in args; startswith(t.s, "--")]
	some n, i in starts
	ends := array.concat(array.slice(starts, n + 1, count(starts)), [count(args)])
	o := {
		"name": lower(substring(args[i].s, 2, -1)),
		"values": [unquote(t.s) | some t in array.slice(args, i + 1, ends[0])],
		"at": args[i],
	}
]

# has_config_file(args): redis-server's first argument is a config file path (or `-`, stdin):
# the file decides every setting the flags do not override.
has_config_file(args) if {
	count(args) > 0
	not startswith(args[0].s, "--")
}

# last_option(opts, name): the last occurrence of an option.
last_option(opts, name) := matches[count(matches) - 1] if {
	matches := [o | some o in opts; o.name == name]
	count(matches) > 0
}

# option_value(o): the option's values joined by spaces, lower-cased.
option_value(o) := lower(trim_space(concat(" ", o.values)))

# A value built from variables (`${AOF}`, `$(AOF)`) is not known here.
dynamic(o) if {
	some v in o.values
	contains(v, "$")
}

# ---------------------------------------------------------------------------------------------
# Images

# is_redis_image(ref): the official, Bitnami and other images named exactly `redis` (see
# data.tollgate.lib.image for the parsing of the reference).
is_redis_image(ref) if image.name(ref) == "redis"
