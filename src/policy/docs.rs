//! `docs/rules.md`: every built-in rule's documentation (from its README) and tollgate's own
//! rules (from the catalog), in one page with an anchor per id.

use super::Rule;
use crate::model::catalog::OWN_RULES;

/// The text of `docs/rules.md`.
pub fn rules_markdown(rules: &[Rule]) -> String {
    let mut out = String::from(
        "# Built-in rules\n\n<!-- Generated from policies/*/*/README.md by `UPDATE_DOCS=1 cargo test --test pack`. -->\n\n| id | input | severity | title |\n|---|---|---|---|\n",
    );
    let builtin: Vec<&Rule> = rules.iter().filter(|r| r.builtin).collect();
    for r in &builtin {
        out.push_str(&format!(
            "| [`{}`](#{}) | {} | {} | {} |\n",
            r.id,
            r.id,
            r.input_names(),
            r.severity.name(),
            r.title.as_deref().unwrap_or("")
        ));
    }
    for own in OWN_RULES {
        out.push_str(&format!(
            "| [`{id}`](#{id}) | any | {sev} | {title} (tollgate's own rule) |\n",
            id = own.id,
            sev = own.severity,
            title = own.title
        ));
    }
    for r in &builtin {
        out.push_str(&format!("\n<a id=\"{}\"></a>\n\n", r.id));
        let readme = r.readme.clone().unwrap_or_else(|| format!("# {}\n", r.id));
        // Each README starts with `# id`: nest it one level down.
        for line in readme.lines() {
            if line.starts_with('#') {
                out.push('#');
            }
            out.push_str(line);
            out.push('\n');
        }
    }
    out.push_str("\n## tollgate's own rules\n");
    for own in OWN_RULES {
        out.push_str(&format!(
            "\n<a id=\"{id}\"></a>\n\n### {id}\n\n**Severity:** {sev} · {title}\n\n{doc}\n",
            id = own.id,
            sev = own.severity,
            title = own.title,
            doc = own.description
        ));
    }
    out
}
