//! docker compose files: `compose*.y{a,}ml` and `docker-compose*.y{a,}ml`, as written.

use std::path::Path;
use std::sync::Arc;

use super::parse::{each_document, parse_structured};
use super::{KindSpec, LoadContext, Loaded, Loader};
use crate::model::{Kind, SourceFile};

pub const KIND: Kind = Kind("compose");

fn named(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    super::is_yaml_path(path) && (name.starts_with("compose") || name.starts_with("docker-compose"))
}

fn load(source: &Arc<SourceFile>, ctx: LoadContext) -> Loaded {
    match parse_structured(source, false, ctx.limits) {
        Ok(docs) => each_document(source, KIND, docs),
        Err(e) => Loaded::parse_error(source, e.pos, e.message),
    }
}

pub static SPEC: KindSpec = KindSpec {
    kind: KIND,
    aliases: &["docker-compose"],
    category: Some("compose"),
    summary: "docker compose files (`compose*.yaml`, `docker-compose*.yml`)",
    forceable: true,
    report_globs: &[],
    named,
    load: Loader::Own(load),
};
