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

/// Finds the apps of a tree and proposes a service for each. Never gives up on the rest: a
/// directory a detector cannot read is left out with the reason, and so is every directory
/// holding a manifest of a language mbgen does not build. Only when nothing could be
/// proposed does the report carry an `error`, with the problems behind it.
// The three layouts (one app, sibling directories, a declared workspace) side by side: the order of the walk is the point.
#[allow(clippy::too_many_lines)]
pub(crate) fn discover(fs: &dyn Fs, options: &Options) -> Report {
    let detectors = detectors();
    let root = Dir::new(fs, "");
    let mut scan = Scan::default();
    let (members, declared_by) = match members(root) {
        Ok(found) => found,
        Err(e) => {
            scan.errors.push(*e);
            (Vec::new(), Vec::new())
        }
    };
    let layout = if declared_by.is_empty() {
        let root_app = scan.app(&detectors, root, options);
        for dir in siblings(root) {
            let found = scan.app(&detectors, Dir::new(fs, &dir), options);
            match found {
                // Beside an app at the root, only another manifest makes another app: a
                // directory of HTML there is the root app's own assets.
                Some(p) if root_app.is_some() && p.detector == "static" => {}
                Some(p) => scan.services.push(p),
                None => {}
            }
        }
        match root_app {
            Some(p) if scan.services.is_empty() => {
                scan.services.push(p);
                Layout::Single
            }
            Some(p) => {
                scan.services.insert(0, p);
                Layout::Directories
            }
            None => Layout::Directories,
        }
    } else {
        for dir in &members {
            let before = scan.skipped.len();
            if let Some(p) = scan.app(&detectors, Dir::new(fs, dir), options) {
                scan.services.push(p);
            } else if scan.skipped.len() == before && holds_manifest(Dir::new(fs, dir)) {
                scan.skipped.push(Skipped {
                    path: RelPath::from_normal(dir).to_string(),
                    detector: "workspace",
                    reason: "a workspace member in which no detector found a project".to_owned(),
                    language: None,
                });
            }
        }
        // Apps beside the workspace that it does not declare (a Python backend beside a JS
        // workspace): every directory with a manifest is accounted for.
        let covered = |d: &str| {
            members.iter().any(|m| {
                m.is_empty() && d.is_empty()
                    || d == m
                    || d.starts_with(&format!("{m}/")) && !m.is_empty()
            })
        };
        for dir in siblings(root).into_iter().filter(|d| !covered(d)) {
            if let Some(p) = scan.app(&detectors, Dir::new(fs, &dir), options) {
                scan.services.push(p);
            }
        }
        // A workspace whose members are tooling (a proxy, a shared config) around an app at
        // its root, as a Next.js or Nuxt app with a pnpm-workspace.yaml of settings is.
        if scan.services.is_empty() && !covered("") {
            if let Some(p) = scan.app(&detectors, root, options) {
                scan.services.push(p);
            }
        }
        Layout::Workspace { declared_by }
    };
    let Scan {
        mut services,
        skipped,
        errors,
    } = scan;
    let problems = if services.is_empty() {
        if errors.is_empty() {
            nothing_found(
                "found no app to build a container image for",
                &detectors,
                &skipped,
                "Run `mbgen init` in the directory of the app, or write mbgen.toml by hand (`mbgen schema` describes it).",
            )
            .into()
        } else {
            errors
        }
    } else {
        Diagnostics::default()
    };
    name_services(&mut services, options);
    Report {
        layout,
        error: (!problems.is_empty()).then(|| problems.to_string().trim_end().to_owned()),
        services,
        skipped,
        unread: fs.unread().to_vec(),
        problems,
    }
}

/// What the scan found so far.
#[derive(Default)]
struct Scan {
    services: Vec<Proposal>,
    skipped: Vec<Skipped>,
    /// Problems of directories left out, reported when nothing at all could be proposed.
    errors: Diagnostics,
}

impl Scan {
    /// The app of one directory; what was left out there goes to `skipped`: the projects
    /// the detectors found that are not apps, a manifest a detector could not read, and
    /// manifests of languages mbgen does not build.
    fn app(
        &mut self,
        detectors: &[Box<dyn Detector>],
        dir: Dir<'_>,
        options: &Options,
    ) -> Option<Proposal> {
        if let Some(skip) = super::languages::platform(dir) {
            self.skipped.push(skip);
            return None;
        }
        match evaluate(detectors, dir, options) {
            Ok(Found::App(p)) => return Some(*p),
            Ok(Found::Nothing(skips)) => self.skipped.extend(skips),
            Err(errors) => {
                for e in &errors.0 {
                    self.skipped.push(Skipped {
                        path: problem_path(e)
                            .unwrap_or_else(|| RelPath::from_normal(dir.base()).to_string()),
                        detector: "error",
                        reason: format!("cannot be read: {}", e.message),
                        language: None,
                    });
                }
                for e in errors.0 {
                    if !self.errors.0.contains(&e) {
                        self.errors.push(e);
                    }
                }
            }
        }
        self.skipped.extend(super::languages::unsupported(dir));
        None
    }
}

/// The file a problem is in, with its line: `api/pyproject.toml:3`.
fn problem_path(d: &Diagnostic) -> Option<String> {
    if let Some((file, span)) = &d.location {
        let (line, _) = file.line_col(span.start);
        return Some(format!("{}:{line}", file.path.display()));
    }
    d.path.as_ref().map(|p| p.display().to_string())
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
        Found::Nothing(mut skipped) => {
            skipped.extend(super::languages::unsupported(Dir::new(fs, dir)));
            Err(nothing_found(
            &format!("found no app in {} to build a container image for", RelPath::from_normal(dir)),
            &detectors,
            &skipped,
            "Pass the directory of an app, or add the service to mbgen.toml by hand (`mbgen schema` describes it).",
        )
        .into())
        }
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
                language: None,
            }),
            Ok(Outcome::Absent) => {}
            Err(e) => errors.push(*e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if found.is_empty() {
        return Ok(Found::Nothing(skipped));
    }
    // An app whose directory has a name Dockerfiles cannot hold exactly (`*`, control
    // characters...) makes no service; the other apps still do. A directory that holds no app
    // (a Next.js route such as `app/[slug]`) is no concern.
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
            language: None,
        }]));
    }
    let mut found = found.into_iter();
    let Some(mut first) = found.next() else {
        return Ok(Found::Nothing(skipped));
    };
    super::ignore::keep_tracked_env_files(dir, &mut first);
    super::evidence::apply(dir, &mut first);
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

/// Whether a directory holds a manifest of some language directly: a member without one is
/// no project (`packages: ['**']` matches every directory).
fn holds_manifest(dir: Dir<'_>) -> bool {
    const MANIFESTS: &[&str] = &[
        "package.json",
        "go.mod",
        "Cargo.toml",
        "pyproject.toml",
        "requirements.txt",
        "setup.py",
        "pom.xml",
        "build.gradle",
        "build.gradle.kts",
    ];
    dir.first_of(MANIFESTS).is_some() || !super::languages::unsupported(dir).is_empty()
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
    if let Some(file) = root.manifest("pyproject.toml")? {
        let table = parse_toml(&file)?;
        let uv = table
            .get("tool")
            .and_then(|t| t.get("uv"))
            .and_then(|t| t.get("workspace"));
        if let Some(ws) = uv {
            declared_by.push("pyproject.toml".to_owned());
            patterns.extend(toml_strings(ws, "members"));
            excludes.extend(toml_strings(ws, "exclude"));
            if table.contains_key("project") {
                literal.push(String::new());
            }
        }
    }
    // `packages: [.]`: the root itself.
    if patterns.iter().any(|p| matches!(p.as_str(), "." | "./")) {
        literal.push(String::new());
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
        let report = discover(&fs, &Options::default()).into_result().unwrap();
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
        let report = discover(&fs, &Options::default()).into_result().unwrap();
        let names: Vec<&str> = report.services.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["backend", "frontend"]);
        assert!(matches!(report.layout, Layout::Directories));
    }

    #[test]
    fn an_app_at_the_root_of_a_workspace_of_tooling_is_proposed() {
        // A Nuxt or Next.js app with a pnpm-workspace.yaml whose only member is a helper.
        let fs = MemFs::new([
            ("pnpm-workspace.yaml", "packages:\n  - proxy\n"),
            ("pnpm-lock.yaml", "lockfileVersion: '9.0'\n"),
            (
                "package.json",
                r#"{"name": "movies", "scripts": {"build": "vite build"}, "devDependencies": {"vite": "5"}}"#,
            ),
            ("index.html", "<html>"),
            ("proxy/package.json", r#"{"name": "proxy"}"#),
        ]);
        let report = discover(&fs, &Options::default()).into_result().unwrap();
        let paths: Vec<String> = report.services.iter().map(|p| p.path.to_string()).collect();
        assert_eq!(paths, ["."]);
        assert!(matches!(report.layout, Layout::Workspace { .. }));
    }

    #[test]
    fn a_directory_of_a_name_docker_cannot_hold_is_no_concern_without_an_app() {
        // Next.js routes: `app/[slug]`, `app/(group)`.
        let fs = MemFs::new([
            ("go.mod", "module example.com/app\ngo 1.24\n"),
            ("main.go", "package main\n"),
            ("web/app/[slug]/page.tsx", "export default 1\n"),
        ]);
        let report = discover(&fs, &Options::default()).into_result().unwrap();
        assert!(report.skipped.is_empty(), "{:?}", report.skipped.len());
    }

    #[test]
    fn nothing_found_says_what_was_looked_for() {
        let fs = MemFs::new([("README.md", "")]);
        let e = discover(&fs, &Options::default())
            .into_result()
            .unwrap_err()
            .to_string();
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
        let report = discover(&fs, &Options::default()).into_result().unwrap();
        assert_eq!(report.services[0].name, "my-server");
    }
}
