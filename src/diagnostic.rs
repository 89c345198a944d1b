//! User-facing errors that point into a source file.
//!
//! Every stage that finds a problem in what the user wrote returns [`Diagnostic`]s; the
//! commands print them all at once, each with the file, line, column, the source line with a
//! caret under the problem, and what to do about it.

use std::fmt::{self, Write as _};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A file whose text diagnostics point into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// The path as shown to the user.
    pub path: PathBuf,
    pub text: Arc<str>,
}

impl SourceFile {
    #[must_use]
    pub fn new(path: impl Into<PathBuf>, text: impl Into<Arc<str>>) -> Self {
        Self {
            path: path.into(),
            text: text.into(),
        }
    }

    /// The 1-based line and column (in characters) of a byte offset.
    #[must_use]
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = self.text[line_start..offset].chars().count() + 1;
        (line, col)
    }

    fn line_text(&self, line: usize) -> &str {
        self.text
            .split('\n')
            .nth(line - 1)
            .unwrap_or_default()
            .trim_end_matches('\r')
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// One problem in the user's input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub message: String,
    /// The file and the byte range the problem is at, when known.
    pub location: Option<(SourceFile, Range<usize>)>,
    /// A file the problem is about, when there is no position in it (a missing file).
    pub path: Option<PathBuf>,
    /// What to do about it.
    pub help: Option<String>,
}

impl Diagnostic {
    #[must_use]
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            location: None,
            path: None,
            help: None,
        }
    }

    #[must_use]
    pub fn at(mut self, file: &SourceFile, span: Range<usize>) -> Self {
        self.location = Some((file.clone(), span));
        self
    }

    #[must_use]
    pub fn in_file(mut self, path: &Path) -> Self {
        self.path = Some(path.to_owned());
        self
    }

    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    #[must_use]
    pub fn maybe_help(mut self, help: Option<String>) -> Self {
        self.help = help.or(self.help);
        self
    }
}

/// The most characters of a message, or of a source line, shown: a value of megabytes must
/// not flood the terminal.
const MAX_SHOWN: usize = 400;

/// `text` cut to [`MAX_SHOWN`] characters, the middle replaced by `…`.
fn elide(text: &str) -> std::borrow::Cow<'_, str> {
    let count = text.chars().count();
    if count <= MAX_SHOWN {
        return text.into();
    }
    let head: String = text.chars().take(MAX_SHOWN * 3 / 4).collect();
    let tail: String = text.chars().skip(count - MAX_SHOWN / 4).collect();
    format!("{head} … {tail}").into()
}

/// The part of a source line shown around a span of `width` characters starting at
/// character `start`: the line, or a window of it with `…` where it was cut. Returns the
/// text, where the span starts in it, and the width shown.
fn window(text: &str, start: usize, width: usize) -> (String, usize, usize) {
    const BEFORE: usize = 40;
    const WIDTH: usize = 120;
    let count = text.chars().count();
    if count <= WIDTH {
        return (text.to_owned(), start, width);
    }
    let from = start.saturating_sub(BEFORE);
    let to = (from + WIDTH).min(count);
    let mut shown: String = text.chars().skip(from).take(to - from).collect();
    let mut offset = start - from;
    if from > 0 {
        shown.insert(0, '…');
        offset += 1;
    }
    if to < count {
        shown.push('…');
    }
    let width = width.min(to.saturating_sub(start)).max(1);
    (shown, offset, width)
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error: {}", elide(&self.message))?;
        if let Some((file, span)) = &self.location {
            let (line, col) = file.line_col(span.start);
            let full = file.line_text(line);
            let gutter = line.to_string().len();
            let pad = " ".repeat(gutter);
            writeln!(f, "{pad}--> {}:{line}:{col}", file.path.display())?;
            writeln!(f, "{pad} |")?;
            let (end_line, end_col) = file.line_col(span.end);
            let width = if end_line == line && end_col > col {
                end_col - col
            } else {
                full.chars().count().saturating_sub(col - 1).max(1)
            };
            let (text, start, width) = window(full, col - 1, width);
            writeln!(f, "{line} | {text}")?;
            let mut marker = String::new();
            for c in text.chars().take(start) {
                marker.push(if c == '\t' { '\t' } else { ' ' });
            }
            let _ = write!(marker, "{}", "^".repeat(width));
            writeln!(f, "{pad} | {marker}")?;
            if let Some(help) = &self.help {
                writeln!(f, "{pad} = help: {help}")?;
            }
        } else {
            if let Some(path) = &self.path {
                writeln!(f, " --> {}", path.display())?;
            }
            if let Some(help) = &self.help {
                writeln!(f, "  = help: {help}")?;
            }
        }
        Ok(())
    }
}

/// Several diagnostics, reported together.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(value)` when nothing was reported.
    pub fn into_result<T>(self, value: T) -> Result<T, Self> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Self(vec![d])
    }
}

impl fmt::Display for Diagnostics {
    /// Problems in a file are shown in the order they appear in it, whatever order the checks
    /// found them in; problems without a position keep their place after them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ordered: Vec<&Diagnostic> = self.0.iter().collect();
        ordered.sort_by_key(|d| match &d.location {
            Some((file, span)) => (0, Some(file.path.clone()), span.start),
            None => (1, None, 0),
        });
        for (i, d) in ordered.into_iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        if self.0.len() > 1 {
            writeln!(f)?;
            writeln!(f, "error: {} problems found", self.0.len())?;
        }
        Ok(())
    }
}

/// The closest candidate to `name`, if one is close enough to be a likely typo.
#[must_use]
pub(crate) fn suggest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(name, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3) && *d < c.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// What went wrong in an I/O error, without the path that the message around it names: the
/// operating system's reason.
#[must_use]
pub(crate) fn io_reason(e: &std::io::Error) -> String {
    std::error::Error::source(e).map_or_else(|| e.to_string(), ToString::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_caret_under_span() {
        let file = SourceFile::new("mbgen.toml", "[services.web]\nsstack = \"x\"\n");
        let d = Diagnostic::new("unknown key `sstack`")
            .at(&file, 15..21)
            .help("did you mean `stack`?");
        assert_eq!(
            d.to_string(),
            "error: unknown key `sstack`\n --> mbgen.toml:2:1\n  |\n2 | sstack = \"x\"\n  | ^^^^^^\n  = help: did you mean `stack`?\n"
        );
    }

    #[test]
    fn a_long_line_is_shown_around_the_problem() {
        let line = format!("x = \"{}\"", "a".repeat(10_000_000));
        let file = SourceFile::new("mbgen.toml", line.as_str());
        let d = Diagnostic::new("m".repeat(1_000_000)).at(&file, 5_000_000..5_000_003);
        let shown = d.to_string();
        assert!(shown.len() < 2_000, "{}", shown.len());
        assert!(shown.contains("--> mbgen.toml:1:5000001"), "{shown}");
        let caret = format!("\n  | {}^^^\n", " ".repeat(41));
        assert!(shown.contains(&caret), "{shown}");
    }

    #[test]
    fn suggestions() {
        assert_eq!(suggest("sstack", ["stack", "path"]), Some("stack"));
        assert_eq!(
            suggest("nod-static", ["node-static", "go"]),
            Some("node-static")
        );
        assert_eq!(suggest("zzz", ["stack", "go"]), None);
    }
}
