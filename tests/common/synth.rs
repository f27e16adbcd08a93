//! A synthetic repository for benchmarks: N files in the proportions of a service monorepo
//! (shapes modelled on `../shared/corpus/`), with a known number of planted violations.
//!
//! Shared by `examples/synth.rs` (`cargo run --release --example synth -- OUT N`), the pipeline
//! benchmark and `tests/synth.rs` (which checks that tollgate finds exactly what was planted).
//!
//! Of every 100 files: 55 Kubernetes streams (a Deployment and a Service, every third with a
//! ConfigMap: about 1.8 documents a file), 15 workflows, 10 compose files (one a folder), 5
//! coverage reports (lcov, istanbul), 3 Trivy reports, 12 other YAML files (application config,
//! no known kind). Everything is clean for the built-in pack except what is planted:
//! - every 10th Deployment has `maxUnavailable: 1` (`k8s-zero-downtime-rollout`);
//! - every 12th Deployment's container has no readiness probe (`k8s-probes`);
//! - every 9th compose service has no healthcheck (`compose-healthcheck`).

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// What was written.
#[derive(Debug, Default)]
pub struct Synth {
    pub files: usize,
    pub documents: usize,
    /// Planted findings per rule id.
    pub expected: BTreeMap<&'static str, usize>,
}

fn deployment(i: usize, unavailable: u32, probe: bool) -> String {
    let probe = if probe {
        "          readinessProbe:\n            httpGet: {path: /readyz, port: 8080}\n"
    } else {
        ""
    };
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: svc-{i}
  labels:
    app.kubernetes.io/name: svc-{i}
    app.kubernetes.io/part-of: shop
spec:
  replicas: 3
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 1
      maxUnavailable: {unavailable}
  selector:
    matchLabels:
      app.kubernetes.io/name: svc-{i}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: svc-{i}
    spec:
      securityContext:
        runAsNonRoot: true
      containers:
        - name: app
          image: ghcr.io/acme/svc-{i}:1.{i}.0
          ports:
            - containerPort: 8080
{probe}          livenessProbe:
            httpGet: {{path: /healthz, port: 8080}}
          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
            limits: {{memory: 256Mi}}
          env:
            - name: LOG_LEVEL
              value: info
            - name: REGION
              value: eu-west-1
"
    )
}

fn service(i: usize) -> String {
    format!(
        "apiVersion: v1
kind: Service
metadata:
  name: svc-{i}
spec:
  selector:
    app.kubernetes.io/name: svc-{i}
  ports:
    - name: http
      port: 80
      targetPort: 8080
"
    )
}

fn configmap(i: usize) -> String {
    let mut s =
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: svc-{i}-config\ndata:\n");
    for k in 0..12 {
        let _ = writeln!(s, "  SETTING_{k}: \"value-{i}-{k}\"");
    }
    s
}

fn workflow(i: usize) -> String {
    format!(
        "name: service {i}
on:
  pull_request:
  push:
    branches: [main]
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-latest
    timeout-minutes: 20
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: 22
      - run: npm ci
      - run: npm test -- --coverage
  lint:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: npm ci && npm run lint
"
    )
}

fn compose(i: usize, healthcheck: bool) -> String {
    let hc = if healthcheck {
        "    healthcheck:\n      test: [\"CMD\", \"curl\", \"-f\", \"http://localhost:8080/healthz\"]\n      interval: 10s\n"
    } else {
        ""
    };
    format!(
        "services:
  app-{i}:
    image: ghcr.io/acme/app-{i}:2.0.{i}
    restart: unless-stopped
    ports:
      - \"127.0.0.1:{port}:8080\"
{hc}    environment:
      LOG_LEVEL: info
",
        port = 10000 + i % 50000
    )
}

fn lcov(i: usize) -> String {
    let mut s = String::new();
    for f in 0..4 {
        let _ = writeln!(s, "SF:src/module{i}/file{f}.ts");
        for l in 1..=20 {
            let _ = writeln!(s, "DA:{l},{}", if l % 10 == 0 { 0 } else { 3 });
        }
        s.push_str("LF:20\nLH:18\nend_of_record\n");
    }
    s
}

fn istanbul(i: usize) -> String {
    format!(
        "{{\"total\": {{\"lines\": {{\"total\": 200, \"covered\": 180, \"skipped\": 0, \"pct\": 90}}, \"statements\": {{\"total\": 210, \"covered\": 190, \"skipped\": 0, \"pct\": 90.47}}, \"functions\": {{\"total\": 40, \"covered\": 36, \"skipped\": 0, \"pct\": 90}}, \"branches\": {{\"total\": 60, \"covered\": 54, \"skipped\": 0, \"pct\": 90}}}},\n \"src/m{i}.ts\": {{\"lines\": {{\"total\": 200, \"covered\": 180, \"skipped\": 0, \"pct\": 90}}, \"statements\": {{\"total\": 210, \"covered\": 190, \"skipped\": 0, \"pct\": 90.47}}, \"functions\": {{\"total\": 40, \"covered\": 36, \"skipped\": 0, \"pct\": 90}}, \"branches\": {{\"total\": 60, \"covered\": 54, \"skipped\": 0, \"pct\": 90}}}}}}\n"
    )
}

fn trivy(i: usize) -> String {
    let mut vulns = Vec::new();
    for v in 0..8 {
        vulns.push(format!(
            "{{\"VulnerabilityID\": \"CVE-2024-{:05}\", \"PkgName\": \"lib{v}\", \"InstalledVersion\": \"1.0.{v}\", \"FixedVersion\": \"1.0.{}\", \"Severity\": \"{}\", \"Title\": \"issue {v} in lib{v}\"}}",
            i * 10 + v,
            v + 1,
            if v % 2 == 0 { "LOW" } else { "MEDIUM" }
        ));
    }
    format!(
        "{{\"SchemaVersion\": 2, \"ArtifactName\": \"ghcr.io/acme/svc-{i}:1.0.0\", \"ArtifactType\": \"container_image\", \"Results\": [{{\"Target\": \"ghcr.io/acme/svc-{i}:1.0.0 (debian 12.5)\", \"Class\": \"os-pkgs\", \"Type\": \"debian\", \"Vulnerabilities\": [{}]}}]}}\n",
        vulns.join(", ")
    )
}

fn app_config(i: usize) -> String {
    let mut s = format!("service: svc-{i}\nfeatures:\n");
    for k in 0..15 {
        let _ = writeln!(s, "  flag_{k}: {}", k % 2 == 0);
    }
    s.push_str("limits:\n  requests_per_second: 200\n  burst: 50\n");
    s
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().expect("a parent")).expect("create folders");
    std::fs::write(p, text).expect("write a file");
}

/// Writes a repository of `n` files under `root` (which should be empty).
pub fn generate(root: &Path, n: usize) -> Synth {
    let mut out = Synth::default();
    let mut deployments = 0;
    let mut services = 0;
    for f in 0..n {
        match f % 100 {
            0..=54 => {
                let i = deployments;
                deployments += 1;
                let bad_rollout = i % 10 == 9;
                let no_probe = i % 12 == 11;
                let mut text = deployment(i, u32::from(bad_rollout), !no_probe);
                text.push_str("---\n");
                text.push_str(&service(i));
                out.documents += 2;
                if i % 3 == 0 {
                    text.push_str("---\n");
                    text.push_str(&configmap(i));
                    out.documents += 1;
                }
                *out.expected.entry("k8s-zero-downtime-rollout").or_default() +=
                    usize::from(bad_rollout);
                *out.expected.entry("k8s-probes").or_default() += usize::from(no_probe);
                write(root, &format!("deploy/team-{}/svc-{i}.yaml", i % 40), &text);
            }
            55..=69 => {
                write(
                    root,
                    &format!(".github/workflows/svc-{f}.yml"),
                    &workflow(f),
                );
                out.documents += 1;
            }
            70..=79 => {
                let i = services;
                services += 1;
                let no_hc = i % 9 == 8;
                *out.expected.entry("compose-healthcheck").or_default() += usize::from(no_hc);
                write(
                    root,
                    &format!("services/app-{i}/compose.yaml"),
                    &compose(i, !no_hc),
                );
                out.documents += 1;
            }
            80..=82 => {
                write(
                    root,
                    &format!("services/lib-{f}/coverage/lcov.info"),
                    &lcov(f),
                );
                out.documents += 1;
            }
            83..=84 => {
                write(
                    root,
                    &format!("web/pkg-{f}/coverage/coverage-summary.json"),
                    &istanbul(f),
                );
                out.documents += 1;
            }
            85..=87 => {
                write(root, &format!("reports/trivy-svc-{f}.json"), &trivy(f));
                out.documents += 1;
            }
            _ => write(root, &format!("config/app-{f}.yaml"), &app_config(f)),
        }
        out.files += 1;
    }
    write(
        root,
        ".trivyignore",
        "# reviewed: not reachable from the service's code paths\nCVE-2024-00001 exp:2099-01-01\n",
    );
    out.files += 1;
    out.documents += 1;
    out
}
