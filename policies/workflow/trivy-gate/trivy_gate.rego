# METADATA
# title: Trivy scans fail the build on HIGH and CRITICAL findings
# description: >-
#   A Trivy step (the aquasecurity/trivy-action or a `trivy` command in `run:`) must exit non-zero
#   when it finds HIGH or CRITICAL issues: `exit-code` set to a non-zero value, and a `severity`
#   filter, if any, that keeps HIGH and CRITICAL. Trivy exits 0 by default, so a scan without
#   exit-code only reports, even when its results are uploaded as SARIF.
# custom:
#   id: workflow-trivy-gate
#   severity: error
#   input: [workflow]
#   scope: document
#   settings:
#     required_severities: [HIGH, CRITICAL]
#   schema:
#     required_severities:
#       type: array
#       minItems: 1
#       items: {type: string, pattern: "^(UNKNOWN|LOW|MEDIUM|HIGH|CRITICAL|unknown|low|medium|high|critical|Unknown|Low|Medium|High|Critical)$"}
package tollgate.rules.workflow.trivy_gate

import rego.v1

import data.tollgate.lib.result
import data.tollgate.lib.workflow as wf

cfg := data.tollgate.config["workflow-trivy-gate"]

required := {upper(s) | some s in object.get(cfg, "required_severities", ["HIGH", "CRITICAL"])}

required_text := ordered(required)

# ordered(severities): "HIGH,CRITICAL", in Trivy's order (unknown names last, sorted).
ordered(sevs) := concat(",", array.concat(
	[s | some s in ["UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"]; s in sevs],
	sort([s | some s in sevs; not s in {"UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"}]),
))

# ---------------------------------------------------------------------------------------------
# Settings as Trivy sees them: {"value": v, "path": p, "origin": "..."}, or the default.

# A value is "given" when it is neither null nor an empty string (GitHub passes `''` for unset).
given(v) if {
	v != null
	v != ""
}

trivy_action(step) if {
	is_string(step.uses)
	startswith(lower(trim_space(step.uses)), "aquasecurity/trivy-action@")
}

# Where the action's input `name` (exit-code, severity) comes from: the `with:` input, else the
# TRIVY_* environment variable of the step, job or workflow (the action passes them on).
action_setting(s, input_name) := {"value": v, "path": array.concat(s.path, ["with", input_name]), "origin": "input"} if {
	v := s.step["with"][input_name]
	given(v)
} else := env_setting_of(s, env_var_name(input_name))

env_var_name("exit-code") := "TRIVY_EXIT_CODE"

env_var_name("severity") := "TRIVY_SEVERITY"

# {"value", "path", "origin"} of a TRIVY_* variable set in `env:`, nearest first; the step's
# own `env:` is pointed at, a job's or workflow's points at the step.
env_setting_of(s, name) := x if {
	sources := [e | some e in wf.env_sources(input, s, name); given(e.value)]
	count(sources) > 0
	e := sources[0]
	x := {"value": e.value, "path": e.path, "origin": sprintf("env %s", [name])}
} else := {"origin": "default"}

# ---------------------------------------------------------------------------------------------
# Judging the values.

# An exit code that fails the build: a non-zero number, or a string of one ('1').
nonzero_exit(v) if {
	is_number(v)
	v != 0
}

nonzero_exit(v) if {
	is_string(v)
	n := to_number(trim(trim_space(v), `"'`))
	n != 0
}

# exit_problem(setting): a sentence saying why the exit code lets the build pass, if it does.
exit_problem(x) := "exit-code is not set (Trivy exits 0 whatever it finds)" if {
	x.origin == "default"
} else := sprintf("exit-code is %v%s, so Trivy exits 0 whatever it finds", [x.value, exit_origin(x)]) if {
	not wf.has_expression(x.value)
	not shell_variable(x.value)
	not nonzero_exit(x.value)
}

exit_origin(x) := "" if {
	x.origin in {"input", "flag"}
} else := sprintf(" (from %s)", [x.origin])

shell_variable(v) if {
	is_string(v)
	contains(v, "$")
}

severity_list(v) := {upper(trim(trim_space(p), `"'`)) | some p in split(v, ","); trim_space(p) != ""}

# severity_problem(setting): a sentence naming the required severities the filter leaves out.
severity_problem(x) := msg if {
	x.origin != "default"
	is_string(x.value)
	not wf.has_expression(x.value)
	not shell_variable(x.value)
	missing := required - severity_list(x.value)
	count(missing) > 0
	msg := sprintf("its severity filter %s leaves out %s", [trim_space(x.value), ordered(missing)])
}

# ---------------------------------------------------------------------------------------------
# aquasecurity/trivy-action steps.

deny contains result.fail(path, msg) if {
	some s in wf.input_step_list
	trivy_action(s.step)
	not sbom_step(s.step)
	sev := action_setting(s, "severity")
	code := action_setting(s, "exit-code")
	problems := array.concat([p | p := severity_problem(sev)], [p | p := exit_problem(code)])
	count(problems) > 0
	not gated_report(s)
	path := action_path(s, sev, code)
	msg := sprintf(
		"Trivy %s does not fail the build on %s findings: %s; set `exit-code: '1'` and a severity that includes %s (or no severity filter)",
		[wf.step_label(s), required_text, concat("; ", problems), required_text],
	)
}

# An SBOM step writes an inventory (CycloneDX, SPDX, GitHub's dependency snapshot): it is not a
# scan to gate.
sbom_formats := {"cyclonedx", "spdx", "spdx-json", "github"}

sbom_step(step) if lower(trim_space(step["with"].format)) in sbom_formats

sbom_step(step) if lower(trim_space(step["with"]["scan-type"])) == "sbom"

# A report-only step (it writes a report: `format:` other than `table`, or `output:`) whose
# target another Trivy step of the same job gates (same image-ref/scan-ref/input, a non-zero
# exit code, a severity filter keeping the required severities): the gate is there.
gated_report(s) if {
	report_step(s.step)
	t := target(s.step)
	some g in wf.input_step_list
	g.job_id == s.job_id
	g.index != s.index
	trivy_action(g.step)
	not sbom_step(g.step)
	target(g.step) == t
	gate := action_setting(g, "exit-code")
	gate.origin != "default"
	not exit_problem(gate)
	not severity_problem(action_setting(g, "severity"))
}

scan_type(w) := lower(trim_space(w["scan-type"])) if {
	is_string(w["scan-type"])
	w["scan-type"] != ""
} else := "image"

report_step(step) if {
	f := lower(trim_space(step["with"].format))
	given(f)
	f != "table"
}

report_step(step) if given(step["with"].output)

# target(step): what the step scans: its scan type and reference (image-ref, scan-ref or input).
target(step) := [scan_type(w), ref] if {
	w := step["with"]
	is_object(w)
	refs := [trim_space(r) | some k in ["image-ref", "scan-ref", "input"]; r := w[k]; is_string(r); r != ""]
	count(refs) > 0
	ref := refs[0]
}

# The severity when it is the problem, else the exit code; each where it is written on the step
# (the `with:` input or the step's `env:`), else the step's `uses`.
action_path(s, sev, code) := on_step(s, sev) if {
	severity_problem(sev)
} else := on_step(s, code)

on_step(s, x) := x.path if {
	x.path
	not job_level(x.path)
} else := array.concat(s.path, ["uses"])

# A path outside the step (a job's or the workflow's env): the finding goes on the step instead.
job_level(path) if path[2] != "steps"

job_level(path) if count(path) < 3

# ---------------------------------------------------------------------------------------------
# `run:` steps invoking the trivy CLI.

scan_commands := "image|i|filesystem|fs|repository|repo|rootfs|config|conf|sbom|vm|kubernetes|k8s"

# `trivy image`, `./bin/trivy fs`, `aquasec/trivy:0.58.1 image`, `trivy --cache-dir c image`.
trivy_re := concat("", [
	`(?:^|[ \t(/"'])trivy(?::[A-Za-z0-9_.\-]+)?(?:[ \t]+--?[A-Za-z][A-Za-z0-9_-]*(?:=[^ \t]+|[ \t]+[^ \t-][^ \t]*)?)*[ \t]+(?:`,
	scan_commands,
	`)(?:[ \t]|$)`,
])

not_a_scan_re := `(?:^|[ \t])(?:--download-db-only|--download-java-db-only|--help|-h)(?:[ \t=]|$)`

run_lines(text) := [trim_right(l, "\r") | some l in split(text, "\n")]

# A line continued on the next with a trailing backslash.
continued(lines, i) if endswith(trim_right(lines[i], " \t"), "\\")

# commands(text): {"line": N (1-based, where the command starts), "text": the joined command}.
commands(text) := {{"line": s + 1, "text": joined} |
	lines := run_lines(text)
	some s in numbers.range(0, count(lines) - 1)
	not continued_before(lines, s)
	not startswith(trim_space(lines[s]), "#")
	e := min({j | some j in numbers.range(s, count(lines) - 1); not continued(lines, j)} | {count(lines) - 1})
	joined := concat(" ", [trim_suffix(trim_right(lines[j], " \t"), "\\") | some j in numbers.range(s, e)])
}

continued_before(lines, s) if {
	s > 0
	continued(lines, s - 1)
}

# Splits a command line into shell commands and the operators between them.
tokens(line) := regex.find_n(`\|\||&&|[;&|]|[^;&|]+`, line, -1)

# trivy_commands(text): {"line", "args" (from `trivy` on), "discarded" (followed by `|| true`)}.
trivy_commands(text) := {{"line": c.line, "args": args, "discarded": discarded(toks, k)} |
	some c in commands(text)
	toks := tokens(c.text)
	some k, seg in toks
	m := regex.find_n(trivy_re, seg, 1)[0]
	at := indexof(seg, m)
	args := substring(seg, at, -1)
	not regex.match(not_a_scan_re, args)
}

discarded(toks, k) if {
	toks[k + 1] == "||"
	regex.match(`^[ \t]*(?:true|:|exit[ \t]+0)[ \t]*$`, toks[k + 2])
}

default discarded(_, _) := false

# The last value of a flag (`--exit-code 1`, `--exit-code=1`, `-s HIGH`), quotes removed.
flag_value(args, flag_re) := v if {
	found := regex.find_all_string_submatch_n(concat("", [`(?:^|[ \t])(?:`, flag_re, `)(?:=|[ \t]+)([^ \t]+)`]), args, -1)
	count(found) > 0
	v := trim(found[count(found) - 1][1], `"'`)
}

# A TRIVY_* variable assigned in the script itself (`export TRIVY_EXIT_CODE=1`, or inline).
script_env(text, name) := v if {
	found := regex.find_all_string_submatch_n(concat("", [`(?:^|[ \t\n;])`, name, `=([^ \t\r\n;]+)`]), text, -1)
	count(found) > 0
	v := trim(found[count(found) - 1][1], `"'`)
}

cli_setting(s, cmd, flag_re, env_name) := {"value": v, "origin": "flag"} if {
	v := flag_value(cmd.args, flag_re)
} else := {"value": v, "origin": sprintf("%s in the script", [env_name])} if {
	v := script_env(s.step.run, env_name)
	given(v)
} else := env_setting_of(s, env_name)

deny contains result.fail_with(array.concat(s.path, ["run"]), msg, extra) if {
	some s in wf.input_step_list
	is_string(s.step.run)
	some cmd in trivy_commands(s.step.run)
	not cli_sbom(cmd)
	sev := cli_setting(s, cmd, "--severity|-s", "TRIVY_SEVERITY")
	code := cli_setting(s, cmd, "--exit-code", "TRIVY_EXIT_CODE")
	problems := array.concat(
		array.concat([p | p := severity_problem(sev)], [p | p := exit_problem(code)]),
		[p | p := discard_problem(cmd)],
	)
	count(problems) > 0
	msg := sprintf(
		"`trivy` in %s does not fail the build on %s findings: %s; run it with `--exit-code 1 --severity %s` and let its exit status fail the step",
		[wf.step_label(s), required_text, concat("; ", problems), required_text],
	)
	extra := run_extra(s.step.run, cmd)
}

# `trivy image --format cyclonedx …` writes an SBOM: not a scan to gate.
cli_sbom(cmd) if lower(flag_value(cmd.args, "--format|-f")) in sbom_formats

discard_problem(cmd) := "the `|| true` after it throws its exit status away" if cmd.discarded

run_extra(text, cmd) := {"text_line": cmd.line} if {
	contains(trim_right(text, "\n"), "\n")
} else := {}
