//! Which directories are apps: the root alone, the members a workspace file declares
//! (npm/yarn/pnpm workspaces, `go.work`, a Cargo workspace), or sibling directories with
//! manifests of their own. Libraries are left out, with the reason.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::{
    detectors, service_name, Detector, Dir, Fs, Layout, Options, Outcome, Proposal, Report, Skipped,
};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::manifest::glob::MemberPatterns;
use crate::manifest::go_mod::GoWork;
use crate::manifest::package_json::PackageJson;
use crate::manifest::pnpm;
use crate::manifest::source::{parse_toml, toml_strings};
use crate::relpath::RelPath;

/// Directories never taken for apps when looking at siblings.
const NOT_APP_DIRS: &[&str] = &[
    "docs", "doc", "e2e", "examples", "example", "fixtures", "scripts", "test", "tests",
    "testdata", "tools",
];

/// Finds the apps of a tree and proposes a service for each.
pub(crate) fn discover(fs: &dyn Fs, options: &Options) -> Result<Report, Diagnostics> {
    let detectors = detectors();
    let root = Dir::new(fs, "");
    let mut errors = Diagnostics::default();
    let (members, declared_by) = match members(root) {
        Ok(found) => found,
        Err(e) => return Err((*e).into()),
    };
    let mut services = Vec::new();
    let mut skipped = Vec::new();
    let layout = if declared_by.is_empty() {
        let root_app = match evaluate(&detectors, root, options)? {
            Found::App(p) => Some(p),
            Found::Nothing(skips) => {
                skipped.extend(skips);
                None
            }
        };
        for dir in siblings(root) {
            match evaluate(&detectors, Dir::new(fs, &dir), options) {
                // Beside an app at the root, only another manifest makes another app: a
                // directory of HTML there is the root app's own assets.
                Ok(Found::App(p)) if root_app.is_some() && p.detector == "static" => {}
                Ok(Found::App(p)) => services.push(*p),
                Ok(Found::Nothing(skips)) => {
                    if root_app.is_none() {
                        skipped.extend(skips);
                    }
                }
                Err(e) => errors.0.extend(e.0),
            }
        }
        match root_app {
            Some(p) if services.is_empty() => {
                services.push(*p);
                Layout::Single
            }
            Some(p) => {
                services.insert(0, *p);
                Layout::Directories
            }
            None => Layout::Directories,
        }
    } else {
        for dir in &members {
            match evaluate(&detectors, Dir::new(fs, dir), options) {
                Ok(Found::App(p)) => services.push(*p),
                Ok(Found::Nothing(skips)) => {
                    if skips.is_empty() {
                        skipped.push(Skipped {
                            path: RelPath::from_normal(dir).to_string(),
                            detector: "workspace",
                            reason: "a workspace member in which no detector found a project"
                                .to_owned(),
                        });
                    }
                    skipped.extend(skips);
                }
                Err(e) => errors.0.extend(e.0),
            }
        }
        Layout::Workspace { declared_by }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    if services.is_empty() {
        return Err(nothing_found(
            "found no app to build a container image for",
            &detectors,
            &skipped,
            "Run `mbgen init` in the directory of the app, or write mbgen.toml by hand (`mbgen schema` describes it).",
        )
        .into());
    }
    name_services(&mut services, options);
    Ok(Report {
        layout,
        services,
        skipped,
        unread: fs.unread().to_vec(),
    })
}

/// Proposes a service for one directory of the tree (`dir`, relative to its root), for
/// `mbgen add`: the first detector's proposal, named as [`discover`] names a service in that
/// directory. A Node workspace member whose lockfile is at the workspace root gets that root
/// as its `context`, which its install needs. Finding nothing is an error that says what each
/// detector looked for.
pub(crate) fn detect_dir(
    fs: &dyn Fs,
    dir: &str,
    options: &Options,
) -> Result<Proposal, Diagnostics> {
    let detectors = detectors();
    match evaluate(&detectors, Dir::new(fs, dir), options)? {
        Found::App(p) => {
            let mut found = [*p];
            name_services(&mut found, options);
            let [p] = found;
            Ok(p)
        }
        Found::Nothing(skipped) => Err(nothing_found(
            &format!("found no app in {} to build a container image for", RelPath::from_normal(dir)),
            &detectors,
            &skipped,
            "Pass the directory of an app, or add the service to mbgen.toml by hand (`mbgen schema` describes it).",
        )
        .into()),
    }
}

fn nothing_found(
    message: &str,
    detectors: &[Box<dyn Detector>],
    skipped: &[Skipped],
    advice: &str,
) -> Diagnostic {
    let mut help = String::from("mbgen looked for:\n");
    for d in detectors {
        let _ = writeln!(help, "      {:<7} {}", d.name(), d.looks_for());
    }
    if !skipped.is_empty() {
        help.push_str("    and left out:\n");
        for s in skipped {
            let _ = writeln!(help, "      {}: {}", s.path, s.reason);
        }
    }
    help.push_str("    ");
    help.push_str(advice);
    Diagnostic::new(message).help(help)
}

/// What the detectors made of one directory.
enum Found {
    App(Box<Proposal>),
    /// No app; the projects found there and why they are not apps.
    Nothing(Vec<Skipped>),
}

/// Runs every detector on a directory: the first proposal wins, the others become its
/// alternatives.
fn evaluate(
    detectors: &[Box<dyn Detector>],
    dir: Dir<'_>,
    options: &Options,
) -> Result<Found, Diagnostics> {
    // A name Dockerfiles cannot hold exactly (`*`, control characters...) makes no service;
    // the other apps still do.
    if let Some(bad) = dir
        .base()
        .split('/')
        .find(|c| !c.is_empty() && !RelPath::is_valid_name(c))
    {
        let why = RelPath::parse(bad).err().unwrap_or_default();
        return Ok(Found::Nothing(vec![Skipped {
            path: dir.base().to_owned(),
            detector: "workspace",
            reason: format!("its name cannot be written in a Dockerfile as it is ({why}): rename it to make a service of it"),
        }]));
    }
    let mut errors = Diagnostics::default();
    let mut found: Vec<Proposal> = Vec::new();
    let mut skipped = Vec::new();
    for detector in detectors {
        match detector.detect(dir, options) {
            Ok(Outcome::Found(p)) => found.push(*p),
            Ok(Outcome::NotAnApp { manifest, reason }) => skipped.push(Skipped {
                path: manifest,
                detector: detector.name(),
                reason,
            }),
            Ok(Outcome::Absent) => {}
            Err(e) => errors.push(*e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut found = found.into_iter();
    let Some(mut first) = found.next() else {
        return Ok(Found::Nothing(skipped));
    };
    for other in found {
        first.alternatives.push(format!(
            "stack `{}`: {} ({})",
            other.stack.as_str(),
            other.summary,
            other.evidence.join(", ")
        ));
    }
    Ok(Found::App(Box::new(first)))
}

/// Directories below the root that may hold apps: each child, and the children of a child
/// that holds no files of its own at its top (`apps/`, `services/`).
fn siblings(root: Dir<'_>) -> Vec<String> {
    let usable = |name: &str| {
        !name.starts_with('.') && !super::fs::is_skipped_dir(name) && !NOT_APP_DIRS.contains(&name)
    };
    let mut dirs = Vec::new();
    for child in root.subdirs() {
        if !usable(child) {
            continue;
        }
        let dir = Dir::new(root.fs(), child);
        let has_files = dir.files().any(|f| !f.contains('/'));
        if has_files {
            dirs.push(child.to_owned());
        } else {
            for grandchild in dir.subdirs() {
                if usable(grandchild) {
                    dirs.push(format!("{child}/{grandchild}"));
                }
            }
        }
    }
    dirs
}

/// The member directories declared by workspace files at the root, and those files.
fn members(root: Dir<'_>) -> Result<(Vec<String>, Vec<String>), Box<Diagnostic>> {
    let mut patterns: Vec<String> = Vec::new();
    let mut excludes: Vec<String> = Vec::new();
    let mut literal: Vec<String> = Vec::new();
    let mut declared_by = Vec::new();
    if let Some(file) = root.manifest("package.json")? {
        let list = PackageJson::parse(&file)?.workspaces;
        if !list.is_empty() {
            declared_by.push("package.json".to_owned());
            patterns.extend(list);
        }
    }
    if let Some(text) = root.read("pnpm-workspace.yaml") {
        let list = pnpm::packages(&text);
        if !list.is_empty() {
            declared_by.push("pnpm-workspace.yaml".to_owned());
            patterns.extend(list);
        }
    }
    if let Some(file) = root.manifest("go.work")? {
        let list = GoWork::parse(&file)?.members();
        if !list.is_empty() {
            declared_by.push("go.work".to_owned());
            literal.extend(list.iter().map(|m| m.as_str().to_owned()));
        }
    }
    if let Some(file) = root.manifest("Cargo.toml")? {
        let table = parse_toml(&file)?;
        if let Some(ws) = table.get("workspace") {
            let strings = |key: &str| toml_strings(ws, key);
            let list = strings("members");
            if !list.is_empty() || table.contains_key("package") {
                declared_by.push("Cargo.toml".to_owned());
                patterns.extend(list);
                excludes.extend(strings("exclude"));
                if table.contains_key("package") {
                    literal.push(String::new());
                }
            }
        }
    }
    let dirs: BTreeSet<String> = root
        .fs()
        .files()
        .iter()
        .flat_map(|f| {
            let parts: Vec<&str> = f.split('/').collect();
            (1..parts.len()).map(move |n| parts[..n].join("/"))
        })
        .collect();
    patterns.extend(excludes.iter().map(|e| format!("!{e}")));
    let patterns = MemberPatterns::new(&patterns);
    let mut out: BTreeSet<String> = dirs.into_iter().filter(|d| patterns.matches(d)).collect();
    out.extend(literal);
    let members = out
        .into_iter()
        .filter(|d| !patterns.excluded(d))
        .filter(|d| d.split('/').all(|c| !super::fs::is_skipped_dir(c)))
        .collect();
    Ok((members, declared_by))
}

/// Gives every proposal a distinct service name: the project's own name for a single app,
/// the directory name in a monorepo.
fn name_services(services: &mut [Proposal], options: &Options) {
    let single = services.len() == 1 && services[0].path.is_root();
    let mut taken: BTreeSet<String> = BTreeSet::new();
    for p in services.iter_mut() {
        let last = p.path.file_name();
        let candidates: Vec<Option<String>> = if single || p.path.is_root() {
            vec![
                p.name_hint.as_deref().and_then(service_name),
                options.root_name.as_deref().and_then(service_name),
            ]
        } else {
            vec![
                service_name(last),
                p.name_hint.as_deref().and_then(service_name),
                service_name(&p.path.as_str().replace('/', "-")),
            ]
        };
        let base = candidates
            .into_iter()
            .flatten()
            .find(|n| !taken.contains(n))
            .unwrap_or_else(|| "app".to_owned());
        let mut name = base.clone();
        let mut n = 2;
        while taken.contains(&name) {
            name = format!("{base}-{n}");
            n += 1;
        }
        taken.insert(name.clone());
        p.name = name;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::fs::MemFs;
    use crate::spec::Stack;

    #[test]
    fn workspace_members_become_services_and_libraries_are_left_out() {
        let fs = MemFs::new([
            (
                "package.json",
                r#"{"private": true, "workspaces": ["apps/*", "packages/*"]}"#,
            ),
            ("package-lock.json", "{}"),
            (
                "apps/web/package.json",
                r#"{"name": "@acme/web", "scripts": {"build": "vite build"}, "devDependencies": {"vite": "5"}}"#,
            ),
            (
                "apps/api/package.json",
                r#"{"name": "@acme/api", "scripts": {"start": "node server.js"}}"#,
            ),
            ("apps/api/server.js", "app.listen(4000)"),
            (
                "packages/ui/package.json",
                r#"{"name": "@acme/ui", "main": "index.js"}"#,
            ),
        ]);
        let report = discover(&fs, &Options::default()).unwrap();
        let names: Vec<(&str, &str, Stack)> = report
            .services
            .iter()
            .map(|p| (p.name.as_str(), p.path.as_str(), p.stack))
            .collect();
        assert_eq!(
            names,
            [
                ("api", "apps/api", Stack::NodeServer),
                ("web", "apps/web", Stack::NodeStatic)
            ]
        );
        assert_eq!(report.skipped.len(), 1);
        assert_eq!(report.skipped[0].path, "packages/ui/package.json");
    }

    #[test]
    fn sibling_directories_without_a_workspace_file() {
        let fs = MemFs::new([
            ("README.md", ""),
            ("backend/go.mod", "module example.com/backend\ngo 1.24\n"),
            ("backend/main.go", "package main\n"),
            ("frontend/index.html", "<html>"),
            ("docs/index.html", "<html>"),
        ]);
        let report = discover(&fs, &Options::default()).unwrap();
        let names: Vec<&str> = report.services.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["backend", "frontend"]);
        assert!(matches!(report.layout, Layout::Directories));
    }

    #[test]
    fn nothing_found_says_what_was_looked_for() {
        let fs = MemFs::new([("README.md", "")]);
        let e = discover(&fs, &Options::default()).unwrap_err().to_string();
        for d in ["node", "go", "python", "rust", "static"] {
            assert!(e.contains(&format!("      {d}")), "{e}");
        }
    }

    #[test]
    fn single_app_is_named_after_the_project() {
        let fs = MemFs::new([
            ("Cargo.toml", "[package]\nname = \"my_server\"\n"),
            ("Cargo.lock", ""),
            ("src/main.rs", ""),
        ]);
        let report = discover(&fs, &Options::default()).unwrap();
        assert_eq!(report.services[0].name, "my-server");
    }
}
