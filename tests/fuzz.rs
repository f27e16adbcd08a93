//! Mutation fuzzing of the loaders (issue 10): the YAML loader (through every YAML kind), the
//! coverage parsers (lcov, Cobertura, istanbul), the Trivy report and `.trivyignore` loaders.
//!
//! Each target mutates the fixtures of the built-in pack (byte flips, deletions, duplicated
//! slices, splices between seeds, and tokens that parsers find hard: anchors, aliases, merge
//! keys, deep brackets, entities, huge numbers) with proptest's generators, and checks that the
//! loader returns (documents or located findings) without panicking. A panic fails the test
//! with the input saved under `target/fuzz-failures/`.
//!
//! `cargo test --test fuzz` runs each target for `TOLLGATE_FUZZ_SECONDS` (default 2) seconds
//! with a fixed seed; `.ci/run` runs a capped longer round with a random seed.

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tollgate::model::SourceFile;
use tollgate::source::{self, yaml, Claim, LoadContext};

/// Inputs are capped at this size, as the size limit caps real files (cheaply, here).
const MAX_INPUT: usize = 256 * 1024;

struct Target {
    name: &'static str,
    /// Which fixture files seed it (by file name).
    seeds: fn(&str) -> bool,
    /// Tokens worth inserting.
    tokens: &'static [&'static str],
}

const YAML_TOKENS: &[&str] = &[
    "&a ",
    "*a",
    "<<: *a\n",
    "[",
    "]",
    "{",
    "}",
    "\"",
    "'",
    "\n- ",
    ": ",
    "!!binary ",
    "---\n",
    "...\n",
    "? ",
    "|\n",
    ">-\n",
    "#",
    "\t",
    "%YAML 1.2\n",
    "\u{feff}",
    "1e999",
    "-0",
    ".nan",
    "18446744073709551616",
    "0x",
    "~",
    "null",
    "&b [*a, *a, *a, *a]\n",
    "!tag ",
    "\r\n",
    "\\",
    "# tollgate: ignore[k8s-probes] expires=2099-01-01 x\n",
    "on:",
    "jobs:",
    "kind: List\n",
];
const XML_TOKENS: &[&str] = &[
    "<!DOCTYPE x [<!ENTITY e \"aaaa\">]>",
    "&e;",
    "<![CDATA[",
    "]]>",
    "lines-covered=\"",
    "lines-valid=\"",
    "line-rate=\"",
    "NaN",
    "-1",
    "1e400",
    "18446744073709551615",
    "<",
    ">",
    "/>",
    "\"",
    "<coverage ",
    "<package ",
    "<class ",
    "<line number=\"1\" hits=\"",
    "&amp;",
];
const JSON_TOKENS: &[&str] = &[
    "null",
    "[]",
    "{}",
    "\"Severity\": [\"HIGH\"]",
    "\"Vulnerabilities\": \"none\"",
    "\"SchemaVersion\": \"two\"",
    "1e400",
    "-1",
    "18446744073709551615",
    "\"covered\": ",
    "\"total\": 0",
    "\"pct\": \"Unknown\"",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    "\"",
    "\\u0000",
];
const LCOV_TOKENS: &[&str] = &[
    "LF:",
    "LH:",
    "DA:1,",
    "end_of_record\n",
    "FNDA:",
    "BRDA:1,0,0,-\n",
    "SF:",
    "TN:\n",
    "18446744073709551616",
    "-1",
    "VER:2\n",
    "FNL:0,1,2\n",
    "FNA:0,1,f\n",
    "\n",
    ",",
    ":",
];
const TRIVYIGNORE_TOKENS: &[&str] = &[
    "CVE-2024-0001",
    "exp:",
    "exp:2099-13-45",
    "# tollgate: ignore[trivy-vulnerability] x",
    "\r\n",
    "\n",
    "#",
    " ",
    "statement:",
    "GHSA-",
    "AVD-",
    "\u{feff}",
];

const TARGETS: &[Target] = &[
    Target {
        name: "yaml",
        seeds: |n| n.ends_with(".yaml") || n.ends_with(".yml"),
        tokens: YAML_TOKENS,
    },
    Target {
        name: "lcov",
        seeds: |n| n.ends_with(".info") || n.ends_with(".lcov"),
        tokens: LCOV_TOKENS,
    },
    Target {
        name: "cobertura",
        seeds: |n| n.ends_with(".xml"),
        tokens: XML_TOKENS,
    },
    Target {
        name: "istanbul",
        seeds: |n| n == "coverage-summary.json",
        tokens: JSON_TOKENS,
    },
    Target {
        name: "trivy",
        seeds: |n| n.starts_with("trivy") && n.ends_with(".json"),
        tokens: JSON_TOKENS,
    },
    Target {
        name: "trivyignore",
        seeds: |n| n == ".trivyignore",
        tokens: TRIVYIGNORE_TOKENS,
    },
];

fn fixture_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            fixture_files(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// (file name, bytes) of every seed of `t`, sorted.
fn seeds(t: &Target) -> Vec<(String, Vec<u8>)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    fixture_files(&root.join("policies"), &mut files);
    fixture_files(&root.join("fixtures"), &mut files);
    files.sort();
    files
        .into_iter()
        .filter_map(|p| {
            let name = p.file_name()?.to_string_lossy().to_string();
            if !(t.seeds)(&name) {
                return None;
            }
            Some((name, std::fs::read(&p).ok()?))
        })
        .collect()
}

/// One mutation step, from four random numbers.
type Step = (u8, u32, u32, u32);

fn mutate(t: &Target, seeds: &[(String, Vec<u8>)], seed: usize, steps: &[Step]) -> Vec<u8> {
    let mut b = seeds[seed % seeds.len()].1.clone();
    for &(op, x, y, z) in steps {
        let len = b.len().max(1);
        let at = x as usize % (b.len() + 1);
        match op % 7 {
            0 if !b.is_empty() => {
                let i = at.min(b.len() - 1);
                b[i] = y as u8;
            }
            1 => {
                let tok = t.tokens[y as usize % t.tokens.len()].as_bytes();
                b.splice(at..at, tok.iter().copied());
            }
            2 => {
                let end = (at + (y as usize % 64)).min(b.len());
                b.drain(at..end);
            }
            3 => {
                // Duplicate a slice somewhere else: nesting, repeated keys, long lines.
                let start = y as usize % len;
                let end = (start + (z as usize % 256)).min(b.len());
                if start < end {
                    let slice = b[start..end].to_vec();
                    b.splice(at..at, slice);
                }
            }
            4 => {
                // Splice from another seed.
                let other = &seeds[y as usize % seeds.len()].1;
                if !other.is_empty() {
                    let start = z as usize % other.len();
                    let end = (start + 128).min(other.len());
                    b.splice(at..at, other[start..end].iter().copied());
                }
            }
            5 => {
                // A token repeated: deep brackets, many aliases.
                let tok = t.tokens[y as usize % t.tokens.len()].repeat(1 + z as usize % 300);
                b.splice(at..at, tok.into_bytes());
            }
            _ => {
                // Change a digit run into a boundary number.
                let n = [
                    "0",
                    "-1",
                    "4294967296",
                    "18446744073709551615",
                    "1e308",
                    "NaN",
                ][y as usize % 6];
                b.splice(at..at, n.bytes());
            }
        }
        b.truncate(MAX_INPUT);
    }
    b
}

/// Loads `bytes` as `name` would be, as the load stage does (text only: invalid UTF-8 is a
/// located error before any loader).
fn load(name: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes).into_owned();
    let path = Path::new(name);
    let claim = source::claim(path).unwrap_or_else(|| source::explicit_claim(path));
    let source = SourceFile::new(name.to_string(), text);
    let ctx = LoadContext {
        explicit: true,
        limits: yaml::Limits::default(),
    };
    let loaded = source::load(source.clone(), claim, ctx);
    // Every finding is located inside the file (an error at the end of the file underlines
    // the one column after it).
    let end = source.text.len();
    for f in &loaded.findings {
        assert!(
            f.span.start.offset <= end && f.span.end.offset <= end + 1,
            "{f:?}"
        );
        assert!(f.span.start.line >= 1 && f.span.start.column >= 1, "{f:?}");
    }
    if name.ends_with(".yaml") || name.ends_with(".yml") {
        let _ = yaml::parse(&source.text, &source.lines, yaml::Limits::default());
        let _ = source::load(source, Claim::Content(source::Format::Yaml), ctx);
    }
}

fn budget() -> (Duration, bool) {
    match std::env::var("TOLLGATE_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
    {
        Some(s) if s > 0.0 => (Duration::from_secs_f64(s), true),
        _ => (Duration::from_secs(2), false),
    }
}

/// An input that takes longer than this is a hang: the watchdog saves it and aborts.
const SLOW: Duration = Duration::from_secs(20);

fn failure_file(target: &str, what: &str, name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-failures");
    let _ = std::fs::create_dir_all(&dir);
    dir.join(format!("{target}-{what}-{name}"))
}

/// The input being loaded, and since when, for the watchdog.
type Current = std::sync::Arc<std::sync::Mutex<Option<(String, Vec<u8>, Instant)>>>;

/// Watches `current`: an input running longer than [`SLOW`] is saved, and the process aborts
/// (a hang cannot be unwound).
fn watchdog(
    target: &'static str,
    current: Current,
    done: std::sync::Arc<std::sync::atomic::AtomicBool>,
) {
    std::thread::spawn(move || {
        while !done.load(std::sync::atomic::Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(500));
            let guard = current.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((name, input, since)) = guard.as_ref() {
                if since.elapsed() > SLOW {
                    let file = failure_file(target, "slow", name);
                    let _ = std::fs::write(&file, input);
                    eprintln!(
                        "fuzz target {target}: one input ran for over {}s (saved as {}): aborting",
                        SLOW.as_secs(),
                        file.display()
                    );
                    std::process::abort();
                }
            }
        }
    });
}

fn fuzz(t: &'static Target) {
    let seeds = seeds(t);
    assert!(!seeds.is_empty(), "no seeds for {}", t.name);
    let (budget, random) = budget();
    let mut runner = if random {
        TestRunner::new(Config::default())
    } else {
        TestRunner::new_with_rng(
            Config::default(),
            TestRng::deterministic_rng(RngAlgorithm::ChaCha),
        )
    };
    let strategy = (
        0..seeds.len(),
        proptest::collection::vec(
            (
                proptest::num::u8::ANY,
                proptest::num::u32::ANY,
                proptest::num::u32::ANY,
                proptest::num::u32::ANY,
            ),
            1..12,
        ),
    );
    let start = Instant::now();
    let (mut runs, mut slowest) = (0u64, Duration::ZERO);
    let current: Current = Default::default();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    watchdog(t.name, current.clone(), done.clone());
    while start.elapsed() < budget {
        let (seed, steps) = strategy.new_tree(&mut runner).expect("a value").current();
        let input = mutate(t, &seeds, seed, &steps);
        let name = seeds[seed].0.clone();
        let one = Instant::now();
        *current.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((name.clone(), input.clone(), one));
        let result = std::panic::catch_unwind(|| load(&name, &input));
        *current.lock().unwrap_or_else(|e| e.into_inner()) = None;
        slowest = slowest.max(one.elapsed());
        runs += 1;
        if result.is_err() {
            done.store(true, std::sync::atomic::Ordering::Relaxed);
            let file = failure_file(t.name, &runs.to_string(), &name);
            let _ = std::fs::write(&file, &input);
            panic!(
                "fuzz target {}: the loader panicked on a mutation of {name} (saved as {})",
                t.name,
                file.display()
            );
        }
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    eprintln!(
        "fuzz {}: {runs} inputs in {:.1}s from {} seeds, no panic; slowest input {:.0} ms",
        t.name,
        start.elapsed().as_secs_f64(),
        seeds.len(),
        slowest.as_secs_f64() * 1000.0
    );
}

#[test]
fn fuzz_yaml() {
    fuzz(&TARGETS[0]);
}

#[test]
fn fuzz_lcov() {
    fuzz(&TARGETS[1]);
}

#[test]
fn fuzz_cobertura() {
    fuzz(&TARGETS[2]);
}

#[test]
fn fuzz_istanbul() {
    fuzz(&TARGETS[3]);
}

#[test]
fn fuzz_trivy() {
    fuzz(&TARGETS[4]);
}

#[test]
fn fuzz_trivyignore() {
    fuzz(&TARGETS[5]);
}

/// The mutator itself: deterministic, bounded, and it changes the seed.
#[test]
fn mutations_are_bounded_and_change_the_input() {
    let t = &TARGETS[0];
    let seeds = vec![("a.yaml".to_string(), b"a: 1\n".to_vec())];
    let steps: Vec<Step> = (0..12).map(|i| (5, i, i * 7, 1000)).collect();
    let out = mutate(t, &seeds, 0, &steps);
    assert!(out.len() <= MAX_INPUT);
    assert_ne!(out, seeds[0].1);
    assert_eq!(out, mutate(t, &seeds, 0, &steps));
}
