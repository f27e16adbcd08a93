//! OPA builtins that regorus 0.14.1 lacks, as engine extensions, so that policies written for
//! OPA run unchanged (docs/opa-compatibility.md lists them):
//!
//! - `crypto.md5`, `crypto.sha1`, `crypto.sha256`: hex digests of a string;
//! - `crypto.hmac.md5`, `crypto.hmac.sha1`, `crypto.hmac.sha256`, `crypto.hmac.sha512`
//!   (`x`, `key`), and `crypto.hmac.equal` (constant-time comparison);
//! - `regex.globs_match(a, b)`: whether two glob-like patterns match a common string; as in
//!   OPA only `.`, `[…]` (with `-` ranges), `*`, `+` and `\` are special, and `*` repeats its
//!   token one or more times, as OPA's implementation does;
//! - `strings.render_template(template, vars)`: Go templates' `{{.name}}` / `{{.a.b}}`
//!   substitutions (anything else is an error, never a wrong text);
//! - `io.jwt.decode(token)`: `[header, payload, signature (hex)]`, without verification;
//! - `yaml.unmarshal(text)`, `yaml.is_valid(text)` (tollgate's YAML parser; several documents
//!   are an error, as in OPA);
//! - `net.cidr_intersects(a, b)`: whether two CIDRs (IPv4 or IPv6) overlap.
//!
//! Their results were checked against OPA (`scripts/opa-diff.py`, `tests/opa-diff/`).

use crate::model::value::from_json;
use anyhow::{anyhow, bail, Result};
use hmac::{Hmac, KeyInit, Mac};
use regorus::{Engine, Value};
use sha2::Digest;

/// The builtins added here, as `(name, number of arguments)`.
pub const ADDED: &[(&str, u8)] = &[
    ("crypto.md5", 1),
    ("crypto.sha1", 1),
    ("crypto.sha256", 1),
    ("crypto.hmac.md5", 2),
    ("crypto.hmac.sha1", 2),
    ("crypto.hmac.sha256", 2),
    ("crypto.hmac.sha512", 2),
    ("crypto.hmac.equal", 2),
    ("regex.globs_match", 2),
    ("strings.render_template", 2),
    ("io.jwt.decode", 1),
    ("yaml.unmarshal", 1),
    ("yaml.is_valid", 1),
    ("net.cidr_intersects", 2),
];

/// One YAML document as JSON.
fn yaml_value(text: &str) -> Result<serde_json::Value> {
    let lines = crate::model::LineIndex::new(text);
    let docs = crate::source::yaml::parse(text, &lines, crate::source::yaml::Limits::default())
        .map_err(|e| {
            anyhow!(
                "yaml.unmarshal: {}:{}: {}",
                e.pos.line,
                e.pos.column,
                e.message
            )
        })?;
    match docs.len() {
        0 => Ok(serde_json::Value::Null),
        1 => Ok(docs.into_iter().next().map(|d| d.value).unwrap_or_default()),
        _ => bail!("yaml.unmarshal: the text holds several documents"),
    }
}

/// A CIDR as (address bits, prefix length, address width).
fn cidr(s: &str) -> Result<(u128, u32, u32)> {
    let (addr, len) = s
        .split_once('/')
        .ok_or_else(|| anyhow!("net.cidr_intersects: invalid CIDR `{s}`"))?;
    let ip: std::net::IpAddr = addr
        .parse()
        .map_err(|_| anyhow!("net.cidr_intersects: invalid CIDR `{s}`"))?;
    let (bits, width) = match ip {
        std::net::IpAddr::V4(v) => (u128::from(u32::from(v)), 32),
        std::net::IpAddr::V6(v) => (u128::from(v), 128),
    };
    let len: u32 = len
        .parse()
        .ok()
        .filter(|l| *l <= width)
        .ok_or_else(|| anyhow!("net.cidr_intersects: invalid CIDR `{s}`"))?;
    Ok((bits, len, width))
}

fn cidr_intersects(a: &str, b: &str) -> Result<bool> {
    let (a, la, wa) = cidr(a)?;
    let (b, lb, wb) = cidr(b)?;
    if wa != wb {
        return Ok(false);
    }
    let shift = wa - la.min(lb);
    Ok(shift >= 128 || (a >> shift) == (b >> shift))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn string_arg(name: &str, args: &[Value], i: usize) -> Result<String> {
    match args.get(i) {
        Some(Value::String(s)) => Ok(s.to_string()),
        _ => bail!("{name}: operand {} must be a string", i + 1),
    }
}

fn digest(name: &str, data: &[u8]) -> String {
    match name {
        "crypto.md5" => hex(&md5::Md5::digest(data)),
        "crypto.sha1" => hex(&sha1::Sha1::digest(data)),
        _ => hex(&sha2::Sha256::digest(data)),
    }
}

fn hmac_hex(name: &str, data: &[u8], key: &[u8]) -> Result<String> {
    fn run<M: Mac + KeyInit>(data: &[u8], key: &[u8]) -> Result<String> {
        let mut mac = <M as KeyInit>::new_from_slice(key).map_err(|e| anyhow!("{e}"))?;
        mac.update(data);
        Ok(hex(&mac.finalize().into_bytes()))
    }
    match name {
        "crypto.hmac.md5" => run::<Hmac<md5::Md5>>(data, key),
        "crypto.hmac.sha1" => run::<Hmac<sha1::Sha1>>(data, key),
        "crypto.hmac.sha256" => run::<Hmac<sha2::Sha256>>(data, key),
        _ => run::<Hmac<sha2::Sha512>>(data, key),
    }
}

/// One element of a glob-like pattern: the characters it matches (`None`: any) and how often.
#[derive(Clone, Debug)]
struct Token {
    class: Option<Class>,
    min: usize,
    many: bool,
}

#[derive(Clone, Debug)]
struct Class {
    negated: bool,
    ranges: Vec<(char, char)>,
}

impl Class {
    fn single(c: char) -> Class {
        Class {
            negated: false,
            ranges: vec![(c, c)],
        }
    }
    fn contains(&self, c: char) -> bool {
        self.ranges.iter().any(|(a, b)| *a <= c && c <= *b) != self.negated
    }
}

/// Parses the pattern syntax `regex.globs_match` accepts.
fn glob_tokens(p: &str) -> Result<Vec<Token>> {
    let mut out: Vec<Token> = Vec::new();
    let mut chars = p.chars().peekable();
    while let Some(c) = chars.next() {
        let class = match c {
            '.' => None,
            '[' => {
                let negated = false;
                let mut ranges = Vec::new();
                loop {
                    let a = match chars.next() {
                        Some(']') if !ranges.is_empty() => break,
                        Some('\\') => chars.next().ok_or_else(|| anyhow!("unterminated escape"))?,
                        Some(a) => a,
                        None => bail!("unterminated character class"),
                    };
                    if chars.peek() == Some(&'-') {
                        chars.next();
                        match chars.next() {
                            Some(']') => {
                                ranges.push((a, a));
                                ranges.push(('-', '-'));
                                break;
                            }
                            Some(b) => ranges.push((a, b)),
                            None => bail!("unterminated character class"),
                        }
                    } else {
                        ranges.push((a, a));
                    }
                }
                Some(Class { negated, ranges })
            }
            '*' | '+' => {
                let last = out
                    .last_mut()
                    .ok_or_else(|| anyhow!("`{c}` has nothing to repeat"))?;
                last.many = true;
                continue;
            }
            '\\' => Some(Class::single(
                chars.next().ok_or_else(|| anyhow!("unterminated escape"))?,
            )),
            c => Some(Class::single(c)),
        };
        out.push(Token {
            class,
            min: 1,
            many: false,
        });
    }
    Ok(out)
}

/// Whether two tokens can match a common character.
fn overlap(a: &Option<Class>, b: &Option<Class>) -> bool {
    match (a, b) {
        (None, _) | (_, None) => true,
        (Some(x), Some(y)) => {
            // A common character is either a bound of a range of one class inside the other,
            // or (for negated classes) almost any character: probe the candidates.
            let mut probes: Vec<char> = Vec::new();
            for (s, e) in x.ranges.iter().chain(&y.ranges) {
                probes.extend([*s, *e]);
                for c in [*s as u32 + 1, (*e as u32).saturating_sub(1)] {
                    probes.extend(char::from_u32(c));
                }
            }
            probes.extend(['a', '0', ' ', '\u{10FFFF}', '\u{0}']);
            probes.iter().any(|c| x.contains(*c) && y.contains(*c))
        }
    }
}

/// Whether the languages of two token lists intersect.
fn intersects(a: &[Token], b: &[Token]) -> bool {
    // Expand each token into states: a token with min 1 and `many` is one mandatory copy then a
    // starred copy. Then search pairs of positions; a starred token may stay in place.
    fn expand(ts: &[Token]) -> Vec<(Option<Class>, bool)> {
        let mut out = Vec::new();
        for t in ts {
            if t.min == 1 {
                out.push((t.class.clone(), false));
            }
            if t.many || t.min == 0 {
                out.push((t.class.clone(), t.many));
            }
        }
        out
    }
    // `optional[i]`: the token may be skipped (min 0).
    fn optional(ts: &[Token]) -> Vec<bool> {
        let mut out = Vec::new();
        for t in ts {
            if t.min == 1 {
                out.push(false);
            }
            if t.many || t.min == 0 {
                out.push(true);
            }
        }
        out
    }
    let (xa, xb) = (expand(a), expand(b));
    let (oa, ob) = (optional(a), optional(b));
    let mut seen = std::collections::HashSet::new();
    let mut stack = vec![(0usize, 0usize)];
    while let Some((i, j)) = stack.pop() {
        if !seen.insert((i, j)) {
            continue;
        }
        if i == xa.len() && j == xb.len() {
            return true;
        }
        if i < xa.len() && oa[i] {
            stack.push((i + 1, j));
        }
        if j < xb.len() && ob[j] {
            stack.push((i, j + 1));
        }
        if i < xa.len() && j < xb.len() && overlap(&xa[i].0, &xb[j].0) {
            // Both consume one character; a repeating token may stay.
            stack.push((i + 1, j + 1));
            if xa[i].1 {
                stack.push((i, j + 1));
            }
            if xb[j].1 {
                stack.push((i + 1, j));
            }
        }
    }
    false
}

/// Go templates' `{{.a.b}}` substitutions; any other action is an error.
fn render_template(template: &str, vars: &Value) -> Result<String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| anyhow!("strings.render_template: unclosed action"))?;
        let action = after[..end].trim_matches(|c: char| c == '-' || c.is_whitespace());
        let path = action.strip_prefix('.').ok_or_else(|| {
            anyhow!("strings.render_template: only `{{{{.field}}}}` actions are supported")
        })?;
        let mut v = vars.clone();
        if !path.is_empty() {
            for key in path.split('.') {
                if key.is_empty() || !key.chars().all(|c| c.is_alphanumeric() || c == '_') {
                    bail!("strings.render_template: only `{{{{.field}}}}` actions are supported");
                }
                v = v[&Value::from(key)].clone();
            }
        }
        match v {
            Value::Undefined => out.push_str("<no value>"),
            Value::String(s) => out.push_str(&s),
            other => out.push_str(&other.to_json_str().map_err(|e| anyhow!("{e}"))?),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

fn jwt_decode(token: &str) -> Result<Value> {
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        bail!("io.jwt.decode: encoded JWT had no period separators");
    }
    let b64 = |s: &str| -> Result<Vec<u8>> {
        data_encoding::BASE64URL_NOPAD
            .decode(s.trim_end_matches('=').as_bytes())
            .map_err(|e| anyhow!("io.jwt.decode: {e}"))
    };
    let json = |s: &str| -> Result<Value> {
        let bytes = b64(s)?;
        let v: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| anyhow!("io.jwt.decode: {e}"))?;
        Ok(from_json(v))
    };
    Ok(Value::from(vec![
        json(parts[0])?,
        json(parts[1])?,
        Value::from(hex(&b64(parts[2])?)),
    ]))
}

/// Registers the builtins on `engine`.
pub fn register(engine: &mut Engine) {
    for (name, nargs) in ADDED {
        let n = *name;
        let _ = engine.add_extension(
            n.to_string(),
            *nargs,
            Box::new(move |args: Vec<Value>| -> Result<Value> {
                Ok(match n {
                    "crypto.md5" | "crypto.sha1" | "crypto.sha256" => {
                        Value::from(digest(n, string_arg(n, &args, 0)?.as_bytes()))
                    }
                    "crypto.hmac.equal" => {
                        let (a, b) = (string_arg(n, &args, 0)?, string_arg(n, &args, 1)?);
                        // Constant time over the longer input.
                        let len = a.len().max(b.len());
                        let (a, b) = (a.as_bytes(), b.as_bytes());
                        let mut diff = (a.len() != b.len()) as u8;
                        for i in 0..len {
                            diff |= a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0);
                        }
                        Value::from(diff == 0)
                    }
                    "regex.globs_match" => {
                        let (a, b) = (string_arg(n, &args, 0)?, string_arg(n, &args, 1)?);
                        let ta = glob_tokens(&a).map_err(|e| anyhow!("{n}: {e}"))?;
                        let tb = glob_tokens(&b).map_err(|e| anyhow!("{n}: {e}"))?;
                        Value::from(intersects(&ta, &tb))
                    }
                    "strings.render_template" => {
                        let t = string_arg(n, &args, 0)?;
                        Value::from(render_template(
                            &t,
                            args.get(1).unwrap_or(&Value::Undefined),
                        )?)
                    }
                    "io.jwt.decode" => jwt_decode(&string_arg(n, &args, 0)?)?,
                    "yaml.unmarshal" => from_json(yaml_value(&string_arg(n, &args, 0)?)?),
                    "yaml.is_valid" => match args.first() {
                        Some(Value::String(s)) => Value::from(yaml_value(s).is_ok()),
                        _ => Value::from(false),
                    },
                    "net.cidr_intersects" => Value::from(cidr_intersects(
                        &string_arg(n, &args, 0)?,
                        &string_arg(n, &args, 1)?,
                    )?),
                    hmac_name => {
                        let (x, key) = (string_arg(n, &args, 0)?, string_arg(n, &args, 1)?);
                        Value::from(hmac_hex(hmac_name, x.as_bytes(), key.as_bytes())?)
                    }
                })
            }),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        let m = |a: &str, b: &str| intersects(&glob_tokens(a).unwrap(), &glob_tokens(b).unwrap());
        assert!(m("a.a.[0-9]+z", ".b.b2359825792*594823z"));
        assert!(!m("[a-z]+", "[0-9]+"));
        assert!(m("a.*", "a.b"));
        assert!(!m("abc", "abd"));
        // As OPA answers: `?` and `^` are plain characters, `*` repeats at least once.
        assert!(!m("ab?c", "ac"));
        assert!(m("a[^b]c", "abc"));
        assert!(!m("ab+c", "ac"));
        assert!(!m("xa*", "x"));
        assert!(m("xa*", "xaa"));
        assert!(glob_tokens("[a").is_err());
    }

    #[test]
    fn templates() {
        let vars = Value::from(serde_json::json!({"name": "bob", "o": {"k": 3}}));
        assert_eq!(
            render_template("Hi {{.name}} {{ .o.k }} {{.none}}", &vars).unwrap(),
            "Hi bob 3 <no value>"
        );
        assert!(render_template("{{range .x}}", &vars).is_err());
    }
}
