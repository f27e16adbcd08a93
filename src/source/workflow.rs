//! GitHub Actions workflows: the YAML files in `.github/workflows/`, as written (YAML 1.2 core
//! schema, so the `on:` key stays `on`).

use std::path::Path;
use std::sync::Arc;

use super::parse::{parse_yaml, stream_documents};
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
    let parsed = parse_yaml(source, ctx.limits, super::yaml::Schema::Core);
    stream_documents(source, KIND, parsed)
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
};
