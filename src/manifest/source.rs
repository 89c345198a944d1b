//! Project files read with their errors located: a syntax error or a value of the wrong type
//! points at its line and column, so the user can fix the file.

use std::ops::Range;

use crate::diagnostic::{Diagnostic, SourceFile};

/// Parses a JSON manifest; a syntax error points at its line and column.
pub(crate) fn parse_json(file: &SourceFile) -> Result<serde_json::Value, Box<Diagnostic>> {
    serde_json::from_str(&file.text).map_err(|e| {
        let message = e.to_string();
        let message = message
            .rsplit_once(" at line ")
            .map_or(message.as_str(), |(m, _)| m);
        let offset = offset_of(&file.text, e.line(), e.column());
        Diagnostic::new(format!(
            "{} is not valid JSON: {message}",
            file.path.display()
        ))
        .at(file, offset..offset + 1)
        .help("fix the file (the project's own tools would fail on it too), then run `mbgen init` again")
        .into()
    })
}

/// Parses a TOML manifest; a syntax error points at its line and column.
pub(crate) fn parse_toml(file: &SourceFile) -> Result<toml::Table, Box<Diagnostic>> {
    file.text.parse::<toml::Table>().map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        Diagnostic::new(format!(
            "{} is not valid TOML: {}",
            file.path.display(),
            e.message().trim_end()
        ))
        .at(file, span)
        .help("fix the file (the project's own tools would fail on it too), then run `mbgen init` again")
        .into()
    })
}

/// The strings of the array at `key` of a TOML table (other items are skipped); empty when
/// there is no such array.
#[must_use]
pub(crate) fn toml_strings(table: &toml::Value, key: &str) -> Vec<String> {
    table
        .get(key)
        .and_then(toml::Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A manifest whose syntax is fine but whose `key` holds the wrong kind of value.
#[must_use]
pub(crate) fn wrong_type(file: &SourceFile, key: &str, expected: &str) -> Diagnostic {
    let d = Diagnostic::new(format!(
        "`{key}` in {} should be {expected}",
        file.path.display()
    ))
    .help("fix the file, then run `mbgen init` again");
    match key_span(&file.text, key) {
        Some(span) => d.at(file, span),
        None => d.in_file(&file.path),
    }
}

/// A diagnostic at 1-based `line` of a file.
#[must_use]
pub(crate) fn at_line(file: &SourceFile, line: usize, message: impl Into<String>) -> Diagnostic {
    let start: usize = file
        .text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let len = file.text[start..]
        .find('\n')
        .unwrap_or(file.text.len() - start);
    let lead =
        file.text[start..start + len].len() - file.text[start..start + len].trim_start().len();
    Diagnostic::new(message).at(file, start + lead..start + len.max(lead + 1))
}

/// The span of the first `"key"` (JSON) or `key =` (TOML) in a text.
fn key_span(text: &str, key: &str) -> Option<Range<usize>> {
    let quoted = format!("\"{key}\"");
    if let Some(i) = text.find(&quoted) {
        return Some(i..i + quoted.len());
    }
    text.match_indices(key)
        .find(|(i, _)| {
            text[i + key.len()..].trim_start().starts_with('=')
                && text[..*i]
                    .chars()
                    .next_back()
                    .is_none_or(|c| c == '\n' || c == ' ')
        })
        .map(|(i, _)| i..i + key.len())
}

/// The byte offset of a 1-based line and column.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (start + column.saturating_sub(1)).min(text.len().saturating_sub(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_errors_point_at_the_line() {
        let file = SourceFile::new(
            "package.json",
            "{\n  \"name\": \"x\",\n  \"scripts\": {,}\n}\n",
        );
        let d = parse_json(&file).unwrap_err();
        let (f, span) = d.location.unwrap();
        assert_eq!(f.line_col(span.start).0, 3);
    }
}
