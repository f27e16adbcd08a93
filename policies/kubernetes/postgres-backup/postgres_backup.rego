# METADATA
# title: PostgreSQL workloads are backed up by a pg_dump CronJob
# description: >-
#   A Deployment or StatefulSet that runs a PostgreSQL server needs a CronJob somewhere in the
#   repository that runs `pg_dump` or `pg_dumpall`, so the database has regular logical backups.
# custom:
#   id: postgres-backup
#   severity: error
#   input: [kubernetes]
#   scope: project
#   settings:
#     workload_kinds: [Deployment, StatefulSet]
#     backup_commands: [pg_dump, pg_dumpall]
#   schema:
#     workload_kinds: {type: array, minItems: 1, items: {type: string, minLength: 1}}
#     backup_commands: {type: array, minItems: 1, items: {type: string, minLength: 1}}
package tollgate.rules.kubernetes.postgres_backup

import rego.v1

import data.tollgate.lib.image
import data.tollgate.lib.k8s
import data.tollgate.lib.result

cfg := data.tollgate.config["postgres-backup"]

# manifests: the Kubernetes documents of the input, as a list (a set orders its elements by
# comparing whole documents).
manifests := [doc |
	some doc in input.documents
	doc.kind == "kubernetes"
	is_object(doc.content)
]

deny contains result.fail_in(doc, ["kind"], msg) if {
	not backup_cronjob
	some doc in manifests
	doc.content.kind in cfg.workload_kinds
	images := sort({c.container.image | some c in k8s.containers(doc.content); postgres_image(c.container.image)})
	count(images) > 0
	msg := sprintf(
		"%s runs PostgreSQL (%s) but no CronJob in the repository runs pg_dump or pg_dumpall; add a backup CronJob that dumps the database to durable storage",
		[k8s.name(doc.content), concat(", ", images)],
	)
}

# postgres_image(image): the image's name (last path segment, no tag or digest) starts with
# "postgres": postgres, bitnami/postgresql, postgres-ha… Exporters, operators, backup and
# client images are not servers.
postgres_image(ref) if {
	is_string(ref)
	contains(lower(ref), "postgres") # cheap, and necessary for the parse below
	name := image.name(ref)
	startswith(name, "postgres")
	not regex.match(`exporter|operator|backup|client|proxy|pgbouncer`, name)
}

# backup_cronjob: a (not suspended) CronJob whose containers run pg_dump / pg_dumpall in their
# command or args, including inside a `sh -c "…"` script.
backup_cronjob if {
	some doc in manifests
	doc.content.kind == "CronJob"
	not doc.content.spec.suspend == true
	some c in k8s.containers(doc.content) | k8s.init_containers(doc.content)
	some field in ["command", "args"]
	some s in strings_of(object.get(c.container, field, []))
	runs_backup(s)
}

strings_of(v) := [v] if is_string(v)

strings_of(v) := [s | some s in v; is_string(s)] if is_array(v)

runs_backup(s) if {
	some cmd in cfg.backup_commands
	regex.match(sprintf(`(^|[^A-Za-z0-9_.-])%s([^A-Za-z0-9_-]|$)`, [cmd]), s)
}
