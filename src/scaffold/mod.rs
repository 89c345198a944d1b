//! Proposals → `mbgen.toml`, for `mbgen init`, `mbgen new` and `mbgen add`.
//!
//! The document is built with `toml_edit`, so every key carries a comment saying where its
//! value came from, and the notes of a service sit above its table. [`add_service`] adds one
//! service to an existing file and keeps everything else as written. [`verify`] runs the
//! result through the render pipeline before anything is written; [`starter`] holds the apps
//! `mbgen new` creates.

pub(crate) mod starter;

use std::path::Path;

use toml_edit::{Array, DocumentMut, InlineTable, Item, Table};

use crate::detect::{Proposal, Report, Value};
use crate::diagnostic::{Diagnostic, Diagnostics, SourceFile};
use crate::spec::{ConfigSpec, LoadedConfig, ServiceKey, CONFIG_FILE};

/// The schema named by default on the `#:schema` line: a copy `init` writes next to
/// `mbgen.toml`, so editors validate offline and against this very mbgen's keys.
pub(crate) const DEFAULT_SCHEMA: &str = ".mbgen/mbgen.schema.json";

/// Comments longer than this go on their own line above the key.
const INLINE_COMMENT: usize = 64;
const WIDTH: usize = 100;

/// The text of `mbgen.toml` for a report.
#[must_use]
pub(crate) fn to_toml(report: &Report, schema: &str) -> String {
    let mut doc = DocumentMut::new();
    if report.services.len() > 1 {
        let mut workspace = Table::new();
        workspace.decor_mut().set_prefix(
            "\n# Defaults shared by every service (a service's own value wins), and the workspace's\n\
             # build files: docker-bake.hcl and compose.yaml. `mbgen schema` lists the keys.\n",
        );
        doc.insert("workspace", Item::Table(workspace));
    }
    let mut services = Table::new();
    services.set_implicit(true);
    for p in &report.services {
        services.insert(&p.name, Item::Table(service_table(p)));
    }
    doc.insert("services", Item::Table(services));
    let mut out = format!("#:schema {}\n", single_line(schema));
    out.push_str(
        "# Written by `mbgen init` from this repository: each key says where its value came from.\n\
         # Check them, then run `mbgen render` to write the Dockerfiles.\n",
    );
    out.push_str(&doc.to_string());
    out
}

/// One service's `[services.<name>]` table, with its comments, ready to be added to a file.
#[derive(Debug, Clone)]
pub(crate) struct ServiceEntry {
    name: String,
    table: Table,
}

impl ServiceEntry {
    /// The table `init` would write for a proposal: every key with the comment saying where
    /// its value came from, the notes above the table.
    #[must_use]
    pub(crate) fn from_proposal(p: &Proposal) -> Self {
        Self {
            name: p.name.clone(),
            table: service_table(p),
        }
    }

    #[must_use]
    pub(crate) fn name(&self) -> &str {
        &self.name
    }
}

/// The start of an `mbgen.toml` that `mbgen new` or `mbgen add` creates, before its first
/// service: the `#:schema` line and what the file is.
#[must_use]
pub(crate) fn new_file(schema: &str) -> String {
    format!(
        "#:schema {}\n\
         # One table per service; `mbgen render` writes a Dockerfile and a .dockerignore for each.\n",
        single_line(schema)
    )
}

/// `text`, an `mbgen.toml`, with `entry` added as `[services.<name>]` after the last service
/// table. What is already there keeps its comments, formatting and key order. Refuses a name
/// that is taken, and `services` written as an inline table, which cannot take a table header.
/// Errors name no file: the caller knows it.
pub(crate) fn add_service(text: &str, entry: &ServiceEntry) -> Result<String, Box<Diagnostic>> {
    let mut doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        Diagnostic::new(format!("invalid TOML: {}", e.message().trim_end()))
    })?;
    let last_in_file = last_position(doc.as_table());
    if doc.get("services").is_none() {
        let mut services = Table::new();
        services.set_implicit(true);
        doc.insert("services", Item::Table(services));
    }
    let Some(services) = doc.get_mut("services").and_then(Item::as_table_mut) else {
        return Err(Box::new(
            Diagnostic::new(
                "`services` is not written as tables, so no `[services.<name>]` table can be added to it",
            )
            .help("write each service as a `[services.<name>]` table, then run the command again"),
        ));
    };
    if services.contains_key(entry.name()) {
        return Err(Box::new(Diagnostic::new(format!(
            "a service named `{}` exists already",
            entry.name()
        ))));
    }
    // Tables are written in the order of their positions: the new one goes right after the
    // last table of a service, or at the end of a file with none.
    let position = last_position(services)
        .or(last_in_file.map(|p| p + 1))
        .unwrap_or(0);
    let mut table = entry.table.clone();
    table.set_position(Some(position));
    let is_last = last_in_file.is_none_or(|last| position >= last);
    services.insert(entry.name(), Item::Table(table));
    if is_last {
        // Comments after the last key belong to the file's end, and would otherwise follow
        // the new table: keep them where they were, above it.
        let trailing = doc
            .trailing()
            .as_str()
            .unwrap_or_default()
            .trim_end()
            .to_owned();
        doc.set_trailing("");
        if !trailing.is_empty() {
            let table = doc["services"][entry.name()]
                .as_table_mut()
                .expect("the table was just inserted");
            let prefix = table
                .decor()
                .prefix()
                .and_then(|p| p.as_str())
                .unwrap_or("");
            let prefix = format!("{}\n{prefix}", trailing.trim_start_matches('\n'));
            table.decor_mut().set_prefix(prefix);
        }
    }
    Ok(doc.to_string())
}

/// The highest position of `table` and the tables inside it.
fn last_position(table: &Table) -> Option<isize> {
    let mut last = table.position();
    for (_, item) in table {
        let inner = match item {
            Item::Table(t) => last_position(t),
            Item::ArrayOfTables(a) => a.iter().filter_map(last_position).max(),
            _ => None,
        };
        last = last.max(inner);
    }
    last
}

fn service_table(p: &Proposal) -> Table {
    let mut t = Table::new();
    let mut prefix = String::from("\n");
    let evidence = if p.evidence.is_empty() {
        String::new()
    } else {
        format!(" ({})", p.evidence.join(", "))
    };
    prefix.push_str(&comment_block(&format!("{}{evidence}", p.summary), ""));
    for note in &p.notes {
        prefix.push_str(&comment_block(note, "note: "));
    }
    t.decor_mut().set_prefix(prefix);
    t.insert("stack", toml_edit::value(p.stack.as_str()));
    if !p.path.is_root() {
        insert(
            &mut t,
            ServiceKey::Path,
            &Value::Str(p.path.to_string()),
            "the app's directory",
        );
    }
    // In the order of the spec's documentation, which `ServiceKey::ALL` follows.
    let mut settings: Vec<_> = p.settings.iter().collect();
    settings.sort_by_key(|s| s.key);
    for s in settings {
        insert(&mut t, s.key, &s.value, &s.source);
    }
    t
}

fn insert(t: &mut Table, key: ServiceKey, value: &Value, source: &str) {
    let key = key.as_str();
    let item = match value {
        Value::Bool(b) => toml_edit::value(*b),
        Value::Int(n) => toml_edit::value(i64::from(*n)),
        Value::Str(s) => toml_edit::value(s.as_str()),
        Value::List(list) => toml_edit::value(list.iter().map(String::as_str).collect::<Array>()),
        Value::Map(map) => {
            let mut inline = InlineTable::new();
            for (k, v) in map {
                inline.insert(k, v.as_str().into());
            }
            toml_edit::value(inline)
        }
        Value::Lists(map) => {
            let mut inline = InlineTable::new();
            for (k, v) in map {
                let args: Array = v.iter().map(String::as_str).collect();
                inline.insert(k, toml_edit::Value::Array(args));
            }
            toml_edit::value(inline)
        }
    };
    t.insert(key, item);
    let source = single_line(source);
    if source.is_empty() {
        return;
    }
    if source.chars().count() <= INLINE_COMMENT {
        if let Some(v) = t.get_mut(key).and_then(Item::as_value_mut) {
            v.decor_mut().set_suffix(format!(" # {source}"));
        }
    } else if let Some(mut k) = t.key_mut(key) {
        k.leaf_decor_mut().set_prefix(comment_block(&source, ""));
    }
}

/// `s` on one line, spaces collapsed, any other control character (which a TOML comment may
/// not hold: possible in a name from the file system) as `?`.
fn single_line(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// `# `-prefixed lines, wrapped; continuation lines are indented under the first.
fn comment_block(text: &str, lead: &str) -> String {
    let text = single_line(text);
    let indent = " ".repeat(lead.len());
    let mut out = String::new();
    let mut line = format!("# {lead}");
    let mut empty = true;
    for word in text.split_whitespace() {
        if !empty && line.chars().count() + 1 + word.chars().count() > WIDTH {
            out.push_str(line.trim_end());
            out.push('\n');
            line = format!("# {indent}");
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    out.push_str(line.trim_end());
    out.push('\n');
    out
}

/// Loads, resolves and renders a proposed `mbgen.toml` in memory, for the project in `tree`.
/// A failure is a bug in detection: the proposal broke a rule of the spec.
pub(crate) fn verify(text: &str, tree: &crate::model::Tree) -> Result<(), Diagnostics> {
    render_proposal(text, tree).map(|_| ())
}

/// The files a proposed `mbgen.toml` renders, in memory.
pub(crate) fn render_proposal(
    text: &str,
    tree: &crate::model::Tree,
) -> Result<Vec<crate::render::GeneratedFile>, Diagnostics> {
    let source = SourceFile::new(CONFIG_FILE, text);
    let spec: ConfigSpec = toml::from_str(text).map_err(|e| {
        let d = Diagnostic::new(format!(
            "mbgen init proposed an mbgen.toml that does not load ({}); this is a bug in mbgen, please report it with the project layout",
            e.message().trim_end()
        ));
        match e.span() {
            Some(span) => d.at(&source, span),
            None => d.in_file(Path::new(CONFIG_FILE)),
        }
    })?;
    let loaded = LoadedConfig {
        spec,
        source,
        // The key index type is private to `spec`; an empty one is enough for a file that
        // mbgen itself wrote, whose problems are bugs rather than positions to show.
        #[allow(clippy::default_trait_access)]
        keys: Default::default(),
    };
    let project = crate::model::resolve(&loaded, tree)?;
    crate::render::render_project(&project).map_err(|e| {
        Diagnostics::from(Diagnostic::new(format!(
            "mbgen init proposed an mbgen.toml that does not render: {e}; this is a bug in mbgen"
        )))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::{Layout, Setting};
    use crate::spec::value::ServiceName;
    use crate::spec::Stack;

    #[test]
    fn every_key_has_its_source_and_the_result_renders() {
        let report = Report {
            layout: Layout::Single,
            services: vec![Proposal {
                name: "api".into(),
                path: crate::relpath::RelPath::from_normal("services/api"),
                stack: Stack::NodeServer,
                summary: "Express server".into(),
                detector: "node",
                name_hint: None,
                evidence: vec!["services/api/package.json".into()],
                settings: vec![
                    Setting {
                        key: ServiceKey::Port,
                        value: Value::Int(3000),
                        source: "`app.listen(3000)` in a file whose name is long enough to go above the key".into(),
                    },
                    Setting {
                        key: ServiceKey::Start,
                        value: Value::List(vec!["node".into(), "server.js".into()]),
                        source: "the `start` script".into(),
                    },
                ],
                alternatives: vec![],
                notes: vec!["the lockfile is elsewhere".into()],
                choices: vec![],
            }],
            skipped: vec![],
            unread: Vec::new(),
            error: None,
            problems: Diagnostics::default(),
        };
        let text = to_toml(&report, DEFAULT_SCHEMA);
        assert!(
            text.starts_with("#:schema .mbgen/mbgen.schema.json\n"),
            "{text}"
        );
        assert!(text.contains("\n# Express server (services/api/package.json)\n# note: the lockfile is elsewhere\n[services.api]\nstack = \"node-server\"\npath = \"services/api\" # the app's directory\nstart = [\"node\", \"server.js\"] # the `start` script\n# `app.listen(3000)`"), "{text}");
        verify(
            &text,
            &crate::model::Tree::new(Path::new("/nonexistent"), Path::new("")),
        )
        .unwrap();
    }

    #[test]
    fn comments_wrap() {
        let long = "word ".repeat(40);
        let block = comment_block(&long, "note: ");
        assert!(block.lines().all(|l| l.len() <= WIDTH), "{block}");
        assert!(
            block.lines().nth(1).unwrap().starts_with("#       word"),
            "{block}"
        );
    }

    fn go_entry(name: &str) -> ServiceEntry {
        ServiceEntry::from_proposal(&Proposal {
            name: name.into(),
            path: crate::relpath::RelPath::from_normal(&format!("apps/{name}")),
            stack: Stack::Go,
            summary: "Go module".into(),
            detector: "go",
            name_hint: None,
            evidence: vec![],
            settings: vec![Setting {
                key: ServiceKey::Version,
                value: Value::Str("1.24".into()),
                source: "go.mod".into(),
            }],
            alternatives: vec![],
            notes: vec![],
            choices: vec![],
        })
    }

    const ADDED: &str = "\n# Go module\n[services.new]\nstack = \"go\"\npath = \"apps/new\" # the app's directory\nversion = \"1.24\" # go.mod\n";

    #[test]
    fn a_service_is_added_after_the_last_and_the_rest_is_kept_as_written() {
        let before = "\
#:schema ./schema.json
# header

[services.web]   # the site
path = 'apps/web'
stack  =  \"static\"

[services.api]
port = 3000
stack = \"go\"
[services.api.env]
A = \"1\"

[[services.api.secrets]]
id = \"npm\"
# port = 4000
";
        let after = add_service(before, &go_entry("new")).unwrap();
        assert_eq!(after, format!("{before}{ADDED}"));
    }

    #[test]
    fn comments_at_the_end_stay_with_the_table_above_them() {
        let before = "[services.api]\nstack = \"go\"\n# port = 4000\n\n\n";
        let after = add_service(before, &go_entry("new")).unwrap();
        assert_eq!(
            after,
            format!("[services.api]\nstack = \"go\"\n# port = 4000\n{ADDED}")
        );
    }

    #[test]
    fn tables_after_the_services_stay_after_the_new_one() {
        let before = "[services.api]\nstack = \"go\"\n\n[workspace]\nregistry = \"ghcr.io/acme\"\n# the end\n";
        let after = add_service(before, &go_entry("new")).unwrap();
        assert_eq!(
            after,
            format!("[services.api]\nstack = \"go\"\n{ADDED}\n[workspace]\nregistry = \"ghcr.io/acme\"\n# the end\n")
        );
    }

    #[test]
    fn a_file_without_services_gets_the_table_at_its_end() {
        let after = add_service(&new_file("s.json"), &go_entry("new")).unwrap();
        assert_eq!(after, format!("{}{ADDED}", new_file("s.json")));
        let after = add_service("", &go_entry("new")).unwrap();
        assert_eq!(after, ADDED);
        let before = "[workspace]\nregistry = \"ghcr.io/acme\"\n";
        let after = add_service(before, &go_entry("new")).unwrap();
        assert_eq!(after, format!("{before}{ADDED}"));
    }

    #[test]
    fn other_ways_of_writing_services_are_kept() {
        for before in [
            "[services]\n\n[services.api]\nstack = \"go\"\n",
            "services.api.stack = \"go\"\n",
            "[services]\napi.stack = \"go\"\n",
            "[services]\napi = { stack = \"go\" }\n",
        ] {
            let after = add_service(before, &go_entry("new")).unwrap();
            assert!(after.starts_with(before), "{after}");
            let parsed: ConfigSpec =
                toml::from_str(&after).unwrap_or_else(|e| panic!("{e}\n{after}"));
            let names: Vec<&str> = parsed.services.keys().map(ServiceName::as_str).collect();
            assert_eq!(names, ["api", "new"], "{after}");
        }
    }

    #[test]
    fn a_taken_name_and_inline_services_are_refused() {
        let e = add_service("[services.new]\nstack = \"go\"\n", &go_entry("new")).unwrap_err();
        assert!(e.message.contains("`new` exists already"), "{e}");
        let e = add_service(
            "services = { api = { stack = \"go\" } }\n",
            &go_entry("new"),
        )
        .unwrap_err();
        assert!(e.message.contains("not written as tables"), "{e}");
    }
}
