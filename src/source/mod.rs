//! Loaders: each input kind turns a file's text into [`Document`]s, the `input` Rego sees, with
//! a span tree pointing into the original text. The shapes are documented in `docs/inputs.md`.
//!
//! # The registry of kinds
//! Every kind is one module declaring a [`KindSpec`]: its name and aliases, the category its
//! rules belong to, the files it claims by name, the report globs discovery searches even in
//! gitignored folders, and its loader. [`KINDS`] lists them, in the way ripgrep's
//! `DEFAULT_TYPES` lists file types; discovery, the configuration (`inputs:`, categories), the
//! schema and the reports read this list. A kind named by its file name (a Dockerfile, say) is
//! one new module and a line in [`KINDS`].
//!
//! Files that no kind claims by name but that may hold one (`*.yaml`, `*.json`, `*.xml`) are
//! recognised from their content by [`structured`]: Kubernetes manifests by `apiVersion` and
//! `kind`, Trivy reports and istanbul summaries by their keys, Cobertura by its root element;
//! a file named on the command line that holds none of them loads as generic YAML or JSON.

pub mod compose;
pub mod coverage;
pub mod generic;
pub mod kubernetes;
pub mod kustomize;
pub mod parse;
pub mod structured;
pub mod trivy;
pub mod trivyignore;
pub mod workflow;
pub mod yaml;

use std::path::Path;
use std::sync::Arc;

use crate::model::{Finding, Kind, Pos, Related, SourceFile, SpanNode};

/// One input document: what Rego sees as `input`, and where each part of it came from.
#[derive(Clone, Debug)]
pub struct Document {
    pub kind: Kind,
    /// Position among the file's documents (0-based): the YAML stream's order, a `kind: List`
    /// counting one per item.
    pub index: usize,
    /// What rules see as `input` (see [`crate::model::value`]).
    pub value: regorus::Value,
    pub spans: SpanNode,
    pub source: Arc<SourceFile>,
}

impl Document {
    /// A document of a loaded file, from its parsed value: the one place where a document's
    /// JSON becomes what rules see ([`crate::model::value::from_json`]).
    pub fn new(
        kind: Kind,
        index: usize,
        value: serde_json::Value,
        spans: SpanNode,
        source: Arc<SourceFile>,
    ) -> Document {
        Document {
            kind,
            index,
            value: crate::model::value::from_json(value),
            spans,
            source,
        }
    }

    pub fn path(&self) -> &str {
        &self.source.path
    }
}

/// What loading one file produced.
#[derive(Debug, Default)]
pub struct Loaded {
    pub documents: Vec<Document>,
    /// The file's text (set by the caller that read it).
    pub source: Option<Arc<SourceFile>>,
    /// `parse-error` findings.
    pub findings: Vec<Finding>,
}

impl Loaded {
    /// `parse-error` findings for a stream's errors, each saying what was not checked: the
    /// file, or (when other documents of it loaded) the document.
    pub fn add_parse_errors(&mut self, source: &Arc<SourceFile>, errors: Vec<yaml::ParseError>) {
        let note = if self.documents.is_empty() {
            NOT_RUN
        } else {
            "this document was not checked (the file's other documents were)"
        };
        for e in errors {
            let mut f = Finding::parse_error(
                source.path.clone(),
                source.rest_of_line(e.pos),
                format!("{}: {note}", e.message),
            );
            if let Some((span, message)) = e.related {
                f.related.push(Related {
                    file: source.path.clone(),
                    span,
                    message,
                });
            }
            self.findings.push(f);
        }
    }

    /// A `parse-error` at `pos`, underlined to the end of its line.
    pub fn parse_error(source: &Arc<SourceFile>, pos: Pos, message: String) -> Loaded {
        let message = if message.contains("not checked") {
            message
        } else {
            format!("{message}: {NOT_RUN}")
        };
        Loaded {
            documents: Vec::new(),
            source: None,
            findings: vec![Finding::parse_error(
                source.path.clone(),
                source.rest_of_line(pos),
                message,
            )],
        }
    }
}

/// What every parse error of a file that loaded nothing says.
pub const NOT_RUN: &str = "the file's rules were not run";

/// A `parse-error` about a report's content, at `path` in the document (the field that is
/// wrong): what `trivy::problem` and `coverage::istanbul_problem` find.
pub fn located_problem(
    source: &Arc<SourceFile>,
    spans: &SpanNode,
    (path, message): (Vec<crate::model::Seg>, String),
) -> Loaded {
    let at = crate::model::span::locate(spans, &path);
    Loaded::parse_error(source, at.span.start, message)
}

/// What a loader is told besides the file's text.
#[derive(Clone, Copy, Debug)]
pub struct LoadContext {
    /// Named on the command line: a file of no known kind still loads (as generic YAML/JSON),
    /// and one that does not parse is always an error.
    pub explicit: bool,
    pub limits: yaml::Limits,
}

/// The syntax of a file whose kind its content decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Format {
    Yaml,
    Json,
    Xml,
}

/// An input kind: everything tollgate knows about it, in one place.
pub struct KindSpec {
    pub kind: Kind,
    /// Other names accepted in METADATA `input:` and `.tollgate.yml` `inputs:`.
    pub aliases: &'static [&'static str],
    /// The category its built-in rules are filed under (usable in `select`/`ignore`).
    pub category: Option<&'static str>,
    /// One line for the docs and the schema.
    pub summary: &'static str,
    /// Whether `.tollgate.yml` `inputs:` may force this kind on files.
    pub forceable: bool,
    /// Globs (relative to the scanned folder) of reports searched even in gitignored folders.
    pub report_globs: &'static [&'static str],
    /// Whether a file is this kind by its path alone.
    pub named: fn(&Path) -> bool,
    /// Loads a file of this kind (named so, or forced by the configuration).
    pub load: Loader,
    /// What a file of this kind is checked with when files are named (pre-commit, editors).
    pub context: NamedContext,
}

/// The other files a named file of a kind is checked with: what its rules need, no more. The
/// rest of the repository is not read (`check::run` loads it; `docs/ci.md` explains).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NamedContext {
    /// Nothing else.
    Alone,
    /// Its compose stack: the compose files of its folder (the base or override it pairs
    /// with, the folder's `.env`), the stacks `.tollgate.yml` declares with it, and every file
    /// these name in `include:` or `extends.file`, transitively. A stack is whole, so
    /// project-scope rules over compose files still run.
    ComposeStack,
    /// The `kustomization.yaml` files of its folder and every folder above it up to the
    /// repository root (they say which files are patches, not manifests).
    Kustomizations,
    /// The `.trivyignore` at the repository root (read by `read::shared_data`).
    RootTrivyignore,
}

impl NamedContext {
    /// Whether a named file of this kind comes with every file a project-scope rule over the
    /// kind needs (its whole stack): such rules still run when files are named.
    pub fn is_whole(self) -> bool {
        self == NamedContext::ComposeStack
    }
}

/// How a kind's files are loaded.
#[derive(Clone, Copy)]
pub enum Loader {
    /// By the kind's own loader.
    Own(fn(&Arc<SourceFile>, LoadContext) -> Loaded),
    /// As a file whose content decides among the kinds [`structured`] recognises (a file
    /// forced to `kubernetes` is read as any YAML whose documents may be manifests).
    Content(Format),
}

/// Every input kind, in the order their name claims are tried.
pub static KINDS: &[&KindSpec] = &[
    &workflow::SPEC,
    &compose::SPEC,
    &kubernetes::SPEC,
    &coverage::SPEC,
    &trivy::SPEC,
    &trivyignore::SPEC,
    &generic::YAML_SPEC,
    &generic::JSON_SPEC,
];

/// The kind called `name` (or one of its aliases), case-insensitively.
pub fn kind_named(name: &str) -> Option<&'static KindSpec> {
    let name = name.trim().to_ascii_lowercase();
    KINDS
        .iter()
        .find(|s| s.kind.name() == name || s.aliases.contains(&name.as_str()))
        .copied()
}

/// The spec of a kind.
pub fn spec(kind: Kind) -> &'static KindSpec {
    KINDS
        .iter()
        .find(|s| s.kind == kind)
        .copied()
        .unwrap_or(&generic::YAML_SPEC)
}

/// Every report glob of the registry (discovery's default `reports`).
pub fn default_report_globs() -> Vec<String> {
    KINDS
        .iter()
        .flat_map(|s| s.report_globs.iter().map(|g| g.to_string()))
        .collect()
}

/// The categories the registry's kinds declare.
pub fn categories() -> Vec<&'static str> {
    let mut out: Vec<&str> = KINDS.iter().filter_map(|s| s.category).collect();
    out.dedup();
    out
}

/// How a file is to be loaded, decided from its path (before its content is read).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Claim {
    /// The file is of this kind (by its name, or forced by the configuration).
    Kind(Kind),
    /// The content decides (see [`structured`]).
    Content(Format),
}

use parse::ext_lower as ext;

pub(crate) fn is_yaml_path(path: &Path) -> bool {
    matches!(ext(path).as_str(), "yml" | "yaml")
}

fn is_helm_template(path: &Path) -> bool {
    path.ancestors().skip(1).any(|dir| {
        dir.file_name().is_some_and(|n| n == "templates")
            && dir.parent().is_some_and(|p| p.join("Chart.yaml").is_file())
    })
}

/// tollgate's own configuration files: read as the configuration, never as an input (a broken
/// one is one configuration error, not also a `parse-error` finding).
pub const CONFIG_FILE_NAMES: [&str; 2] = [".tollgate.yml", ".tollgate.yaml"];

/// Classifies a path by its name alone. `None`: not a file tollgate reads. Helm templates are
/// not YAML until rendered, so they are skipped, and so is tollgate's own configuration.
pub fn claim(path: &Path) -> Option<Claim> {
    if path
        .file_name()
        .is_some_and(|n| CONFIG_FILE_NAMES.iter().any(|c| n == *c))
    {
        return None;
    }
    if let Some(s) = KINDS.iter().find(|s| (s.named)(path)) {
        return Some(Claim::Kind(s.kind));
    }
    match ext(path).as_str() {
        "yml" | "yaml" if is_helm_template(path) => None,
        "yml" | "yaml" => Some(Claim::Content(Format::Yaml)),
        "json" => Some(Claim::Content(Format::Json)),
        "xml" => Some(Claim::Content(Format::Xml)),
        _ => None,
    }
}

/// The claim on a file named on the command line: by name, else by extension (JSON or YAML).
pub fn explicit_claim(path: &Path) -> Claim {
    claim(path).unwrap_or_else(|| match ext(path).as_str() {
        "json" => Claim::Content(Format::Json),
        _ => Claim::Content(Format::Yaml),
    })
}

/// Loads one file's text as claimed.
pub fn load(source: Arc<SourceFile>, claim: Claim, ctx: LoadContext) -> Loaded {
    match claim {
        Claim::Kind(kind) => match spec(kind).load {
            Loader::Own(load) => load(&source, ctx),
            Loader::Content(format) => structured::load(&source, format, ctx),
        },
        Claim::Content(format) => structured::load(&source, format, ctx),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim_of(p: &str) -> Option<Claim> {
        claim(Path::new(p))
    }

    #[test]
    fn names_claim_files_through_the_registry() {
        assert_eq!(
            claim_of(".github/workflows/ci.yml"),
            Some(Claim::Kind(workflow::KIND))
        );
        assert_eq!(
            claim_of("deploy/docker-compose.prod.yaml"),
            Some(Claim::Kind(compose::KIND))
        );
        assert_eq!(
            claim_of("web/coverage/lcov.info"),
            Some(Claim::Kind(coverage::KIND))
        );
        assert_eq!(
            claim_of("web/coverage/coverage-summary.json"),
            Some(Claim::Kind(coverage::KIND))
        );
        assert_eq!(
            claim_of(".trivyignore"),
            Some(Claim::Kind(trivyignore::KIND))
        );
        // By content: any other YAML, JSON or XML.
        assert_eq!(
            claim_of("deploy/api.yaml"),
            Some(Claim::Content(Format::Yaml))
        );
        assert_eq!(claim_of("trivy.json"), Some(Claim::Content(Format::Json)));
        assert_eq!(claim_of("coverage.xml"), Some(Claim::Content(Format::Xml)));
        // A workflow must be YAML in `.github/workflows`.
        assert_eq!(
            claim_of("workflows/ci.yml"),
            Some(Claim::Content(Format::Yaml))
        );
        assert_eq!(claim_of(".github/workflows/README.md"), None);
        assert_eq!(claim_of("src/main.rs"), None);
        // Named explicitly: by extension.
        assert_eq!(
            explicit_claim(Path::new("values.tpl")),
            Claim::Content(Format::Yaml)
        );
    }

    #[test]
    fn kinds_are_found_by_name_or_alias_and_are_unique() {
        assert_eq!(kind_named("K8s").map(|s| s.kind), Some(kubernetes::KIND));
        assert_eq!(
            kind_named("github-actions").map(|s| s.kind),
            Some(workflow::KIND)
        );
        assert!(kind_named("compse").is_none());
        let mut names: Vec<&str> = KINDS
            .iter()
            .flat_map(|s| std::iter::once(s.kind.name()).chain(s.aliases.iter().copied()))
            .collect();
        let n = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), n, "a kind name or alias is used twice");
        assert_eq!(
            categories(),
            vec!["workflow", "compose", "kubernetes", "coverage", "trivy"]
        );
        assert!(default_report_globs().contains(&"**/.trivyignore".to_string()));
    }
}
