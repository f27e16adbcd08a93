//! GitHub Actions workflows: the YAML files in `.github/workflows/`, as written (YAML 1.2 core
//! schema, so the `on:` key stays `on`).

use std::path::Path;
use std::sync::Arc;

use super::parse::load_stream;
use super::{KindSpec, LoadContext, Loaded, Loader};
use crate::model::{Kind, SourceFile};

pub const KIND: Kind = Kind("workflow");

/// `.github/workflows/*.y{a,}ml`.
fn named(path: &Path) -> bool {
    let parent = path.parent();
    super::is_yaml_path(path)
        && parent
            .and_then(Path::file_name)
            .is_some_and(|n| n == "workflows")
        && parent
            .and_then(Path::parent)
            .and_then(Path::file_name)
            .is_some_and(|n| n == ".github")
}

fn load(source: &Arc<SourceFile>, ctx: LoadContext) -> Loaded {
    load_stream(source, ctx, KIND)
}

pub static SPEC: KindSpec = KindSpec {
    kind: KIND,
    aliases: &["workflows", "github-workflow", "github-actions"],
    category: Some("workflow"),
    summary: "GitHub Actions workflows (`.github/workflows/*.yml`)",
    forceable: true,
    report_globs: &[],
    named,
    load: Loader::Own(load),
    context: super::NamedContext::Alone,
};
