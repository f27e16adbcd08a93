package tollgate.lib.redis_test

import rego.v1

import data.tollgate.lib.redis

configmap(name, entries) := {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": entries}

toks(ss, key) := [{"s": s, "key": key} | some s in ss]

# ---------------------------------------------------------------------------------------------
# redis.conf text

test_directives_parse_lines_names_and_quoted_args if {
	text := "# redis.conf\n\nAPPENDONLY yes\n  save \"\"\nrename-command FLUSHALL ''\nrequirepass \"a b\"\n"
	redis.directives(text) == [
		{"line": 3, "name": "appendonly", "args": ["yes"]},
		{"line": 4, "name": "save", "args": [""]},
		{"line": 5, "name": "rename-command", "args": ["FLUSHALL", ""]},
		{"line": 6, "name": "requirepass", "args": ["a b"]},
	]
}

test_directives_of_crlf_text if {
	redis.directives("appendonly yes\r\nsave 900 1\r\n") == [
		{"line": 1, "name": "appendonly", "args": ["yes"]},
		{"line": 2, "name": "save", "args": ["900", "1"]},
	]
}

test_directives_of_empty_text if {
	redis.directives("") == []
	redis.directives("# only a comment\n\n") == []
}

test_unquote if {
	redis.unquote(`"yes"`) == "yes"
	redis.unquote("'yes'") == "yes"
	redis.unquote(`""`) == ""
	redis.unquote("yes") == "yes"
	redis.unquote(`"`) == `"`
	redis.unquote(`"yes'`) == `"yes'`
}

test_last_is_the_effective_directive if {
	ds := redis.directives("appendonly no\nappendonly yes\n")
	redis.last(ds, "appendonly") == {"line": 2, "name": "appendonly", "args": ["yes"]}
	not redis.last(ds, "save")
	not redis.last([], "save")
}

test_arg0 if {
	redis.arg0({"name": "appendonly", "args": ["YES", "x"]}) == "yes"
	redis.arg0({"name": "appendonly", "args": []}) == ""
}

test_save_disables if {
	redis.save_disables({"name": "save", "args": [""]})
	redis.save_disables({"name": "save", "args": []})
	redis.save_disables({"name": "save", "args": [" "]})
	not redis.save_disables({"name": "save", "args": ["900", "1"]})
}

test_foreign_lines if {
	redis.foreign_line({"name": "port=1883", "args": []})
	redis.foreign_line({"name": "port:", "args": ["1883"]})
	redis.foreign_line({"name": "port", "args": ["=", "1883"]})
	not redis.foreign_line({"name": "port", "args": ["6379"]})
}

test_looks_like_redis if {
	redis.looks_like_redis(redis.directives("maxmemory 1gb\n"))
	redis.looks_like_redis(redis.directives("port 6379\nbind 0.0.0.0\n"))
	not redis.looks_like_redis(redis.directives("port 1883\nlistener 1883\nallow_anonymous true\n"))
	not redis.looks_like_redis(redis.directives("maxmemory = 1gb\n"))
	not redis.looks_like_redis([])
}

test_is_conf if {
	redis.is_conf("anything", "redis.conf", "port 6379\n")
	redis.is_conf("my-redis", "main.conf", "whatever 1\n")
	redis.is_conf("cache", "server.conf", "appendonly yes\n")
	not redis.is_conf("cache", "server.conf", "listener 1883\n")
	not redis.is_conf("redis", "redis.yaml", "appendonly yes\n")
	not redis.is_conf("redis", "sentinel.conf", "port 26379\n")
	not redis.is_conf("redis", "redis.conf", "sentinel monitor mymaster 10.0.0.1 6379 2\n")
	not redis.is_conf("redis", "redis.conf", null)
	not redis.is_conf("redis", "redis.conf", 6379)
}

test_configmap_confs if {
	cm := configmap("redis", {"redis.conf": "appendonly yes\n", "start.sh": "redis-server /etc/redis.conf\n"})
	redis.configmap_confs == {{"key": "redis.conf", "text": "appendonly yes\n", "directives": [{"line": 1, "name": "appendonly", "args": ["yes"]}]}} with input as cm
}

test_configmap_confs_of_other_manifests_and_null_data_are_empty if {
	redis.configmap_confs == set() with input as configmap("redis", null)
	redis.configmap_confs == set() with input as object.remove(configmap("redis", {}), ["data"])
	redis.configmap_confs == set() with input as {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "redis"}, "data": {"redis.conf": "appendonly yes\n"}}
}

test_primary_conf_keys_prefer_redis_conf if {
	both := configmap("redis", {"redis.conf": "port 6379\n", "master.conf": "appendonly yes\n", "replica.conf": "replica-read-only yes\n"})
	redis.primary_conf_keys == {"redis.conf"} with input as both
	others := configmap("redis", {"master.conf": "appendonly yes\n", "replica.conf": "replica-read-only yes\n"})
	redis.primary_conf_keys == {"master.conf", "replica.conf"} with input as others
}

test_configmap_includes if {
	redis.configmap_includes with input as configmap("redis", {"redis.conf": "include /etc/redis/base.conf\n"})
	not redis.configmap_includes with input as configmap("redis", {"redis.conf": "appendonly yes\n"})
}

# ---------------------------------------------------------------------------------------------
# Command lines

test_words_split_on_separators_and_unquote if {
	redis.words(`redis-server --save "" --requirepass 'a b';echo ok && true`) == [
		"redis-server", "--save", "", "--requirepass", "a b", ";", "echo", "ok", "&&", "true",
	]
}

test_words_join_continued_lines if {
	redis.words("redis-server \\\n  --appendonly yes\nexit") == ["redis-server", "--appendonly", "yes", "\n", "exit"]
}

test_tokens_of_a_string_a_list_and_anything_else if {
	redis.tokens("redis-server --port 1", "command") == toks(["redis-server", "--port", "1"], "command")
	redis.tokens(["redis-server", "--port", 6379, true, null, {"a": 1}, ["x"]], "args") == toks(["redis-server", "--port", "6379", "true"], "args")
	redis.tokens(null, "args") == []
	redis.tokens({"a": 1}, "args") == []
	redis.tokens(5, "args") == []
}

test_invocation_direct if {
	t := toks(["/usr/local/bin/redis-server", "--appendonly", "yes", "&&", "echo"], "command")
	redis.invocation(t, false) == {"args": array.slice(t, 1, 3), "at": t[0]}
}

test_invocation_through_a_shell_script if {
	t := toks(["sh", "-ec", "redis-server --appendonly no; echo done"], "args")
	inv := redis.invocation(t, false)
	inv.at == {"s": "redis-server", "key": "args"}
	inv.args == toks(["--appendonly", "no"], "args")
}

test_invocation_implied_by_a_redis_image if {
	t := toks(["--appendonly", "yes"], "args")
	redis.invocation(t, true) == {"args": t, "at": t[0]}
	c := toks(["/etc/redis/redis.conf"], "command")
	redis.invocation(c, true) == {"args": c, "at": c[0]}
	not redis.invocation(t, false)
	not redis.invocation(toks(["redis-cli", "ping"], "command"), true)
	not redis.invocation([], true)
}

test_options if {
	t := toks(["/etc/redis.conf", "--save", "900", "1", "--APPENDONLY", "yes", "--save", ""], "args")
	redis.options(t) == [
		{"name": "save", "values": ["900", "1"], "at": t[1]},
		{"name": "appendonly", "values": ["yes"], "at": t[4]},
		{"name": "save", "values": [""], "at": t[6]},
	]
	redis.options([]) == []
	redis.options(toks(["/etc/redis.conf"], "args")) == []
}

test_has_config_file if {
	redis.has_config_file(toks(["/etc/redis.conf", "--port", "1"], "args"))
	redis.has_config_file(toks(["-"], "args"))
	not redis.has_config_file(toks(["--port", "1"], "args"))
	not redis.has_config_file([])
}

test_last_option_and_option_value if {
	opts := redis.options(toks(["--appendonly", "no", "--appendonly", "YES"], "args"))
	o := redis.last_option(opts, "appendonly")
	redis.option_value(o) == "yes"
	not redis.last_option(opts, "save")
	redis.option_value({"values": ["3600", "1", "300", "100"]}) == "3600 1 300 100"
	redis.option_value({"values": []}) == ""
}

test_dynamic if {
	redis.dynamic({"values": ["${AOF}"]})
	redis.dynamic({"values": ["yes", "$(AOF)"]})
	not redis.dynamic({"values": ["yes"]})
	not redis.dynamic({"values": []})
}

# ---------------------------------------------------------------------------------------------
# Images

test_is_redis_image if {
	redis.is_redis_image("redis")
	redis.is_redis_image("redis:7.2-alpine")
	redis.is_redis_image("docker.io/bitnami/redis:7.2@sha256:0123")
	not redis.is_redis_image("oliver006/redis_exporter:v1.58.0")
	not redis.is_redis_image("redis-stack-server")
	not redis.is_redis_image("valkey/valkey:8")
	not redis.is_redis_image(null)
	not redis.is_redis_image("")
}
