//! Benchmark of the check pipeline: `cargo bench --bench pipeline [-- DIR] [--runs N]`.
//!
//! Prints, for a folder (default `../shared/corpus`) and for a generated repository of
//! Kubernetes manifests, the median, min and max over N runs of each stage (discover, load,
//! evaluate + locate) and of the whole check on 1 thread and on all threads, with the ratio.
//! Figures, not assertions: nothing here fails on speed.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tollgate::check::{self, CheckOptions};
use tollgate::{evaluate, locate, read};

fn median(mut v: Vec<Duration>) -> (Duration, Duration, Duration) {
    v.sort();
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn generated_repo(n: usize) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tollgate-bench-{n}"));
    if dir.join("done").exists() {
        return dir;
    }
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("deploy")).unwrap();
    for i in 0..n {
        let text = format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: svc-{i}\nspec:\n  replicas: 3\n  strategy:\n    rollingUpdate: {{maxUnavailable: {mu}, maxSurge: 1}}\n  template:\n    spec:\n      securityContext: {{runAsNonRoot: true}}\n      containers:\n        - name: app\n          image: ghcr.io/acme/svc-{i}:1.0.{i}\n          readinessProbe: {{httpGet: {{path: /ready, port: 8080}}}}\n          resources:\n            requests: {{cpu: 100m, memory: 128Mi}}\n---\napiVersion: v1\nkind: Service\nmetadata: {{name: svc-{i}}}\nspec:\n  ports: [{{port: 80}}]\n",
            mu = i % 2
        );
        std::fs::write(dir.join("deploy").join(format!("svc-{i}.yaml")), text).unwrap();
    }
    std::fs::write(dir.join("done"), "").unwrap();
    dir
}

fn bench(label: &str, dir: &Path, runs: usize) {
    let policies = tollgate::cli::load_policies(&[], false, false);
    let opts = CheckOptions {
        paths: vec![dir.to_path_buf()],
        today: "2026-11-26".into(),
        ..CheckOptions::default()
    };
    let (mut t_disc, mut t_load, mut t_eval) = (Vec::new(), Vec::new(), Vec::new());
    let mut stats = (0, 0, 0);
    for _ in 0..runs {
        let t = Instant::now();
        let (cands, _) = tollgate::discover::discover(&opts.paths, &opts.discover);
        t_disc.push(t.elapsed());
        let t = Instant::now();
        let docs = read::load_all(&cands, opts.max_file_size, opts.limits).documents;
        t_load.push(t.elapsed());
        let t = Instant::now();
        let mut p = policies.clone();
        p.set_data(
            &opts.settings,
            read::shared_data(&docs, &opts.today, dir, opts.max_file_size, &[]).0,
            &[],
        );
        let (raws, _) = evaluate::evaluate(&p, &docs, false);
        let located: Vec<_> = raws
            .iter()
            .map(|(i, r, raw)| locate::locate_finding(&docs[*i], &r.meta, raw))
            .collect();
        t_eval.push(t.elapsed());
        stats = (cands.len(), docs.len(), located.len());
    }
    println!(
        "\n{label}: {} files, {} documents, {} findings; {runs} runs",
        stats.0, stats.1, stats.2
    );
    for (name, v) in [
        ("discover", t_disc),
        ("load", t_load),
        ("evaluate+locate", t_eval),
    ] {
        let (m, lo, hi) = median(v);
        println!(
            "  {name:<16} median {:>10}  (min {}, max {})",
            ms(m),
            ms(lo),
            ms(hi)
        );
    }
    let whole = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let v: Vec<Duration> = (0..runs)
            .map(|_| {
                let t = Instant::now();
                let o = pool.install(|| check::run(&policies, &opts));
                std::hint::black_box(o.findings.len());
                t.elapsed()
            })
            .collect();
        median(v).0
    };
    let one = whole(1);
    let all_threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let all = whole(all_threads);
    println!(
        "  whole check      median {:>10} on 1 thread, {} on {all_threads} threads: {:.2}x; {:.0} documents/s",
        ms(one),
        ms(all),
        one.as_secs_f64() / all.as_secs_f64(),
        stats.1 as f64 / all.as_secs_f64()
    );
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let mut runs = 7;
    let mut dirs = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--runs" {
            runs = it.next().and_then(|n| n.parse().ok()).unwrap_or(runs);
        } else {
            dirs.push(PathBuf::from(a));
        }
    }
    if dirs.is_empty() {
        let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
        if corpus.is_dir() {
            dirs.push(corpus);
        }
    }
    for d in &dirs {
        bench(&d.display().to_string(), d, runs);
    }
    bench("generated: 1000 manifests", &generated_repo(1000), runs);
}
