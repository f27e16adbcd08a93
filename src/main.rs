use clap::Parser;

fn main() {
    // regorus reports undefined values and caught builtin errors as `anyhow` errors on hot
    // paths; with `RUST_BACKTRACE=1` (common in CI) each would capture a backtrace (a profile
    // showed unwinding among the top symbols). Error backtraces are never printed here, so they
    // are off; panics still honour `RUST_BACKTRACE`. Set before any thread starts.
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        // SAFETY: the process is still single-threaded.
        unsafe { std::env::set_var("RUST_LIB_BACKTRACE", "0") };
    }
    let cli = match tollgate::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    std::process::exit(tollgate::cli::run(cli));
}
