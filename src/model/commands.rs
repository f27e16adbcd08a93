//! Text that would turn into GitHub Actions workflow commands.
//!
//! The runner treats a line of a step's output that starts with `::` (after leading
//! whitespace) as a workflow command, and `##[` anywhere in a line as a legacy one. When a
//! report or a policy's `print()` echoes repository content (a manifest named
//! `"api\n::set-output name=findings::0"`), that content could inject commands. Inside GitHub
//! Actions (`GITHUB_ACTIONS` set) every text tollgate writes to standard output or standard error
//! goes through [`neutralize`], in the escape of its format, so that the value is kept.

/// Whether tollgate runs inside GitHub Actions.
pub fn in_github_actions() -> bool {
    std::env::var_os("GITHUB_ACTIONS").is_some_and(|v| !v.is_empty())
}

/// How a format escapes the characters that start a command while keeping their value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Escape {
    /// Plain text: a zero-width space between the two characters (invisible, not a command).
    Plain,
    /// Inside JSON strings: `\u0023` for `#`, `\u003a` for `:`.
    Json,
    /// Markdown: backslash escapes (`\:`, `\#`), which render as the character.
    Markdown,
    /// XML: character references (`&#58;`, `&#35;`).
    Xml,
    /// The `github` format: its own `::` commands are kept, `##[` in their text neutralised.
    GithubCommands,
}

impl Escape {
    fn colon(self) -> &'static str {
        match self {
            Escape::Plain | Escape::GithubCommands => ":\u{200b}",
            Escape::Json => "\\u003a",
            Escape::Markdown => "\\:",
            Escape::Xml => "&#58;",
        }
    }
    fn hash(self) -> &'static str {
        match self {
            Escape::Plain | Escape::GithubCommands => "#\u{200b}",
            Escape::Json => "\\u0023",
            Escape::Markdown => "\\#",
            Escape::Xml => "&#35;",
        }
    }
}

/// `text` with every line that would start a command neutralised (see the module docs).
pub fn neutralize(text: &str, escape: Escape) -> String {
    if !text.contains("::") && !text.contains("##[") {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 16);
    for line in text.split_inclusive('\n') {
        let body = line.trim_start();
        let indent = &line[..line.len() - body.len()];
        out.push_str(indent);
        let body = if escape != Escape::GithubCommands && body.starts_with("::") {
            out.push_str(escape.colon());
            &body[1..]
        } else {
            body
        };
        out.push_str(&body.replace("##[", &format!("#{}[", escape.hash())));
    }
    out
}

/// [`neutralize`] when running inside GitHub Actions, else `text` unchanged.
pub fn for_output(text: &str, escape: Escape) -> String {
    if in_github_actions() {
        neutralize(text, escape)
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_line_starts_a_command_and_values_are_kept() {
        let hostile = "api\n  ::set-output name=findings::0\nweb ##[stop-commands]tok\n";
        for e in [Escape::Plain, Escape::Json, Escape::Markdown, Escape::Xml] {
            let n = neutralize(hostile, e);
            for line in n.lines() {
                assert!(!line.trim_start().starts_with("::"), "{e:?}: {line}");
                assert!(!line.contains("##["), "{e:?}: {line}");
            }
        }
        assert_eq!(
            neutralize("a ##[x", Escape::Json),
            "a #\\u0023[x",
            "a JSON string escape that decodes to the same text"
        );
        assert_eq!(
            serde_json::from_str::<String>("\"a #\\u0023[x\"").unwrap(),
            "a ##[x"
        );
        // The github format keeps its own commands.
        assert_eq!(
            neutralize("::error file=a::x ##[y\n", Escape::GithubCommands),
            "::error file=a::x ##\u{200b}[y\n"
        );
        assert_eq!(neutralize("plain text\n", Escape::Plain), "plain text\n");
    }
}
