//! Confined file reading: the one way tollgate reads a file *because repository content named
//! it* (the discovered `.tollgate.yml`, its `data:` and `policies:`, the `.trivyignore` at the
//! scan root, files read by policies through `parse_config_file`).
//!
//! Such a file must be a regular file that lies inside one of the allowed folders *after
//! resolving symlinks*, and no larger than the size limit; otherwise it is refused. A
//! [`ConfinedError`] never quotes the file's content (only its displayed path), so a refusal
//! cannot leak `/etc/passwd` or `/proc/self/environ` into annotations.
//!
//! Paths given on the command line by the user are not confined (the user may point anywhere):
//! read those with [`read_limited`], which keeps only the size limit and the regular-file check.
//!
//! ```no_run
//! use tollgate::confined::Confinement;
//! let repo = Confinement::new(tollgate::confined::repository_root(std::path::Path::new(".")));
//! let text = repo.read_to_string(std::path::Path::new(".tollgate.yml"), 1 << 20);
//! ```

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The size limit for files that are not checked inputs (configuration, data, policies'
/// reads): 10 MiB, as the default for checked files.
pub const DEFAULT_LIMIT: u64 = 10 * 1024 * 1024;

/// Why a file was not read. The messages name the file (as the caller displays it) and never
/// its content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfinedError {
    /// The file does not exist or cannot be opened (`io::ErrorKind` text only).
    Io(String),
    /// After resolving symlinks, the file lies outside every allowed folder.
    Outside,
    /// Not a regular file (a FIFO, a device, a folder, a socket).
    NotRegular,
    /// Larger than the limit (`size` is what was seen: the length, or the bytes read so far).
    TooLarge { size: u64, limit: u64 },
    /// Not valid UTF-8 at this byte offset ([`Confinement::read_to_string`] only).
    NotUtf8 { at: usize },
}

impl fmt::Display for ConfinedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfinedError::Io(e) => write!(f, "cannot read: {e}"),
            ConfinedError::Outside => {
                write!(f, "refused: it resolves outside the repository")
            }
            ConfinedError::NotRegular => write!(f, "refused: not a regular file"),
            ConfinedError::TooLarge { size, limit } => write!(
                f,
                "refused: {:.1} MiB, over the size limit of {:.1} MiB",
                *size as f64 / 1048576.0,
                *limit as f64 / 1048576.0
            ),
            ConfinedError::NotUtf8 { at } => write!(f, "invalid UTF-8 at byte {at}"),
        }
    }
}

impl std::error::Error for ConfinedError {}

fn io_error(e: &std::io::Error) -> ConfinedError {
    // The kind only: an OS message never carries content, but keep it short and stable.
    ConfinedError::Io(match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        k => k.to_string(),
    })
}

/// The repository a folder belongs to: the nearest ancestor (or itself) holding `.git`, else
/// the folder itself; absolute and with symlinks resolved where possible.
pub fn repository_root(dir: &Path) -> PathBuf {
    let abs = std::path::absolute(if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    })
    .unwrap_or_else(|_| dir.to_path_buf());
    let abs = std::fs::canonicalize(&abs).unwrap_or(abs);
    for d in abs.ancestors() {
        if d.join(".git").exists() {
            return d.to_path_buf();
        }
    }
    abs
}

/// A set of folders files may be read from.
#[derive(Clone, Debug, Default)]
pub struct Confinement {
    /// Canonical roots; a root that does not exist is dropped.
    roots: Vec<PathBuf>,
}

impl Confinement {
    /// Reads only under `root`.
    pub fn new(root: impl AsRef<Path>) -> Confinement {
        Confinement::with_roots([root])
    }

    /// Reads only under one of `roots` (folders, or single files allowing just themselves).
    pub fn with_roots<P: AsRef<Path>>(roots: impl IntoIterator<Item = P>) -> Confinement {
        Confinement {
            roots: roots
                .into_iter()
                .filter_map(|r| std::fs::canonicalize(r.as_ref()).ok())
                .collect(),
        }
    }

    /// The canonical roots.
    pub fn roots(&self) -> &[PathBuf] {
        &self.roots
    }

    /// Whether `path` resolves (symlinks followed) inside a root. Returns the resolved path.
    pub fn resolve(&self, path: &Path) -> Result<PathBuf, ConfinedError> {
        let real = std::fs::canonicalize(path).map_err(|e| io_error(&e))?;
        if self.roots.iter().any(|r| real.starts_with(r)) {
            Ok(real)
        } else {
            Err(ConfinedError::Outside)
        }
    }

    /// Reads `path`: a regular file inside a root, at most `limit` bytes.
    pub fn read(&self, path: &Path, limit: u64) -> Result<Vec<u8>, ConfinedError> {
        let real = self.resolve(path)?;
        read_limited(&real, limit)
    }

    /// [`Confinement::read`] as UTF-8 text (a leading byte-order mark is dropped).
    pub fn read_to_string(&self, path: &Path, limit: u64) -> Result<String, ConfinedError> {
        utf8(self.read(path, limit)?)
    }
}

/// Reads a regular file of at most `limit` bytes, wherever it is (for paths the user named).
/// The limit holds even if the file grows while being read.
pub fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, ConfinedError> {
    let meta = std::fs::metadata(path).map_err(|e| io_error(&e))?;
    if !meta.is_file() {
        return Err(ConfinedError::NotRegular);
    }
    if meta.len() > limit {
        return Err(ConfinedError::TooLarge {
            size: meta.len(),
            limit,
        });
    }
    crate::stats::file_read(path);
    let f = std::fs::File::open(path).map_err(|e| io_error(&e))?;
    read_capped(f, limit)
}

/// Reads at most `limit` bytes from `r`; more is [`ConfinedError::TooLarge`].
pub fn read_capped(r: impl Read, limit: u64) -> Result<Vec<u8>, ConfinedError> {
    let mut out = Vec::new();
    r.take(limit.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| io_error(&e))?;
    if out.len() as u64 > limit {
        return Err(ConfinedError::TooLarge {
            size: out.len() as u64,
            limit,
        });
    }
    Ok(out)
}

/// Bytes as UTF-8 text without a leading byte-order mark.
pub fn utf8(bytes: Vec<u8>) -> Result<String, ConfinedError> {
    let text = String::from_utf8(bytes).map_err(|e| ConfinedError::NotUtf8 {
        at: e.utf8_error().valid_up_to(),
    })?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(t) => t.to_string(),
        None => text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let p =
            std::env::temp_dir().join(format!("tollgate-confined-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(p.join("repo/sub")).unwrap();
        p
    }

    #[test]
    fn reads_inside_and_refuses_outside_and_oversize() {
        let d = scratch("basic");
        std::fs::write(d.join("repo/sub/a.yml"), "a: 1\n").unwrap();
        std::fs::write(d.join("secret"), "TOKEN=abc\n").unwrap();
        let c = Confinement::new(d.join("repo"));
        assert_eq!(
            c.read_to_string(&d.join("repo/sub/a.yml"), 100).unwrap(),
            "a: 1\n"
        );
        assert_eq!(c.read(&d.join("secret"), 100), Err(ConfinedError::Outside));
        assert_eq!(
            c.read(&d.join("repo/../secret"), 100),
            Err(ConfinedError::Outside)
        );
        assert!(matches!(
            c.read(&d.join("repo/sub/a.yml"), 2),
            Err(ConfinedError::TooLarge { size: 5, limit: 2 })
        ));
        assert_eq!(
            c.read(&d.join("repo/sub"), 100),
            Err(ConfinedError::NotRegular)
        );
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(d.join("secret"), d.join("repo/link")).unwrap();
            std::os::unix::fs::symlink(d.join("repo/sub/a.yml"), d.join("repo/in")).unwrap();
            let e = c.read(&d.join("repo/link"), 100).unwrap_err();
            assert_eq!(e, ConfinedError::Outside);
            assert!(!e.to_string().contains("TOKEN"));
            assert_eq!(c.read(&d.join("repo/in"), 100).unwrap(), b"a: 1\n");
            let dev = Confinement::new("/dev");
            assert_eq!(
                dev.read(Path::new("/dev/zero"), 100),
                Err(ConfinedError::NotRegular)
            );
        }
        assert_eq!(
            read_capped(std::io::repeat(0).take(1000), 10),
            Err(ConfinedError::TooLarge {
                size: 11,
                limit: 10
            })
        );
        let _ = std::fs::remove_dir_all(&d);
    }
}
