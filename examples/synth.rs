//! Writes a synthetic repository for benchmarks:
//! `cargo run --release --example synth -- OUT_DIR N` (see `tests/common/synth.rs` for what is
//! in it). Prints the files, documents and planted findings per rule as JSON.

#[path = "../tests/common/synth.rs"]
mod synth;

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(out), Some(n)) = (
        args.next(),
        args.next().and_then(|n| n.parse::<usize>().ok()),
    ) else {
        eprintln!("usage: synth OUT_DIR N");
        std::process::exit(2);
    };
    let root = std::path::PathBuf::from(out);
    if root.exists()
        && std::fs::read_dir(&root)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        eprintln!("error: {} exists and is not empty", root.display());
        std::process::exit(2);
    }
    let s = synth::generate(&root, n);
    let expected: Vec<String> = s
        .expected
        .iter()
        .map(|(k, v)| format!("\"{k}\": {v}"))
        .collect();
    println!(
        "{{\"files\": {}, \"documents\": {}, \"expected\": {{{}}}}}",
        s.files,
        s.documents,
        expected.join(", ")
    );
}
