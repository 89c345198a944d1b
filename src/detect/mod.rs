//! Detection, for `mbgen init` and `mbgen add`: what a source tree holds, proposed as services.
//!
//! Beside the render pipeline: each [`Detector`] looks at one directory through the [`fs`]
//! facade and returns a [`Proposal`] with the evidence behind every value; [`workspace`]
//! decides which directories are apps. [`crate::scaffold`] turns the proposals into
//! `mbgen.toml`. `render` never detects.

pub(crate) mod evidence;
pub(crate) mod fs;
pub(crate) mod go;
mod ignore;
pub(crate) mod languages;
pub(crate) mod node;
pub(crate) mod python;
pub(crate) mod rust;
pub(crate) mod static_site;
pub(crate) mod text;
pub(crate) mod workspace;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::relpath::RelPath;
use crate::spec::{ServiceKey, Stack};
pub(crate) use fs::{Dir, DiskFs, Fs};
pub(crate) use workspace::{detect_dir, discover};

/// Choices the user made on the command line.
#[derive(Debug, Default, Clone)]
pub(crate) struct Options {
    /// The Go main package to build, relative to the module (`cmd/api`).
    pub go_main: Option<String>,
    /// The name of the project directory, the service name of last resort.
    pub root_name: Option<String>,
}

/// Looks at one directory for one kind of application.
pub(crate) trait Detector {
    /// A short name: `node`, `go`...
    fn name(&self) -> &'static str;
    /// What it looks for, said when nothing matches anywhere.
    fn looks_for(&self) -> &'static str;
    /// `Err` for a manifest that cannot be read or a setup mbgen cannot build: the user has
    /// to act, and a silent fallback would propose the wrong thing.
    fn detect(&self, dir: Dir<'_>, options: &Options) -> Result<Outcome, Box<Diagnostic>>;
}

/// What a detector found in a directory.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Nothing of its kind.
    Absent,
    /// A project of its kind with nothing to deploy, such as a library.
    NotAnApp {
        /// The manifest that was read.
        manifest: String,
        reason: String,
    },
    Found(Box<Proposal>),
}

/// Every detector, in the order they are asked. When several match one directory the first
/// wins and the others are reported as alternatives: a Go or Python app often carries a
/// `package.json` for its front-end tooling, rarely the other way round.
#[must_use]
pub(crate) fn detectors() -> Vec<Box<dyn Detector>> {
    vec![
        Box::new(go::Go),
        Box::new(rust::Rust),
        Box::new(python::Python),
        Box::new(node::Node),
        Box::new(static_site::StaticSite),
    ]
}

/// A value proposed for a key of `mbgen.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub(crate) enum Value {
    Bool(bool),
    Int(u16),
    Str(String),
    List(Vec<String>),
    Map(BTreeMap<String, String>),
    /// Named lists: `processes`, `system-packages`, `instructions`.
    Lists(BTreeMap<String, Vec<String>>),
}

/// One key of a proposed service, with where its value came from.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Setting {
    pub key: ServiceKey,
    pub value: Value,
    /// Where the value came from, written as the key's comment: `engines.node in package.json`.
    pub source: String,
}

/// A proposed service: a stack, its settings, and the evidence for them.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Proposal {
    /// The service name; set by [`discover`], from [`Proposal::name_hint`] or the directory.
    pub name: String,
    /// The directory, relative to the project root (`.` in the report for the root).
    pub path: RelPath,
    #[serde(serialize_with = "stack_name")]
    pub stack: Stack,
    /// What was recognised, in a few words: `Vite app`, `Go module`.
    pub summary: String,
    /// The detector that made the proposal.
    pub detector: &'static str,
    /// A name the project gives itself (`name` in package.json, the Go module...).
    #[serde(skip)]
    pub name_hint: Option<String>,
    /// Files read to make the proposal, relative to the project root.
    pub evidence: Vec<String>,
    pub settings: Vec<Setting>,
    /// Other readings that were possible, and why they were not taken.
    pub alternatives: Vec<String>,
    /// What the user should check or do; written as comments above the service.
    pub notes: Vec<String>,
    /// Values detection had to pick among, which `init` asks about at a terminal.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<Choice>,
}

/// A setting detection picked among several possible values: the first is the pick.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct Choice {
    pub key: ServiceKey,
    /// The values, the pick first.
    pub values: Vec<String>,
    /// Notes of the proposal that only hold for the pick, dropped when another is chosen.
    #[serde(skip)]
    pub notes: Vec<String>,
}

// serde passes the field by reference.
#[allow(clippy::trivially_copy_pass_by_ref)]
fn stack_name<S: serde::Serializer>(stack: &Stack, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(stack.as_str())
}

impl Proposal {
    #[must_use]
    pub(crate) fn new(
        detector: &'static str,
        dir: Dir<'_>,
        stack: Stack,
        summary: impl Into<String>,
    ) -> Self {
        Self {
            name: String::new(),
            path: RelPath::from_normal(dir.base()),
            stack,
            summary: summary.into(),
            detector,
            name_hint: None,
            evidence: Vec::new(),
            settings: Vec::new(),
            alternatives: Vec::new(),
            notes: Vec::new(),
            choices: Vec::new(),
        }
    }

    /// Sets a key, replacing an earlier value.
    pub(crate) fn set(&mut self, key: ServiceKey, value: Value, source: impl Into<String>) {
        let source = source.into();
        if let Some(existing) = self.settings.iter_mut().find(|s| s.key == key) {
            existing.value = value;
            existing.source = source;
        } else {
            self.settings.push(Setting { key, value, source });
        }
    }

    pub(crate) fn set_str(
        &mut self,
        key: ServiceKey,
        value: impl Into<String>,
        source: impl Into<String>,
    ) {
        self.set(key, Value::Str(value.into()), source);
    }

    /// Records a file as evidence (a path from the project root), once.
    pub(crate) fn evidence(&mut self, path: impl Into<String>) {
        let path = path.into();
        if !self.evidence.contains(&path) {
            self.evidence.push(path);
        }
    }

    /// Sets `version` from the table of supported versions: the source says which file
    /// asked for it and how it was read; a pin out of support adds a note.
    pub(crate) fn set_version(&mut self, picked: crate::versions::Picked, source: &str) {
        self.set_str(
            ServiceKey::Version,
            picked.version,
            format!("{source}: {}", picked.how),
        );
        if let Some(note) = picked.note {
            self.note(note);
        }
    }

    pub(crate) fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    #[must_use]
    pub(crate) fn get(&self, key: ServiceKey) -> Option<&Value> {
        self.settings
            .iter()
            .find(|s| s.key == key)
            .map(|s| &s.value)
    }
}

/// A directory that holds a project but was left out, and why.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Skipped {
    pub path: String,
    pub detector: &'static str,
    pub reason: String,
    /// The language of a manifest mbgen has no stack for (`Java (Maven)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<&'static str>,
}

/// How the services were found.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub(crate) enum Layout {
    /// One app at the root.
    Single,
    /// Members declared by a workspace file.
    Workspace {
        /// The files that declare the members (`pnpm-workspace.yaml`, `go.work`...).
        declared_by: Vec<String>,
    },
    /// Apps in subdirectories, each with its own manifest.
    Directories,
}

/// Everything `init` found: the proposed services and what was left out.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Report {
    pub layout: Layout,
    pub services: Vec<Proposal>,
    pub skipped: Vec<Skipped>,
    /// What the walk of the tree did not read: apps there were not looked for.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unread: Vec<String>,
    /// Why nothing could be proposed, when nothing could.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The problems behind `error`, to report with their files and lines.
    #[serde(skip)]
    pub problems: Diagnostics,
}

impl Report {
    /// The report when something was proposed, otherwise the problems.
    pub(crate) fn into_result(self) -> Result<Self, Diagnostics> {
        if self.services.is_empty() {
            Err(self.problems)
        } else {
            Ok(self)
        }
    }
}

/// Turns a project's own name into a service name: lowercase letters, digits and `-`,
/// starting with a letter. `@acme/Web_App` → `web-app`.
#[must_use]
pub(crate) fn service_name(raw: &str) -> Option<String> {
    let raw = raw.rsplit('/').next().unwrap_or(raw);
    let mut name = String::new();
    for c in raw
        .chars()
        .flat_map(fold_latin)
        .flat_map(char::to_lowercase)
    {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            name.push(c);
        } else if !name.is_empty() && !name.ends_with('-') {
            name.push('-');
        }
    }
    let name = name.trim_start_matches(|c: char| c.is_ascii_digit() || c == '-');
    let mut name: String = name.chars().take(63).collect();
    while name.ends_with('-') {
        name.pop();
    }
    (!name.is_empty()).then_some(name)
}

/// A Latin letter with a diacritic as its base letters (`Ü` → `U`, `ß` → `ss`), so that a
/// directory named in a European language keeps a recognisable service name; every other
/// character as it is.
fn fold_latin(c: char) -> impl Iterator<Item = char> {
    const TABLE: &[(&str, &str)] = &[
        ("ÀÁÂÃÄÅĀĂĄ", "A"),
        ("àáâãäåāăą", "a"),
        ("ÇĆĈĊČ", "C"),
        ("çćĉċč", "c"),
        ("ĎĐ", "D"),
        ("ďđ", "d"),
        ("ÈÉÊËĒĔĖĘĚ", "E"),
        ("èéêëēĕėęě", "e"),
        ("ĜĞĠĢ", "G"),
        ("ĝğġģ", "g"),
        ("ÌÍÎÏĨĪĬĮİ", "I"),
        ("ìíîïĩīĭįı", "i"),
        ("ŁĽĹĻ", "L"),
        ("łľĺļ", "l"),
        ("ÑŃŅŇ", "N"),
        ("ñńņň", "n"),
        ("ÒÓÔÕÖØŌŎŐ", "O"),
        ("òóôõöøōŏő", "o"),
        ("ŔŖŘ", "R"),
        ("ŕŗř", "r"),
        ("ŚŜŞŠ", "S"),
        ("śŝşš", "s"),
        ("ŢŤ", "T"),
        ("ţť", "t"),
        ("ÙÚÛÜŨŪŬŮŰŲ", "U"),
        ("ùúûüũūŭůűų", "u"),
        ("ÝŸ", "Y"),
        ("ýÿ", "y"),
        ("ŹŻŽ", "Z"),
        ("źżž", "z"),
        ("ß", "ss"),
        ("Ææ", "ae"),
        ("Œœ", "oe"),
    ];
    let folded = TABLE
        .iter()
        .find(|(from, _)| from.contains(c))
        .map(|(_, to)| *to);
    let mut one = [0; 4];
    folded
        .unwrap_or_else(|| c.encode_utf8(&mut one))
        .chars()
        .collect::<Vec<_>>()
        .into_iter()
}

/// `./dist/` → `dist`: a directory below, read from a project file; `None` for the
/// directory itself and for paths mbgen cannot take as a relative path.
#[must_use]
pub(crate) fn clean_rel_path(raw: &str) -> Option<String> {
    RelPath::parse(raw.trim())
        .ok()
        .filter(|p| !p.is_root())
        .map(|p| p.as_str().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_names() {
        assert_eq!(service_name("@acme/Web_App").as_deref(), Some("web-app"));
        assert_eq!(service_name("github.com/acme/api").as_deref(), Some("api"));
        assert_eq!(service_name("2fa-server").as_deref(), Some("fa-server"));
        assert_eq!(service_name("___"), None);
        assert_eq!(service_name("Ümlaut Café").as_deref(), Some("umlaut-cafe"));
        assert_eq!(service_name("web app").as_deref(), Some("web-app"));
        assert_eq!(service_name("$cash").as_deref(), Some("cash"));
        assert_eq!(service_name("Straße").as_deref(), Some("strasse"));
        assert_eq!(service_name("日本").as_deref(), None);
    }

    #[test]
    fn relative_paths() {
        assert_eq!(clean_rel_path("./dist/").as_deref(), Some("dist"));
        assert_eq!(clean_rel_path("../out"), None);
        assert_eq!(clean_rel_path("/abs"), None);
        assert_eq!(clean_rel_path("."), None);
    }
}
