//! Workspace builds: which packages of an npm, yarn or pnpm workspace, a `go.work` or a Cargo
//! workspace a service uses, read from the manifests when the service's build context is the
//! workspace root.
//!
//! Only the files named here are read: the root's workspace file, the members' manifests
//! and the directories the member patterns name. Nothing walks the tree.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, SourceFile};
use crate::guard::{self, Confined};
use crate::manifest::glob::MemberPatterns;
use crate::manifest::go_mod::{GoMod, GoWork};
use crate::manifest::package_json::PackageJson;
use crate::manifest::source::{parse_toml, toml_strings};
use crate::manifest::{is_skipped_dir, pnpm};
use crate::relpath::RelPath;

/// The members of a workspace and what the service at `dir` needs of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Members {
    /// Every member directory, relative to the workspace root, sorted.
    pub all: Vec<RelPath>,
    /// The members the service uses, directly or through another member, relative to the
    /// workspace root: dependencies before their dependents, the service itself excluded.
    pub used: Vec<RelPath>,
    /// The service's package name, where the build names it (`cargo build -p`).
    pub package: Option<String>,
    /// Go: the modules outside the workspace that the service and the modules it uses
    /// require, as `path@version`, sorted.
    pub external: Vec<String>,
}

/// Reads files below the project root, naming them in errors as the user sees them.
#[derive(Debug, Clone)]
pub(crate) struct Tree {
    root: PathBuf,
    shown: PathBuf,
    /// The root, which no read leaves; `None` when it does not exist (nothing can be read).
    confined: Option<Confined>,
}

impl Tree {
    /// `root` is where files are read; `shown` is how the root is named in messages.
    #[must_use]
    pub(crate) fn new(root: &Path, shown: &Path) -> Self {
        Self {
            root: root.to_owned(),
            shown: shown.to_owned(),
            confined: Confined::new(root).ok(),
        }
    }

    /// A path below the root as the user sees it.
    pub(crate) fn shown(&self, rel: &RelPath) -> PathBuf {
        if self.shown.as_os_str().is_empty() || self.shown == Path::new(".") {
            PathBuf::from(rel.display())
        } else if rel.is_root() {
            self.shown.clone()
        } else {
            self.shown.join(rel.as_str())
        }
    }

    /// A file, or `None` when it does not exist.
    pub(super) fn read(&self, rel: &RelPath) -> Result<Option<SourceFile>, Box<Diagnostic>> {
        let Some(confined) = &self.confined else {
            return Ok(None);
        };
        let shown = self.shown(rel);
        let path = confined.check(Path::new(rel.as_str()), &shown)?;
        match guard::read_text(&path, guard::MAX_MANIFEST_BYTES) {
            Ok(text) => Ok(Some(SourceFile::new(shown, text))),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(Box::new(e.diagnostic(&shown))),
        }
    }

    /// Whether a `yarn.lock` is Yarn berry's (2 and later), whose lockfile starts with a
    /// `__metadata` entry; a missing or unreadable file reads as Yarn classic's.
    pub(crate) fn is_yarn_berry_lockfile(&self, rel: &RelPath) -> bool {
        fs_err::read_to_string(self.root.join(rel.as_str()))
            .is_ok_and(|text| text.lines().take(20).any(|l| l.starts_with("__metadata:")))
    }

    pub(super) fn exists(&self, rel: &RelPath) -> bool {
        self.root.join(rel.as_str()).exists()
    }

    /// The directories below `rel`, `depth` levels deep at most (`None`: a bounded walk for
    /// `**`).
    fn dirs_below(&self, rel: &RelPath, depth: usize, out: &mut Vec<RelPath>) {
        if depth == 0 {
            return;
        }
        let Ok(entries) = fs_err::read_dir(self.root.join(rel.as_str())) else {
            return;
        };
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| !n.starts_with('.') && !is_skipped_dir(n))
            .collect();
        names.sort();
        for name in names {
            let path = rel.join_str(&name);
            out.push(path.clone());
            self.dirs_below(&path, depth - 1, out);
        }
    }
}

/// Expands member patterns (`packages/*`, `apps/**`, `libs/util`, `!pattern`) against the
/// directories that exist below `base`, keeping those for which `is_member` holds.
/// The members a workspace table declares (`members` less `exclude`) that hold `manifest`,
/// the root first when it is a package itself.
fn declared_members(
    tree: &Tree,
    context: &RelPath,
    ws: &toml::Value,
    manifest: &str,
    root_is_package: bool,
) -> Vec<RelPath> {
    let mut patterns = toml_strings(ws, "members");
    patterns.extend(
        toml_strings(ws, "exclude")
            .into_iter()
            .map(|e| format!("!{e}")),
    );
    let mut all = expand(tree, context, &patterns, &|m| {
        tree.exists(&context.join(m).join_str(manifest))
    });
    if root_is_package && !all.contains(&RelPath::root()) {
        all.insert(0, RelPath::root());
    }
    all
}

fn expand(
    tree: &Tree,
    base: &RelPath,
    patterns: &[String],
    is_member: &dyn Fn(&RelPath) -> bool,
) -> Vec<RelPath> {
    let compiled = MemberPatterns::new(patterns);
    let mut found = BTreeSet::new();
    for pattern in &compiled.include {
        let fixed = RelPath::normalize(&pattern.fixed_prefix()).unwrap_or_default();
        // The literal directories before the first wildcard, then a bounded walk below.
        let depth = pattern.depth_below_prefix().unwrap_or(6);
        let mut candidates = vec![fixed.clone()];
        let mut below = Vec::new();
        tree.dirs_below(&base.join(&fixed), depth, &mut below);
        candidates.extend(below.iter().filter_map(|d| d.strip_prefix(base)));
        for c in candidates {
            // A directory whose name no Dockerfile can name exactly is never a member.
            let nameable = c.components().all(RelPath::is_valid_name);
            if nameable
                && pattern.matches(c.as_str())
                && !compiled.excluded(c.as_str())
                && is_member(&c)
            {
                found.insert(c);
            }
        }
    }
    found.into_iter().collect()
}

/// A workspace's members and which members each depends on, read once per workspace root.
#[derive(Debug, Clone)]
pub(crate) struct Graph {
    /// Every member directory, relative to the workspace root, sorted.
    all: Vec<RelPath>,
    /// Member → the members it depends on.
    edges: BTreeMap<RelPath, Vec<RelPath>>,
    /// The file declaring the members, as shown to the user.
    declared_in: PathBuf,
    /// Member → its package name, where the build needs it (Cargo).
    names: BTreeMap<RelPath, String>,
    /// Member → what it requires from outside the workspace (Go, `path@version`).
    external: BTreeMap<RelPath, Vec<String>>,
}

impl Graph {
    /// What the member at `dir` (relative to the project root) uses; `context` is the root of
    /// this workspace, relative to the project root.
    pub(crate) fn members(
        &self,
        context: &RelPath,
        dir: &RelPath,
    ) -> Result<Members, Box<Diagnostic>> {
        let own = dir.strip_prefix(context).unwrap_or_else(|| dir.clone());
        if !self.all.contains(&own) {
            return Err(Box::new(
                Diagnostic::new(format!(
                    "{dir} is not a member of the workspace declared in {}",
                    self.declared_in.display()
                ))
                .help("add it to the workspace, or remove `context` to build it from its own directory"),
            ));
        }
        let edges = |m: &RelPath| self.edges.get(m).cloned().unwrap_or_default();
        let used = dependency_order(&own, &edges);
        let mut external: Vec<String> = used
            .iter()
            .chain(std::iter::once(&own))
            .flat_map(|m| self.external.get(m).into_iter().flatten().cloned())
            .collect();
        external.sort();
        external.dedup();
        Ok(Members {
            used,
            all: self.all.clone(),
            package: self.names.get(&own).cloned(),
            external,
        })
    }
}

/// The kinds of workspace a service can be built from the root of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    /// npm, yarn or pnpm workspaces.
    Node,
    /// A `go.work`.
    Go,
    /// A Cargo workspace.
    Cargo,
    /// A uv workspace (`[tool.uv.workspace]` in the root pyproject.toml).
    Uv,
}

impl Kind {
    /// Reads the workspace of this kind at `context` (relative to the project root).
    pub(crate) fn read(self, tree: &Tree, context: &RelPath) -> Result<Graph, Box<Diagnostic>> {
        match self {
            Self::Node => node_graph(tree, context),
            Self::Go => go_graph(tree, context),
            Self::Cargo => cargo_graph(tree, context),
            Self::Uv => uv_graph(tree, context),
        }
    }
}

/// Member → the members it refers to: each member's references (package names, module
/// paths), kept where `index` maps them to a member.
fn link(
    all: &[RelPath],
    references: &BTreeMap<RelPath, Vec<String>>,
    index: &BTreeMap<String, RelPath>,
) -> BTreeMap<RelPath, Vec<RelPath>> {
    all.iter()
        .map(|m| {
            let to = references
                .get(m)
                .into_iter()
                .flatten()
                .filter_map(|r| index.get(r).cloned())
                .collect();
            (m.clone(), to)
        })
        .collect()
}

fn no_workspace(tree: &Tree, context: &RelPath, what: &str, help: &str) -> Diagnostic {
    Diagnostic::new(format!("{what} in {}", tree.shown(context).display())).help(help)
}

/// Reads the npm, yarn or pnpm workspace at `context`.
fn node_graph(tree: &Tree, context: &RelPath) -> Result<Graph, Box<Diagnostic>> {
    let mut patterns = Vec::new();
    let root_manifest = context.join_str("package.json");
    let mut declared_in = tree.shown(&root_manifest);
    if let Some(file) = tree.read(&root_manifest)? {
        patterns.extend(PackageJson::parse(&file)?.workspaces);
    }
    if let Some(file) = tree.read(&context.join_str("pnpm-workspace.yaml"))? {
        let list = pnpm::packages(&file.text);
        if !list.is_empty() {
            declared_in.clone_from(&file.path);
        }
        patterns.extend(list);
    }
    if patterns.is_empty() {
        return Err(Box::new(
            Diagnostic::new(format!(
                "{} declares no workspace (no `workspaces` in package.json, no pnpm-workspace.yaml)",
                tree.shown(context).display()
            ))
            .help("set `context` to the root of the workspace the service belongs to, or remove `context` to build the service from its own directory"),
        ));
    }
    let all = expand(tree, context, &patterns, &|m| {
        tree.exists(&context.join(m).join_str("package.json"))
    });
    let mut by_name: BTreeMap<String, RelPath> = BTreeMap::new();
    let mut deps: BTreeMap<RelPath, Vec<String>> = BTreeMap::new();
    for member in &all {
        let Some(file) = tree.read(&context.join(member).join_str("package.json"))? else {
            continue;
        };
        let manifest = PackageJson::parse(&file)?;
        if let Some(name) = &manifest.name {
            by_name.insert(name.clone(), member.clone());
        }
        deps.insert(
            member.clone(),
            manifest.all_dependencies().into_iter().collect(),
        );
    }
    let edges = link(&all, &deps, &by_name);
    Ok(Graph {
        all,
        edges,
        declared_in,
        names: BTreeMap::new(),
        external: BTreeMap::new(),
    })
}

/// Reads the `go.work` at `context`.
fn go_graph(tree: &Tree, context: &RelPath) -> Result<Graph, Box<Diagnostic>> {
    let Some(work) = tree.read(&context.join_str("go.work"))? else {
        return Err(Box::new(no_workspace(
            tree,
            context,
            "there is no go.work",
            "set `context` to the directory of the go.work the module belongs to, or remove `context` to build the module from its own directory",
        )));
    };
    let mut all = GoWork::parse(&work)?.members();
    all.sort();
    all.dedup();
    let mut by_path: BTreeMap<String, RelPath> = BTreeMap::new();
    let mut requires: BTreeMap<RelPath, Vec<String>> = BTreeMap::new();
    let mut versions: BTreeMap<RelPath, Vec<String>> = BTreeMap::new();
    for member in &all {
        let Some(file) = tree.read(&context.join(member).join_str("go.mod"))? else {
            return Err(Box::new(
                Diagnostic::new(format!(
                    "{} uses `{member}`, which has no go.mod",
                    work.path.display(),
                ))
                .help("fix go.work (`go work use` lists the modules)"),
            ));
        };
        let m = GoMod::parse(&file)?;
        by_path.insert(m.path.clone(), member.clone());
        requires.insert(member.clone(), m.requires);
        versions.insert(member.clone(), m.required_versions);
    }
    let edges = link(&all, &requires, &by_path);
    let external = versions
        .into_iter()
        .map(|(m, list)| {
            let outside = list
                .into_iter()
                .filter(|pv| {
                    let path = pv.split('@').next().unwrap_or_default();
                    !by_path.contains_key(path)
                })
                .collect();
            (m, outside)
        })
        .collect();
    Ok(Graph {
        all,
        edges,
        declared_in: work.path.clone(),
        names: BTreeMap::new(),
        external,
    })
}

/// Reads the Cargo workspace at `context`: its members (`members` globs, less `exclude`; the
/// root package too when there is one) and the path dependencies between them.
fn cargo_graph(tree: &Tree, context: &RelPath) -> Result<Graph, Box<Diagnostic>> {
    const HELP: &str = "set `context` to the directory of the Cargo workspace the crate belongs to, or remove `context` to build the crate alone";
    let Some(file) = tree.read(&context.join_str("Cargo.toml"))? else {
        return Err(Box::new(no_workspace(
            tree,
            context,
            "there is no Cargo.toml",
            HELP,
        )));
    };
    let root = parse_toml(&file)?;
    let Some(ws) = root.get("workspace").filter(|w| w.is_table()) else {
        return Err(Box::new(
            Diagnostic::new(format!("{} has no [workspace] table", file.path.display()))
                .in_file(&file.path)
                .help(HELP),
        ));
    };
    let all = declared_members(
        tree,
        context,
        ws,
        "Cargo.toml",
        root.contains_key("package"),
    );
    // `{ workspace = true }` dependencies take their path from [workspace.dependencies].
    let shared: BTreeMap<String, RelPath> = ws
        .get("dependencies")
        .and_then(toml::Value::as_table)
        .map(|t| {
            t.iter()
                .filter_map(|(name, v)| {
                    let path = RelPath::normalize(v.get("path")?.as_str()?)?;
                    Some((name.clone(), path))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut edges = BTreeMap::new();
    let mut names = BTreeMap::new();
    for member in &all {
        let table = if member.is_root() {
            root.clone()
        } else {
            let Some(file) = tree.read(&context.join(member).join_str("Cargo.toml"))? else {
                continue;
            };
            parse_toml(&file)?
        };
        if let Some(name) = table
            .get("package")
            .and_then(|p| p.get("name"))
            .and_then(toml::Value::as_str)
        {
            names.insert(member.clone(), name.to_owned());
        }
        let to = path_dependencies(member, &table, &shared, &all);
        edges.insert(member.clone(), to);
    }
    Ok(Graph {
        all,
        edges,
        declared_in: file.path.clone(),
        names,
        external: BTreeMap::new(),
    })
}

/// A uv workspace: the members of `[tool.uv.workspace]` (and the root, when it is a project
/// itself), named by `[project] name`, each depending on the members its dependencies name.
// The workspace, its members and their dependencies read in one pass over the manifests.
#[allow(clippy::too_many_lines)]
fn uv_graph(tree: &Tree, context: &RelPath) -> Result<Graph, Box<Diagnostic>> {
    const HELP: &str = "set `context` to the directory of the uv workspace the project belongs to, or remove `context` to build the project alone";
    let Some(file) = tree.read(&context.join_str("pyproject.toml"))? else {
        return Err(Box::new(no_workspace(
            tree,
            context,
            "there is no pyproject.toml",
            HELP,
        )));
    };
    let root = parse_toml(&file)?;
    let Some(ws) = root
        .get("tool")
        .and_then(|t| t.get("uv"))
        .and_then(|t| t.get("workspace"))
    else {
        return Err(Box::new(
            Diagnostic::new(format!(
                "{} has no [tool.uv.workspace] table",
                file.path.display()
            ))
            .in_file(&file.path)
            .help(HELP),
        ));
    };
    let all = declared_members(
        tree,
        context,
        ws,
        "pyproject.toml",
        root.contains_key("project"),
    );
    let normalize = |n: &str| n.trim().to_ascii_lowercase().replace(['_', '.'], "-");
    let mut tables = BTreeMap::new();
    for member in &all {
        let table = if member.is_root() {
            root.clone()
        } else {
            let Some(f) = tree.read(&context.join(member).join_str("pyproject.toml"))? else {
                continue;
            };
            parse_toml(&f)?
        };
        tables.insert(member.clone(), table);
    }
    let names: BTreeMap<RelPath, String> = tables
        .iter()
        .filter_map(|(m, t)| {
            let name = t.get("project")?.get("name")?.as_str()?;
            Some((m.clone(), name.to_owned()))
        })
        .collect();
    let index: BTreeMap<String, RelPath> = names
        .iter()
        .map(|(m, n)| (normalize(n), m.clone()))
        .collect();
    let references: BTreeMap<RelPath, Vec<String>> = tables
        .iter()
        .map(|(m, t)| {
            let deps = t
                .get("project")
                .and_then(|p| p.get("dependencies"))
                .and_then(toml::Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(toml::Value::as_str)
                .map(|d| {
                    let end = d
                        .find(|c: char| {
                            !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                        })
                        .unwrap_or(d.len());
                    normalize(&d[..end])
                })
                .collect();
            (m.clone(), deps)
        })
        .collect();
    Ok(Graph {
        edges: link(&all, &references, &index),
        all,
        declared_in: file.path.clone(),
        names,
        external: BTreeMap::new(),
    })
}

/// The members a member's manifest depends on by path (`path = "../core"`, or
/// `workspace = true` with a path in `[workspace.dependencies]`), for building: normal and
/// build dependencies, target-specific ones included.
fn path_dependencies(
    member: &RelPath,
    table: &toml::Table,
    shared: &BTreeMap<String, RelPath>,
    all: &[RelPath],
) -> Vec<RelPath> {
    let kinds = ["dependencies", "build-dependencies"];
    let mut tables: Vec<&toml::Value> = kinds.iter().filter_map(|k| table.get(*k)).collect();
    if let Some(targets) = table.get("target").and_then(toml::Value::as_table) {
        for t in targets.values() {
            tables.extend(kinds.iter().filter_map(|k| t.get(*k)));
        }
    }
    let mut to = Vec::new();
    for deps in tables.iter().filter_map(|t| t.as_table()) {
        for (name, dep) in deps {
            let target = if let Some(path) = dep.get("path").and_then(toml::Value::as_str) {
                RelPath::normalize(&format!("{}/{path}", member.as_str()))
            } else if dep.get("workspace").and_then(toml::Value::as_bool) == Some(true) {
                shared.get(name).cloned()
            } else {
                None
            };
            if let Some(t) = target.filter(|t| all.contains(t)) {
                to.push(t);
            }
        }
    }
    to
}

/// Every member reachable from `start`, dependencies before dependents (depth first, in
/// name order among siblings), `start` excluded. Cycles are cut.
fn dependency_order(start: &RelPath, edges: &dyn Fn(&RelPath) -> Vec<RelPath>) -> Vec<RelPath> {
    fn visit(
        node: &RelPath,
        edges: &dyn Fn(&RelPath) -> Vec<RelPath>,
        seen: &mut BTreeSet<RelPath>,
        out: &mut Vec<RelPath>,
    ) {
        let mut next = edges(node);
        next.sort();
        for n in next {
            if seen.insert(n.clone()) {
                visit(&n, edges, seen, out);
                out.push(n);
            }
        }
    }
    let mut seen = BTreeSet::from([start.clone()]);
    let mut out = Vec::new();
    visit(start, edges, &mut seen, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> RelPath {
        RelPath::parse(s).unwrap()
    }

    fn names(list: &[RelPath]) -> Vec<&str> {
        list.iter().map(RelPath::as_str).collect()
    }

    fn tree(files: &[(&str, &str)]) -> (tempfile::TempDir, Tree) {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let p = dir.path().join(path);
            fs_err::create_dir_all(p.parent().unwrap()).unwrap();
            fs_err::write(p, text).unwrap();
        }
        let t = Tree::new(dir.path(), Path::new(""));
        (dir, t)
    }

    #[test]
    fn npm_workspace_members_in_dependency_order() {
        let (_d, t) = tree(&[
            (
                "package.json",
                r#"{"workspaces": ["packages/*", "services/*"]}"#,
            ),
            ("packages/util/package.json", r#"{"name": "@acme/util"}"#),
            (
                "packages/ui/package.json",
                r#"{"name": "@acme/ui", "dependencies": {"@acme/util": "*"}}"#,
            ),
            (
                "packages/unused/package.json",
                r#"{"name": "@acme/unused"}"#,
            ),
            ("packages/notes/README.md", "not a package"),
            (
                "services/web/package.json",
                r#"{"name": "web", "devDependencies": {"@acme/ui": "*", "vite": "5"}}"#,
            ),
        ]);
        let m = node_graph(&t, &RelPath::root())
            .unwrap()
            .members(&RelPath::root(), &p("services/web"))
            .unwrap();
        assert_eq!(names(&m.used), ["packages/util", "packages/ui"]);
        assert_eq!(
            names(&m.all),
            [
                "packages/ui",
                "packages/unused",
                "packages/util",
                "services/web"
            ]
        );
    }

    #[test]
    fn pnpm_workspace_file_and_exclusions() {
        let (_d, t) = tree(&[
            ("package.json", r#"{"name": "root"}"#),
            (
                "pnpm-workspace.yaml",
                "packages:\n  - 'apps/*'\n  - '!apps/legacy'\n",
            ),
            ("apps/api/package.json", r#"{"name": "api"}"#),
            ("apps/legacy/package.json", r#"{"name": "legacy"}"#),
        ]);
        let m = node_graph(&t, &RelPath::root())
            .unwrap()
            .members(&RelPath::root(), &p("apps/api"))
            .unwrap();
        assert_eq!(names(&m.all), ["apps/api"]);
        assert!(m.used.is_empty());
    }

    #[test]
    fn not_a_workspace_or_not_a_member() {
        let (_d, t) = tree(&[("package.json", r#"{"name": "solo"}"#)]);
        let e = node_graph(&t, &RelPath::root()).unwrap_err();
        assert!(e.message.contains("declares no workspace"), "{}", e.message);
        let (_d, t) = tree(&[
            ("package.json", r#"{"workspaces": ["apps/*"]}"#),
            ("tools/x/package.json", r#"{"name": "x"}"#),
        ]);
        let e = node_graph(&t, &RelPath::root())
            .unwrap()
            .members(&RelPath::root(), &p("tools/x"))
            .unwrap_err();
        assert!(e.message.contains("is not a member"), "{}", e.message);
    }

    #[test]
    fn go_work_members() {
        let (_d, t) = tree(&[
            (
                "go.work",
                "go 1.24\n\nuse (\n\t./services/api\n\t./libs/log\n\t./libs/other\n)\n",
            ),
            (
                "services/api/go.mod",
                "module example.com/api\n\ngo 1.24\n\nrequire example.com/log v0.0.0\n",
            ),
            (
                "libs/log/go.mod",
                "module example.com/log\n\ngo 1.24\n\nrequire (\n\tgolang.org/x/text v0.14.0 // indirect\n)\n",
            ),
            ("libs/other/go.mod", "module example.com/other\n\ngo 1.24\n"),
        ]);
        let m = go_graph(&t, &RelPath::root())
            .unwrap()
            .members(&RelPath::root(), &p("services/api"))
            .unwrap();
        assert_eq!(names(&m.used), ["libs/log"]);
        assert_eq!(names(&m.all), ["libs/log", "libs/other", "services/api"]);
        assert_eq!(m.external, ["golang.org/x/text@v0.14.0"]);
    }

    #[test]
    fn cargo_workspace_members_and_package_names() {
        let (_d, t) = tree(&[
            (
                "Cargo.toml",
                "[workspace]\nmembers = [\"crates/*\"]\nexclude = [\"crates/old\"]\n\n[workspace.dependencies]\nshop-core = { path = \"crates/core\" }\n",
            ),
            ("crates/core/Cargo.toml", "[package]\nname = \"shop-core\"\n"),
            ("crates/util/Cargo.toml", "[package]\nname = \"shop-util\"\n"),
            (
                "crates/server/Cargo.toml",
                "[package]\nname = \"shop-server\"\n\n[dependencies]\nshop-core.workspace = true\n[target.'cfg(unix)'.dependencies]\nshop-util = { path = \"../util\" }\n",
            ),
            ("crates/old/Cargo.toml", "[package]\nname = \"old\"\n"),
        ]);
        let g = cargo_graph(&t, &RelPath::root()).unwrap();
        let m = g.members(&RelPath::root(), &p("crates/server")).unwrap();
        assert_eq!(names(&m.used), ["crates/core", "crates/util"]);
        assert_eq!(
            names(&m.all),
            ["crates/core", "crates/server", "crates/util"]
        );
        assert_eq!(m.package.as_deref(), Some("shop-server"));
    }

    #[test]
    fn cycles_are_cut() {
        let edges = |n: &RelPath| match n.as_str() {
            "a" => vec![p("b")],
            "b" => vec![p("a"), p("c")],
            _ => vec![],
        };
        assert_eq!(names(&dependency_order(&p("a"), &edges)), ["c", "b"]);
    }
}
