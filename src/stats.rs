//! What a run did, for `--timings`: every file read because of the check (the inputs, the
//! configuration, data files, a `.trivyignore`, a compose `.env`, …), recorded where it is
//! read. A named-file run proves through this list that it read only the context its rules
//! need (`tests/named.rs`).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

static READS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Records that `path` is read (once per read; the same file read twice counts twice).
pub fn file_read(path: &Path) {
    if let Ok(mut reads) = READS.lock() {
        reads.push(path.to_path_buf());
    }
}

/// The files read so far, in order.
pub fn files_read() -> Vec<PathBuf> {
    READS.lock().map(|r| r.clone()).unwrap_or_default()
}

/// Forgets the files read so far (one process may run several checks, e.g. in tests).
pub fn reset() {
    if let Ok(mut reads) = READS.lock() {
        reads.clear();
    }
}

/// Records that `path` is read and returns it (for use inside a call).
pub fn recorded(path: &Path) -> &Path {
    file_read(path);
    path
}
