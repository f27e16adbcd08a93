package tollgate.rules.kubernetes.postgres_backup_test

import rego.v1

import data.tollgate.rules.kubernetes.postgres_backup as rule

project(docs) := {"documents": [{"file": sprintf("deploy/%d.yaml", [i]), "kind": "kubernetes", "index": 0, "content": c} | some i, c in docs]}

workload(kind, name, image) := {
	"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": name},
	"spec": {"template": {"spec": {"containers": [{"name": "main", "image": image}]}}},
}

cronjob(container) := {
	"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "backup"},
	"spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": {"spec": {"containers": [object.union({"name": "dump", "image": "postgres:16"}, container)], "restartPolicy": "OnFailure"}}}}},
}

located(findings) := {[f.file, f.path] | some f in findings}

test_statefulset_without_backup_is_reported_at_kind if {
	located(rule.deny) == {["deploy/0.yaml", ["kind"]]} with input as project([workload("StatefulSet", "db", "postgres:16")])
}

test_deployment_with_full_image_reference_is_reported if {
	located(rule.deny) == {["deploy/0.yaml", ["kind"]]} with input as project([workload("Deployment", "db", "docker.io/library/postgres:16-alpine@sha256:abc")])
}

test_bitnami_postgresql_counts if {
	located(rule.deny) == {["deploy/0.yaml", ["kind"]]} with input as project([workload("StatefulSet", "db", "bitnami/postgresql:16.2.0")])
}

test_exporters_and_tools_do_not_count if {
	count(rule.deny) == 0 with input as project([
		workload("Deployment", "a", "quay.io/prometheuscommunity/postgres-exporter:v0.15.0"),
		workload("Deployment", "b", "wrouesnel/postgres_exporter"),
		workload("Deployment", "c", "prodrigestivill/postgres-backup-local:16"),
		workload("Deployment", "d", "registry.example.com:5000/app:postgres"),
	])
}

test_init_container_postgres_does_not_count if {
	app := {
		"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api"},
		"spec": {"template": {"spec": {
			"initContainers": [{"name": "wait-db", "image": "postgres:16", "command": ["sh", "-c", "until pg_isready -h db; do sleep 1; done"]}],
			"containers": [{"name": "api", "image": "ghcr.io/acme/api:1"}],
		}}},
	}
	count(rule.deny) == 0 with input as project([app])
}

test_other_kinds_do_not_count if {
	count(rule.deny) == 0 with input as project([workload("DaemonSet", "db", "postgres:16"), workload("Job", "db", "postgres:16")])
}

test_cronjob_with_pg_dump_command_passes if {
	count(rule.deny) == 0 with input as project([workload("StatefulSet", "db", "postgres:16"), cronjob({"command": ["pg_dump", "-h", "db", "-f", "/backup/app.sql", "app"]})])
}

test_cronjob_with_pg_dumpall_in_a_script_passes if {
	count(rule.deny) == 0 with input as project([
		workload("StatefulSet", "db", "postgres:16"),
		cronjob({"command": ["/bin/sh", "-c"], "args": ["set -e\n/usr/bin/pg_dumpall -h db | gzip > /backup/$(date +%F).sql.gz"]}),
	])
}

test_cronjob_with_a_string_command_passes if {
	count(rule.deny) == 0 with input as project([workload("StatefulSet", "db", "postgres:16"), cronjob({"args": "pg_dump app > /backup/app.sql"})])
}

test_cronjob_without_pg_dump_does_not_count if {
	located(rule.deny) == {["deploy/0.yaml", ["kind"]]} with input as project([
		workload("StatefulSet", "db", "postgres:16"),
		cronjob({"command": ["psql", "-c", "VACUUM ANALYZE"]}),
		cronjob({"command": ["/scripts/pg_dump_all_the_things.sh"]}),
	])
}

test_suspended_cronjob_does_not_count if {
	suspended := json.patch(cronjob({"command": ["pg_dump", "app"]}), [{"op": "add", "path": "/spec/suspend", "value": true}])
	located(rule.deny) == {["deploy/0.yaml", ["kind"]]} with input as project([workload("StatefulSet", "db", "postgres:16"), suspended])
}

test_job_is_not_a_schedule if {
	job := {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "dump"}, "spec": {"template": {"spec": {"containers": [{"name": "d", "image": "postgres:16", "command": ["pg_dump", "app"]}]}}}}
	located(rule.deny) == {["deploy/0.yaml", ["kind"]]} with input as project([workload("StatefulSet", "db", "postgres:16"), job])
}

test_message_names_the_workload if {
	some f in rule.deny with input as project([workload("StatefulSet", "orders-db", "postgres:16")])
	contains(f.msg, "StatefulSet/orders-db")
	f.document == 0
}
