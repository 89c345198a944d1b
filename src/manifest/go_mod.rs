//! `go.mod` and `go.work`: the directives mbgen reads, parsed as strictly as the go command
//! does so that a mistake is reported at its line.

use super::source::at_line;
use crate::diagnostic::{Diagnostic, SourceFile};
use crate::relpath::RelPath;

/// What `go.mod` says.
#[derive(Debug, Default)]
pub(crate) struct GoMod {
    pub path: String,
    pub go: Option<String>,
    pub toolchain: Option<String>,
    pub requires: Vec<String>,
    /// `path@version` of each requirement, beside `requires`.
    pub required_versions: Vec<String>,
}

const DIRECTIVES: &[&str] = &[
    "module",
    "go",
    "toolchain",
    "godebug",
    "require",
    "replace",
    "exclude",
    "retract",
    "tool",
    "ignore",
];

/// One line of a `go.mod` or `go.work` file, its comment removed. Inside a `name (` … `)`
/// block every line is a directive of the block's name.
pub(crate) struct DirectiveLine<'a> {
    pub name: &'a str,
    /// The rest of the line after the name; inside a block, the whole line.
    pub text: &'a str,
    /// 1-based.
    pub line: usize,
    pub in_block: bool,
    /// The line is `name (`, opening a block.
    pub opens_block: bool,
}

/// The directive lines of a `go.mod`-style file, and the block left open at its end (name
/// and line), which the caller reports.
pub(crate) fn directive_lines(
    file: &SourceFile,
) -> (Vec<DirectiveLine<'_>>, Option<(&str, usize)>) {
    let mut out = Vec::new();
    let mut block: Option<(&str, usize)> = None;
    for (i, raw) in file.text.lines().enumerate() {
        let line = raw.split("//").next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        if let Some((name, _)) = block {
            if line == ")" {
                block = None;
            } else {
                out.push(DirectiveLine {
                    name,
                    text: line,
                    line: i + 1,
                    in_block: true,
                    opens_block: false,
                });
            }
            continue;
        }
        let (name, text) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let text = text.trim();
        let opens_block = text.split_whitespace().next() == Some("(");
        if opens_block {
            block = Some((name, i + 1));
        }
        out.push(DirectiveLine {
            name,
            text,
            line: i + 1,
            in_block: false,
            opens_block,
        });
    }
    (out, block)
}

/// The error for a `name (` block that is never closed.
fn unclosed_block(file: &SourceFile, name: &str, line: usize, help: &str) -> Diagnostic {
    at_line(
        file,
        line,
        format!(
            "the `{name} (` block of {} is never closed",
            file.path.display()
        ),
    )
    .help(help)
}

impl GoMod {
    /// Parses `go.mod` as the go command does, strictly enough to name the line of a mistake.
    pub(crate) fn parse(file: &SourceFile) -> Result<Self, Box<Diagnostic>> {
        let mut m = Self::default();
        let help =
            "fix go.mod (`go mod tidy` reports the same problem), then run `mbgen init` again";
        let path = file.path.display().to_string();
        let (lines, unclosed) = directive_lines(file);
        for d in lines {
            if d.in_block {
                if d.name == "require" {
                    let mut words = d.text.split_whitespace();
                    let path = words.next().unwrap_or_default();
                    m.requires.push(path.to_owned());
                    m.required_versions
                        .push(format!("{path}@{}", words.next().unwrap_or_default()));
                }
                continue;
            }
            if !DIRECTIVES.contains(&d.name) {
                let message = if d.name == ")" {
                    "`)` closes no block".to_owned()
                } else {
                    format!("unknown directive `{}` in {path}", d.name)
                };
                return Err(Box::new(at_line(file, d.line, message).help(help)));
            }
            if d.opens_block {
                continue;
            }
            let rest: Vec<&str> = d.text.split_whitespace().collect();
            match d.name {
                "module" => {
                    let Some(name) = rest.first() else {
                        return Err(Box::new(
                            at_line(
                                file,
                                d.line,
                                format!("`module` in {path} needs the module path"),
                            )
                            .help(help),
                        ));
                    };
                    name.trim_matches('"').clone_into(&mut m.path);
                }
                "go" => {
                    let version = rest.first().copied().unwrap_or_default();
                    if !valid_go_version(version) || rest.len() != 1 {
                        return Err(Box::new(at_line(file, d.line, format!(
                            "invalid go version `{}` in {path}: expected a version such as `1.24` or `1.24.1`",
                            rest.join(" ")
                        ))
                        .help(help)));
                    }
                    m.go = Some(version.to_owned());
                }
                "toolchain" => m.toolchain = rest.first().map(|t| (*t).to_owned()),
                "require" => {
                    if let Some(path) = rest.first() {
                        m.requires.push((*path).to_owned());
                        m.required_versions.push(format!(
                            "{path}@{}",
                            rest.get(1).copied().unwrap_or_default()
                        ));
                    }
                }
                _ => {}
            }
        }
        if let Some((name, line)) = unclosed {
            return Err(Box::new(unclosed_block(file, name, line, help)));
        }
        if m.path.is_empty() {
            return Err(Box::new(Diagnostic::new(format!("{path} has no `module` directive"))
                .in_file(&file.path)
                .help("add `module example.com/yourapp` as its first line, then run `mbgen init` again")));
        }
        Ok(m)
    }
}

fn valid_go_version(v: &str) -> bool {
    let v = v.split(['r', 'b']).next().unwrap_or_default();
    let parts: Vec<&str> = v.split('.').collect();
    (2..=3).contains(&parts.len())
        && parts[0] == "1"
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

/// What `go.work` says.
#[derive(Debug, Default)]
pub(crate) struct GoWork {
    /// The `use` directives, as written (`./api`, `.`).
    pub uses: Vec<String>,
    /// The `go` directive.
    pub go: Option<String>,
}

impl GoWork {
    pub(crate) fn parse(file: &SourceFile) -> Result<Self, Box<Diagnostic>> {
        let (lines, unclosed) = directive_lines(file);
        if let Some((name, line)) = unclosed {
            return Err(Box::new(unclosed_block(
                file,
                name,
                line,
                "fix go.work (`go work sync` reports the same problem), then run `mbgen init` again",
            )));
        }
        let go = lines
            .iter()
            .find(|d| d.name == "go" && !d.in_block)
            .map(|d| d.text.to_owned());
        let uses = lines
            .into_iter()
            .filter(|d| d.name == "use" && !d.opens_block)
            .filter_map(|d| {
                if d.in_block {
                    Some(d.text)
                } else {
                    d.text.split_whitespace().next()
                }
            })
            .map(|path| path.trim_matches('"').to_owned())
            .collect();
        Ok(Self { uses, go })
    }

    /// The `use` directives as paths relative to the go.work's directory (`""` for `.`);
    /// a module outside that directory is left out.
    pub(crate) fn members(&self) -> Vec<RelPath> {
        self.uses
            .iter()
            .filter_map(|u| RelPath::normalize(u))
            .filter(|p| p.components().all(RelPath::is_valid_name))
            .collect()
    }
}
