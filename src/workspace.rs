//! Workspace builds: which packages of an npm, yarn or pnpm workspace, a `go.work` or a Cargo
//! workspace a service uses, read from the manifests when the service's build context is the
//! workspace root.
//!
//! Only the files named here are read: the root's workspace file, the members' manifests
//! and the directories the member patterns name. Nothing walks the tree.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};

use crate::detect::go::GoMod;
use crate::detect::node;
use crate::detect::text::{parse_toml, toml_strings};
use crate::detect::workspace::{glob_match, go_work_uses, pnpm_packages};
use crate::diagnostic::{Diagnostic, SourceFile};
use crate::model::{dir_or_dot, join};

/// The members of a workspace and what the service at `dir` needs of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Members {
    /// Every member directory, relative to the workspace root, sorted.
    pub all: Vec<String>,
    /// The members the service uses, directly or through another member, relative to the
    /// workspace root: dependencies before their dependents, the service itself excluded.
    pub used: Vec<String>,
    /// The service's package name, where the build names it (`cargo build -p`).
    pub package: Option<String>,
    /// Go: the modules outside the workspace that the service and the modules it uses
    /// require, as `path@version`, sorted.
    pub external: Vec<String>,
}

/// Reads files below the project root, naming them in errors as the user sees them.
#[derive(Debug, Clone)]
pub struct Tree {
    root: PathBuf,
    shown: PathBuf,
}

impl Tree {
    /// `root` is where files are read; `shown` is how the root is named in messages.
    #[must_use]
    pub fn new(root: &Path, shown: &Path) -> Self {
        Self {
            root: root.to_owned(),
            shown: shown.to_owned(),
        }
    }

    fn shown(&self, rel: &str) -> PathBuf {
        if self.shown.as_os_str().is_empty() || self.shown == Path::new(".") {
            PathBuf::from(rel)
        } else {
            self.shown.join(rel)
        }
    }

    /// A file, or `None` when it does not exist.
    fn read(&self, rel: &str) -> Result<Option<SourceFile>, Box<Diagnostic>> {
        match std::fs::read_to_string(self.root.join(rel)) {
            Ok(text) => Ok(Some(SourceFile::new(self.shown(rel), text))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Box::new(Diagnostic::new(format!(
                "cannot read {}: {e}",
                self.shown(rel).display()
            )))),
        }
    }

    fn exists(&self, rel: &str) -> bool {
        self.root.join(rel).exists()
    }

    /// The directories below `rel` (relative to the root), `depth` levels deep at most.
    fn dirs_below(&self, rel: &str, depth: usize, out: &mut Vec<String>) {
        if depth == 0 {
            return;
        }
        let Ok(entries) = std::fs::read_dir(self.root.join(rel)) else {
            return;
        };
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| !n.starts_with('.') && !crate::detect::fs::is_skipped_dir(n))
            .collect();
        names.sort();
        for name in names {
            let path = join(rel, &name);
            out.push(path.clone());
            self.dirs_below(&path, depth - 1, out);
        }
    }
}

/// Expands member patterns (`packages/*`, `apps/**`, `libs/util`, `!pattern`) against the
/// directories that exist, keeping those for which `is_member` holds.
fn expand(
    tree: &Tree,
    base: &str,
    patterns: &[String],
    is_member: &dyn Fn(&str) -> bool,
) -> Vec<String> {
    let mut includes = Vec::new();
    let mut excludes = Vec::new();
    for p in patterns {
        match p.strip_prefix('!') {
            Some(n) => excludes.push(n.to_owned()),
            None => includes.push(p.clone()),
        }
    }
    let mut found = BTreeSet::new();
    for pattern in &includes {
        let clean = pattern.trim_start_matches("./").trim_end_matches('/');
        // The literal directories before the first wildcard, then a bounded walk below.
        let fixed: Vec<&str> = clean.split('/').take_while(|s| !s.contains('*')).collect();
        let fixed = fixed.join("/");
        let rest = clean.split('/').count() - fixed.split('/').filter(|s| !s.is_empty()).count();
        let depth = if clean.contains("**") { 6 } else { rest };
        let mut candidates = vec![fixed.clone()];
        let mut below = Vec::new();
        tree.dirs_below(&join(base, &fixed), depth, &mut below);
        candidates.extend(below.into_iter().map(|d| {
            d.strip_prefix(base)
                .map_or(d.clone(), |r| r.trim_start_matches('/').to_owned())
        }));
        for c in candidates {
            if glob_match(clean, &c) && !excludes.iter().any(|e| glob_match(e, &c)) && is_member(&c)
            {
                found.insert(c);
            }
        }
    }
    found.into_iter().collect()
}

/// A workspace's members and which members each depends on, read once per workspace root.
#[derive(Debug, Clone)]
pub struct Graph {
    /// Every member directory, relative to the workspace root, sorted.
    all: Vec<String>,
    /// Member → the members it depends on.
    edges: BTreeMap<String, Vec<String>>,
    /// The file declaring the members, as shown to the user.
    declared_in: PathBuf,
    /// Member → its package name, where the build needs it (Cargo).
    names: BTreeMap<String, String>,
    /// Member → what it requires from outside the workspace (Go, `path@version`).
    external: BTreeMap<String, Vec<String>>,
}

impl Graph {
    /// What the member at `dir` (relative to the project root) uses; `context` is the root of
    /// this workspace, relative to the project root.
    pub fn members(&self, context: &str, dir: &str) -> Result<Members, Box<Diagnostic>> {
        let own = relative(context, dir);
        if !self.all.contains(&own) {
            return Err(Box::new(
                Diagnostic::new(format!(
                    "{} is not a member of the workspace declared in {}",
                    dir_or_dot(dir),
                    self.declared_in.display()
                ))
                .help("add it to the workspace, or remove `context` to build it from its own directory"),
            ));
        }
        let edges = |m: &str| self.edges.get(m).cloned().unwrap_or_default();
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
pub enum Kind {
    /// npm, yarn or pnpm workspaces.
    Node,
    /// A `go.work`.
    Go,
    /// A Cargo workspace.
    Cargo,
}

impl Kind {
    /// Reads the workspace of this kind at `context` (relative to the project root).
    pub fn read(self, tree: &Tree, context: &str) -> Result<Graph, Box<Diagnostic>> {
        match self {
            Self::Node => node_graph(tree, context),
            Self::Go => go_graph(tree, context),
            Self::Cargo => cargo_graph(tree, context),
        }
    }
}

/// Member → the members it refers to: each member's references (package names, module
/// paths), kept where `index` maps them to a member.
fn link(
    all: &[String],
    references: &BTreeMap<String, Vec<String>>,
    index: &BTreeMap<String, String>,
) -> BTreeMap<String, Vec<String>> {
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

/// Reads the npm, yarn or pnpm workspace at `context`.
fn node_graph(tree: &Tree, context: &str) -> Result<Graph, Box<Diagnostic>> {
    let mut patterns = Vec::new();
    let root_manifest = join(context, "package.json");
    let mut declared_in = tree.shown(&root_manifest);
    if let Some(file) = tree.read(&root_manifest)? {
        patterns.extend(node::workspace_patterns(&file)?);
    }
    if let Some(file) = tree.read(&join(context, "pnpm-workspace.yaml"))? {
        let list = pnpm_packages(&file.text);
        if !list.is_empty() {
            declared_in.clone_from(&file.path);
        }
        patterns.extend(list);
    }
    if patterns.is_empty() {
        return Err(Box::new(
            Diagnostic::new(format!(
                "{} declares no workspace (no `workspaces` in package.json, no pnpm-workspace.yaml)",
                tree.shown(dir_or_dot(context)).display()
            ))
            .help("set `context` to the root of the workspace the service belongs to, or remove `context` to build the service from its own directory"),
        ));
    }
    let all = expand(tree, context, &patterns, &|m| {
        tree.exists(&join(&join(context, m), "package.json"))
    });
    let mut by_name: BTreeMap<String, String> = BTreeMap::new();
    let mut deps: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for member in &all {
        let Some(file) = tree.read(&join(&join(context, member), "package.json"))? else {
            continue;
        };
        let (name, d) = node::name_and_dependencies(&file)?;
        if let Some(name) = name {
            by_name.insert(name, member.clone());
        }
        deps.insert(member.clone(), d.into_iter().collect());
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
fn go_graph(tree: &Tree, context: &str) -> Result<Graph, Box<Diagnostic>> {
    let Some(work) = tree.read(&join(context, "go.work"))? else {
        return Err(Box::new(
            Diagnostic::new(format!(
                "there is no go.work in {}",
                tree.shown(dir_or_dot(context)).display()
            ))
            .help("set `context` to the directory of the go.work the module belongs to, or remove `context` to build the module from its own directory"),
        ));
    };
    let mut all: Vec<String> = go_work_uses(&work)?
        .into_iter()
        .map(|u| {
            let u = u.trim_start_matches("./").trim_end_matches('/');
            if u == "." {
                String::new()
            } else {
                u.to_owned()
            }
        })
        .collect();
    all.sort();
    all.dedup();
    let mut by_path: BTreeMap<String, String> = BTreeMap::new();
    let mut requires: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut versions: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for member in &all {
        let Some(file) = tree.read(&join(&join(context, member), "go.mod"))? else {
            return Err(Box::new(
                Diagnostic::new(format!(
                    "{} uses `{}`, which has no go.mod",
                    work.path.display(),
                    dir_or_dot(member)
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
fn cargo_graph(tree: &Tree, context: &str) -> Result<Graph, Box<Diagnostic>> {
    let manifest = join(context, "Cargo.toml");
    let Some(file) = tree.read(&manifest)? else {
        return Err(Box::new(
            Diagnostic::new(format!(
                "there is no Cargo.toml in {}",
                tree.shown(dir_or_dot(context)).display()
            ))
            .help("set `context` to the directory of the Cargo workspace the crate belongs to, or remove `context` to build the crate alone"),
        ));
    };
    let root = parse_toml(&file)?;
    let Some(ws) = root.get("workspace").filter(|w| w.is_table()) else {
        return Err(Box::new(
            Diagnostic::new(format!("{} has no [workspace] table", file.path.display()))
                .in_file(&file.path)
                .help("set `context` to the directory of the Cargo workspace the crate belongs to, or remove `context` to build the crate alone"),
        ));
    };
    let mut patterns = toml_strings(ws, "members");
    patterns.extend(
        toml_strings(ws, "exclude")
            .into_iter()
            .map(|e| format!("!{e}")),
    );
    let mut all = expand(tree, context, &patterns, &|m| {
        tree.exists(&join(&join(context, m), "Cargo.toml"))
    });
    if root.contains_key("package") && !all.contains(&String::new()) {
        all.insert(0, String::new());
    }
    // `{ workspace = true }` dependencies take their path from [workspace.dependencies].
    let shared: BTreeMap<String, String> = ws
        .get("dependencies")
        .and_then(toml::Value::as_table)
        .map(|t| {
            t.iter()
                .filter_map(|(name, v)| {
                    let path = v.get("path")?.as_str()?;
                    Some((name.clone(), normal(path)))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut edges = BTreeMap::new();
    let mut names = BTreeMap::new();
    for member in &all {
        let table = if member.is_empty() {
            root.clone()
        } else {
            let Some(file) = tree.read(&join(&join(context, member), "Cargo.toml"))? else {
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

/// The members a member's manifest depends on by path (`path = "../core"`, or
/// `workspace = true` with a path in `[workspace.dependencies]`), for building: normal and
/// build dependencies, target-specific ones included.
fn path_dependencies(
    member: &str,
    table: &toml::Table,
    shared: &BTreeMap<String, String>,
    all: &[String],
) -> Vec<String> {
    let mut tables: Vec<&toml::Value> = ["dependencies", "build-dependencies"]
        .iter()
        .filter_map(|k| table.get(*k))
        .collect();
    if let Some(targets) = table.get("target").and_then(toml::Value::as_table) {
        for t in targets.values() {
            tables.extend(
                ["dependencies", "build-dependencies"]
                    .iter()
                    .filter_map(|k| t.get(*k)),
            );
        }
    }
    let mut to = Vec::new();
    for deps in tables.iter().filter_map(|t| t.as_table()) {
        for (name, dep) in deps {
            let target = if let Some(path) = dep.get("path").and_then(toml::Value::as_str) {
                Some(normal(&format!("{member}/{path}")))
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

/// A relative path with `.` and `dir/..` folded: `crates/api/../core` → `crates/core`.
fn normal(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            p => out.push(p),
        }
    }
    out.join("/")
}

/// `dir` relative to `context` (which contains it).
#[must_use]
pub fn relative(context: &str, dir: &str) -> String {
    if context.is_empty() {
        return dir.to_owned();
    }
    if dir == context {
        return String::new();
    }
    dir.strip_prefix(context)
        .and_then(|r| r.strip_prefix('/'))
        .unwrap_or(dir)
        .to_owned()
}

/// Every member reachable from `start`, dependencies before dependents (depth first, in
/// name order among siblings), `start` excluded. Cycles are cut.
fn dependency_order(start: &str, edges: &dyn Fn(&str) -> Vec<String>) -> Vec<String> {
    fn visit(
        node: &str,
        edges: &dyn Fn(&str) -> Vec<String>,
        seen: &mut BTreeSet<String>,
        out: &mut Vec<String>,
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
    let mut seen = BTreeSet::from([start.to_owned()]);
    let mut out = Vec::new();
    visit(start, edges, &mut seen, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> (tempfile::TempDir, Tree) {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
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
        let m = node_graph(&t, "")
            .unwrap()
            .members("", "services/web")
            .unwrap();
        assert_eq!(m.used, ["packages/util", "packages/ui"]);
        assert_eq!(
            m.all,
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
        let m = node_graph(&t, "").unwrap().members("", "apps/api").unwrap();
        assert_eq!(m.all, ["apps/api"]);
        assert!(m.used.is_empty());
    }

    #[test]
    fn not_a_workspace_or_not_a_member() {
        let (_d, t) = tree(&[("package.json", r#"{"name": "solo"}"#)]);
        let e = node_graph(&t, "").unwrap_err();
        assert!(e.message.contains("declares no workspace"), "{}", e.message);
        let (_d, t) = tree(&[
            ("package.json", r#"{"workspaces": ["apps/*"]}"#),
            ("tools/x/package.json", r#"{"name": "x"}"#),
        ]);
        let e = node_graph(&t, "")
            .unwrap()
            .members("", "tools/x")
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
        let m = go_graph(&t, "")
            .unwrap()
            .members("", "services/api")
            .unwrap();
        assert_eq!(m.used, ["libs/log"]);
        assert_eq!(m.all, ["libs/log", "libs/other", "services/api"]);
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
        let g = cargo_graph(&t, "").unwrap();
        let m = g.members("", "crates/server").unwrap();
        assert_eq!(m.used, ["crates/core", "crates/util"]);
        assert_eq!(m.all, ["crates/core", "crates/server", "crates/util"]);
        assert_eq!(m.package.as_deref(), Some("shop-server"));
    }

    #[test]
    fn cycles_are_cut() {
        let edges = |n: &str| match n {
            "a" => vec!["b".to_owned()],
            "b" => vec!["a".to_owned(), "c".to_owned()],
            _ => vec![],
        };
        assert_eq!(dependency_order("a", &edges), ["c", "b"]);
    }
}
