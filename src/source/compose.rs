//! docker compose files: `compose*.y{a,}ml` and `docker-compose*.y{a,}ml`, as written.

use std::path::Path;
use std::sync::Arc;

use super::parse::{file_name_lower, load_stream};
use super::{KindSpec, LoadContext, Loaded, Loader};
use crate::model::{Kind, SourceFile};

pub const KIND: Kind = Kind("compose");

fn named(path: &Path) -> bool {
    let name = file_name_lower(path);
    super::is_yaml_path(path) && (name.starts_with("compose") || name.starts_with("docker-compose"))
}

fn load(source: &Arc<SourceFile>, ctx: LoadContext) -> Loaded {
    load_stream(source, ctx, KIND)
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
