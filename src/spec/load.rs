//! Reading `mbgen.toml` into a [`ConfigSpec`], with every error of the file reported at once.
//!
//! serde stops at the first error. To report them all, the document is parsed once into a
//! spanned tree; after each error the offending entry is removed from the tree and the
//! deserialisation is retried, so the next error surfaces. The tree also gives later stages
//! the location of any key ([`KeyIndex`]).

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::de::{DeTable, DeValue};

use super::ConfigSpec;
use crate::diagnostic::{suggest, Diagnostic, Diagnostics, SourceFile};
use crate::guard;

/// A parsed `mbgen.toml` with what is needed to point into it.
#[derive(Debug)]
pub struct LoadedConfig {
    pub spec: ConfigSpec,
    pub source: SourceFile,
    pub keys: KeyIndex,
}

impl LoadedConfig {
    /// A diagnostic at the key `path` (for example `["services", "web", "spa"]`), or at the
    /// nearest enclosing table that exists.
    #[must_use]
    pub fn error_at(&self, path: &[&str], message: impl Into<String>) -> Diagnostic {
        let d = Diagnostic::new(message);
        match self.keys.find(path) {
            Some(span) => d.at(&self.source, span),
            None => d.in_file(&self.source.path),
        }
    }

    /// A diagnostic at the value of the key `path`.
    #[must_use]
    pub fn error_at_value(&self, path: &[&str], message: impl Into<String>) -> Diagnostic {
        let d = Diagnostic::new(message);
        match self.keys.find_value(path) {
            Some(span) => d.at(&self.source, span),
            None => d.in_file(&self.source.path),
        }
    }
}

/// The source locations of every key in the document, by dotted path.
#[derive(Debug, Default)]
pub struct KeyIndex {
    /// path → (span of the key, span of the value)
    spans: BTreeMap<String, (Range<usize>, Range<usize>)>,
}

impl KeyIndex {
    fn build(table: &DeTable<'_>) -> Self {
        fn walk(
            prefix: &str,
            table: &DeTable<'_>,
            out: &mut BTreeMap<String, (Range<usize>, Range<usize>)>,
        ) {
            for (key, value) in table {
                let path = if prefix.is_empty() {
                    key.get_ref().to_string()
                } else {
                    format!("{prefix}.{}", key.get_ref())
                };
                out.insert(path.clone(), (key.span(), value.span()));
                if let DeValue::Table(inner) = value.get_ref() {
                    walk(&path, inner, out);
                }
            }
        }
        let mut spans = BTreeMap::new();
        walk("", table, &mut spans);
        Self { spans }
    }

    fn nearest(&self, path: &[&str]) -> Option<&(Range<usize>, Range<usize>)> {
        (1..=path.len())
            .rev()
            .find_map(|n| self.spans.get(&path[..n].join(".")))
    }

    /// The span of the key at `path`, or of its nearest existing parent.
    #[must_use]
    pub fn find(&self, path: &[&str]) -> Option<Range<usize>> {
        self.nearest(path).map(|(k, _)| k.clone())
    }

    /// Whether the key at `path` is written in the document.
    #[must_use]
    pub fn contains(&self, path: &[&str]) -> bool {
        self.spans.contains_key(&path.join("."))
    }

    /// The span of the value at `path`, or of its nearest existing parent's key.
    #[must_use]
    pub fn find_value(&self, path: &[&str]) -> Option<Range<usize>> {
        match self.spans.get(&path.join(".")) {
            Some((_, v)) => Some(v.clone()),
            None => self.find(path),
        }
    }
}

/// Reads and parses `mbgen.toml`. `display_path` is how the file is named in messages.
pub(crate) fn load(path: &Path, display_path: &Path) -> Result<LoadedConfig, Diagnostics> {
    match guard::read_text(path, guard::MAX_CONFIG_BYTES) {
        Ok(text) => parse(&text, display_path),
        Err(e) if e.is_not_found() => Err(Diagnostic::new(format!("no {} here", display_path.display()))
            .in_file(display_path)
            .help("run `mbgen init` to write one from your project, or pass the directory that holds it: `mbgen render path/to/project`")
            .into()),
        Err(e) => Err(e.diagnostic(display_path).into()),
    }
}

/// The longest string `mbgen.toml` may hold, key or value. BuildKit reads Dockerfile lines
/// of at most 64 KiB, and mbgen puts several values on some lines (an exec-form command);
/// no real value comes near this.
pub(crate) const MAX_STRING: usize = 16 * 1024;

/// Every key and string value longer than [`MAX_STRING`].
fn check_lengths(table: &DeTable<'_>, source: &SourceFile, out: &mut Diagnostics) {
    fn too_long(len: usize, span: Range<usize>, source: &SourceFile, out: &mut Diagnostics) {
        out.push(
            Diagnostic::new(format!(
                "this string is {len} characters long; mbgen.toml strings are at most {MAX_STRING}"
            ))
            .at(source, span.start..span.start + 1)
            .help("Dockerfile lines have a length limit: put long content in a file of the project and COPY it, or run a script"),
        );
    }
    fn value(v: &toml::Spanned<DeValue<'_>>, source: &SourceFile, out: &mut Diagnostics) {
        match v.get_ref() {
            DeValue::String(s) if s.len() > MAX_STRING => too_long(s.len(), v.span(), source, out),
            DeValue::Array(items) => items.iter().for_each(|i| value(i, source, out)),
            DeValue::Table(t) => check_lengths(t, source, out),
            _ => {}
        }
    }
    for (key, v) in table {
        if key.get_ref().len() > MAX_STRING {
            too_long(key.get_ref().len(), key.span(), source, out);
        }
        value(v, source, out);
    }
}

/// Parses the text of an `mbgen.toml`.
pub(crate) fn parse(text: &str, display_path: &Path) -> Result<LoadedConfig, Diagnostics> {
    let source = SourceFile::new(display_path, text);
    let (document, syntax_errors) = DeTable::parse_recoverable(text);
    if !syntax_errors.is_empty() {
        let mut out = Diagnostics::default();
        for e in syntax_errors {
            let d = Diagnostic::new(format!("invalid TOML: {}", e.message().trim_end()))
                .help("fix the TOML syntax; see https://toml.io for the format");
            out.push(match e.span() {
                Some(span) => d.at(&source, span),
                None => d.in_file(display_path),
            });
        }
        return Err(out);
    }
    let mut diagnostics = Diagnostics::default();
    check_lengths(document.get_ref(), &source, &mut diagnostics);
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }
    let keys = KeyIndex::build(document.get_ref());
    let mut working = document;
    // Keys removed after an error: a later "missing field" for them is a consequence, not
    // news.
    let mut removed: Vec<Vec<String>> = Vec::new();
    // Each round removes one entry, so the loop ends; the bound is a guard.
    for _ in 0..200 {
        let attempt = toml::de::Deserializer::from(working.clone());
        match ConfigSpec::deserialize(attempt) {
            Ok(spec) => {
                return diagnostics.into_result(LoadedConfig { spec, source, keys });
            }
            Err(e) => {
                let entry = e
                    .span()
                    .and_then(|span| innermost_entry(working.get_ref(), &span));
                let consequence = missing_field(e.message()).is_some_and(|field| {
                    entry.as_ref().is_some_and(|entry| {
                        let mut path = entry.path.clone();
                        path.push(field.to_owned());
                        removed.contains(&path)
                    })
                });
                if !consequence {
                    diagnostics.push(describe(&e, &source, entry.as_ref(), display_path));
                }
                match entry {
                    Some(entry) if !entry.path.is_empty() => {
                        remove(working.get_mut(), &entry.path);
                        // A misspelt key stood for the key its suggestion names.
                        if let Some(suggested) = suggestion_for_unknown(e.message()) {
                            let mut path = entry.path.clone();
                            path.pop();
                            path.push(suggested.to_owned());
                            removed.push(path);
                        }
                        removed.push(entry.path);
                    }
                    _ => break,
                }
            }
        }
    }
    Err(diagnostics)
}

/// The deepest table entry whose key or value covers `span`.
#[derive(Debug)]
struct Entry {
    /// Keys from the root; removing the last one in its table drops the problem.
    path: Vec<String>,
    key_span: Range<usize>,
    /// Whether the error is on the key itself (an unknown key) rather than its value.
    on_key: bool,
}

fn covers(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
}

fn innermost_entry(table: &DeTable<'_>, span: &Range<usize>) -> Option<Entry> {
    // Parent spans cannot be trusted to cover their children (a table made implicitly by
    // `[a.b]` headers has no span of its own), so every branch is searched.
    for (key, value) in table {
        let here = |on_key: bool| Entry {
            path: vec![key.get_ref().to_string()],
            key_span: key.span(),
            on_key,
        };
        if covers(&key.span(), span) {
            return Some(here(true));
        }
        if let DeValue::Table(inner) = value.get_ref() {
            if let Some(mut found) = innermost_entry(inner, span) {
                found.path.insert(0, key.get_ref().to_string());
                return Some(found);
            }
        }
        // An error inside an array removes the whole array: elements cannot be removed one
        // by one from the parsed tree, and one error per array is enough to act on.
        if covers(&value.span(), span) {
            return Some(here(false));
        }
    }
    None
}

fn remove(table: &mut DeTable<'_>, path: &[String]) {
    match path {
        [] => {}
        [last] => {
            table.remove(last.as_str());
        }
        [first, rest @ ..] => {
            if let Some(value) = table.get_mut(first.as_str()) {
                if let DeValue::Table(inner) = value.get_mut() {
                    remove(inner, rest);
                    return;
                }
            }
            table.remove(first.as_str());
        }
    }
}

/// Turns a serde error into a message that says what to do.
fn describe(
    error: &toml::de::Error,
    source: &SourceFile,
    entry: Option<&Entry>,
    display_path: &Path,
) -> Diagnostic {
    let message = error.message().trim_end();
    let table = entry.map(|e| table_name(&e.path[..e.path.len().saturating_sub(1)]));
    let (text, help) = if let Some((name, expected)) = parse_expected(message, "unknown field") {
        let what = table
            .as_deref()
            .map_or_else(String::new, |t| format!(" in {t}"));
        (
            format!("unknown key `{name}`{what}"),
            Some(did_you_mean(name, &expected, "valid keys")),
        )
    } else if let Some((name, expected)) = parse_expected(message, "unknown variant") {
        let key = entry
            .and_then(|e| e.path.last())
            .map_or_else(String::new, |k| format!(" for `{k}`"));
        (
            format!("unknown value `{name}`{key}"),
            Some(did_you_mean(name, &expected, "expected one of")),
        )
    } else if let Some(field) = missing_field(message) {
        let table = entry.map_or_else(|| "the document".to_owned(), |e| table_name(&e.path));
        (
            format!("{table} is missing the required key `{field}`"),
            Some(missing_help(field)),
        )
    } else if message.starts_with("invalid type") {
        let key = entry
            .and_then(|e| e.path.last())
            .map_or_else(String::new, |k| format!(" for `{k}`"));
        (format!("wrong type{key}: {message}"), None)
    } else {
        (message.to_owned(), None)
    };
    let d = Diagnostic::new(text).maybe_help(help);
    match (error.span(), entry) {
        (_, Some(e)) if e.on_key => d.at(source, e.key_span.clone()),
        (Some(span), _) => d.at(source, span),
        (None, _) => d.in_file(display_path),
    }
}

fn suggestion_for_unknown(message: &str) -> Option<&str> {
    let (name, expected) = parse_expected(message.trim_end(), "unknown field")?;
    suggest(name, expected)
}

fn missing_field(message: &str) -> Option<&str> {
    message
        .trim_end()
        .strip_prefix("missing field `")
        .and_then(|m| m.strip_suffix('`'))
}

fn table_name(path: &[String]) -> String {
    if path.is_empty() {
        "the top level".to_owned()
    } else {
        format!("[{}]", path.join("."))
    }
}

fn missing_help(field: &str) -> String {
    match field {
        "stack" => "add `stack = \"...\"`, one of `node-static`, `node-server`, `go`, `python`, `rust`, `static`".to_owned(),
        "id" => "add `id = \"...\"`, the id passed to `docker build --secret id=...`".to_owned(),
        _ => format!("add `{field} = ...`"),
    }
}

/// Splits serde's "unknown field `x`, expected one of `a`, `b`" into `x` and `[a, b]`.
fn parse_expected<'m>(message: &'m str, prefix: &str) -> Option<(&'m str, Vec<&'m str>)> {
    let rest = message.strip_prefix(prefix)?.strip_prefix(" `")?;
    let (name, rest) = rest.split_once('`')?;
    let expected = rest.split('`').skip(1).step_by(2).collect::<Vec<_>>();
    Some((name, expected))
}

fn did_you_mean(name: &str, expected: &[&str], label: &str) -> String {
    let list = expected
        .iter()
        .map(|e| format!("`{e}`"))
        .collect::<Vec<_>>()
        .join(", ");
    match suggest(name, expected.iter().copied()) {
        Some(s) => format!("did you mean `{s}`?"),
        None if expected.is_empty() => "remove it".to_owned(),
        None => format!("{label}: {list}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(text: &str) -> String {
        parse(text, Path::new("mbgen.toml"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn reports_every_error_at_once() {
        let out = errors(
            "[services.web]\nstack = \"nod-static\"\nprot = 80\n\n[services.api]\nstack = \"go\"\nport = 0\n",
        );
        assert!(
            out.contains("unknown value `nod-static` for `stack`"),
            "{out}"
        );
        assert!(out.contains("did you mean `node-static`?"), "{out}");
        assert!(
            out.contains("unknown key `prot` in [services.web]"),
            "{out}"
        );
        assert!(out.contains("did you mean `port`?"), "{out}");
        assert!(out.contains("port 0 is out of range"), "{out}");
        assert!(out.contains("3 problems found"), "{out}");
    }

    #[test]
    fn missing_stack() {
        let out = errors("[services.web]\nport = 8080\n");
        assert!(
            out.contains("[services.web] is missing the required key `stack`"),
            "{out}"
        );
    }

    #[test]
    fn key_index_points_at_keys() {
        let loaded = parse(
            "[services.web]\nstack = \"go\"\nspa = true\n",
            Path::new("m.toml"),
        )
        .unwrap();
        let d = loaded.error_at(&["services", "web", "spa"], "x");
        let (_, span) = d.location.unwrap();
        assert_eq!(&loaded.source.text[span], "spa");
    }
}
