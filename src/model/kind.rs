//! The name of an input kind (`workflow`, `kubernetes`, …). What each kind is (its file names,
//! how its content is recognised and loaded) is declared once in the registry of
//! `crate::source`; the model only carries the name, so that findings, outcomes and reports
//! can say what a file was without depending on the loaders.

use std::fmt;

/// An input kind, by its stable name (the name policies use in METADATA `input:`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Kind(pub &'static str);

impl Kind {
    pub fn name(self) -> &'static str {
        self.0
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}
