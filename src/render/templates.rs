//! Where templates come from: the built-ins embedded in the binary, named by constants, and
//! the project's templates directory, read into memory so that rendering does no I/O.
//!
//! A name resolves in the project's directory first, then among the built-ins; a name under
//! [`BUILTIN_PREFIX`] always means the built-in, so an override can extend what it replaces.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diagnostic::{io_reason, Diagnostic, Diagnostics};
use crate::guard::{self, Confined};
use crate::spec::value::TemplateName;
use crate::spec::Stack;

pub(crate) const BASE: &str = "_base.Dockerfile.j2";
pub(crate) const MACROS: &str = "_macros.j2";
pub(crate) const NODE_STATIC: &str = "node-static.Dockerfile.j2";
pub(crate) const NODE_SERVER: &str = "node-server.Dockerfile.j2";
pub(crate) const GO: &str = "go.Dockerfile.j2";
pub(crate) const PYTHON: &str = "python.Dockerfile.j2";
pub(crate) const RUST: &str = "rust.Dockerfile.j2";
pub(crate) const JAVA: &str = "java.Dockerfile.j2";
pub(crate) const STATIC: &str = "static.Dockerfile.j2";
/// The `nginx.conf` of the static stacks.
pub(crate) const NGINX_CONF: &str = "nginx.conf.j2";
/// The workspace's Bake file.
pub(crate) const BAKE: &str = "docker-bake.hcl.j2";
/// The workspace's Compose file.
pub(crate) const COMPOSE: &str = "compose.yaml.j2";
/// The GitHub Actions workflow of `mbgen ci github`.
pub(crate) const GITHUB_WORKFLOW: &str = "github-workflow.yml.j2";

/// Template names starting with this always mean a built-in: `mbgen/go.Dockerfile.j2`.
pub(crate) const BUILTIN_PREFIX: &str = "mbgen/";

/// Every built-in template: its name and source.
pub(crate) const BUILTIN: &[(&str, &str)] = &[
    (BASE, include_str!("../../templates/_base.Dockerfile.j2")),
    (MACROS, include_str!("../../templates/_macros.j2")),
    (
        NODE_STATIC,
        include_str!("../../templates/node-static.Dockerfile.j2"),
    ),
    (
        NODE_SERVER,
        include_str!("../../templates/node-server.Dockerfile.j2"),
    ),
    (GO, include_str!("../../templates/go.Dockerfile.j2")),
    (PYTHON, include_str!("../../templates/python.Dockerfile.j2")),
    (RUST, include_str!("../../templates/rust.Dockerfile.j2")),
    (JAVA, include_str!("../../templates/java.Dockerfile.j2")),
    (STATIC, include_str!("../../templates/static.Dockerfile.j2")),
    (NGINX_CONF, include_str!("../../templates/nginx.conf.j2")),
    (BAKE, include_str!("../../templates/docker-bake.hcl.j2")),
    (COMPOSE, include_str!("../../templates/compose.yaml.j2")),
    (
        GITHUB_WORKFLOW,
        include_str!("../../templates/github-workflow.yml.j2"),
    ),
];

/// The built-in template of a stack's Dockerfile.
#[must_use]
pub(crate) fn dockerfile(stack: Stack) -> &'static str {
    match stack {
        Stack::NodeStatic => NODE_STATIC,
        Stack::NodeServer => NODE_SERVER,
        Stack::Go => GO,
        Stack::Python => PYTHON,
        Stack::Rust => RUST,
        Stack::Java => JAVA,
        Stack::Static => STATIC,
    }
}

/// The source of a built-in template, by its plain name (`go.Dockerfile.j2`).
#[must_use]
pub(crate) fn builtin(name: &str) -> Option<&'static str> {
    BUILTIN.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}

/// The files of a project's templates directory.
#[derive(Debug, Clone, Default)]
pub struct ProjectTemplates {
    /// The directory as shown to the user, such as `.mbgen/templates`.
    dir: PathBuf,
    /// Template name (its path in the directory, `/`-separated) → source.
    files: Arc<BTreeMap<String, String>>,
    /// Files that can never be loaded, with the reason.
    ignored: Vec<(String, String)>,
    /// Templates that cannot be used (not UTF-8 text, too large, leading out of the
    /// project), with the reason: a render that loads one fails, the others do not care.
    broken: Arc<BTreeMap<String, String>>,
}

/// Where a template name resolves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The project's templates directory.
    Project,
    /// A built-in template.
    Builtin,
}

/// A resolved template.
#[derive(Debug, Clone)]
pub struct Resolved<'a> {
    pub origin: Origin,
    /// The name without [`BUILTIN_PREFIX`].
    pub name: &'a str,
    pub source: &'a str,
}

/// How deep the templates directory is read: deep enough for any layout, and an end to
/// symbolic link loops.
const MAX_DEPTH: usize = 8;

impl ProjectTemplates {
    /// No project templates: only the built-ins are used.
    #[must_use]
    pub fn none() -> Self {
        Self::default()
    }

    /// Templates given in memory, `dir` being how their directory is shown.
    #[must_use]
    pub fn from_sources<N: Into<String>, S: Into<String>>(
        dir: impl Into<PathBuf>,
        sources: impl IntoIterator<Item = (N, S)>,
    ) -> Self {
        Self {
            dir: dir.into(),
            files: Arc::new(
                sources
                    .into_iter()
                    .map(|(n, s)| (n.into(), s.into()))
                    .collect(),
            ),
            ..Self::default()
        }
    }

    /// Reads every file under the directory `rel` of the project at `project` (shown as
    /// `display`). Hidden files and directories are skipped; a missing directory holds no
    /// templates; a directory that leads out of the project is refused.
    pub(crate) fn read(
        project: &Confined,
        rel: &Path,
        display: &Path,
    ) -> Result<Self, Diagnostics> {
        let mut out = Self {
            dir: display.to_owned(),
            ..Self::default()
        };
        let dir = project
            .check(rel, display)
            .map_err(|d| Diagnostics::from(*d))?;
        let mut files = BTreeMap::new();
        let mut broken = BTreeMap::new();
        let mut problems = Diagnostics::default();
        if dir.is_dir() {
            out.walk(
                project,
                &dir,
                "",
                0,
                (&mut files, &mut broken),
                &mut problems,
            );
        }
        out.files = Arc::new(files);
        out.broken = Arc::new(broken);
        problems.into_result(out)
    }

    fn walk(
        &mut self,
        project: &Confined,
        dir: &Path,
        prefix: &str,
        depth: usize,
        found: (&mut BTreeMap<String, String>, &mut BTreeMap<String, String>),
        problems: &mut Diagnostics,
    ) {
        let (files, broken) = found;
        let shown = self.dir.join(prefix);
        let entries = match fs_err::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) => {
                problems.push(
                    Diagnostic::new(format!(
                        "cannot read {}: {}",
                        shown.display(),
                        io_reason(&e)
                    ))
                    .in_file(&shown),
                );
                return;
            }
        };
        let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
        entries.sort_by_key(fs_err::DirEntry::file_name);
        for entry in entries {
            let file_name = entry.file_name().to_string_lossy().into_owned();
            if file_name.starts_with('.') {
                continue;
            }
            let name = format!("{prefix}{file_name}");
            let path = entry.path();
            if !project.contains(&path) {
                let why = "it is a symbolic link leading outside the project".to_owned();
                if path.is_dir() {
                    self.ignored.push((format!("{name}/"), why));
                } else {
                    broken.insert(name, why);
                }
                continue;
            }
            if path.is_dir() {
                if depth < MAX_DEPTH {
                    self.walk(
                        project,
                        &path,
                        &format!("{name}/"),
                        depth + 1,
                        (&mut *files, &mut *broken),
                        problems,
                    );
                }
                continue;
            }
            if let Err(why) = TemplateName::check(&name) {
                self.ignored.push((name, why));
                continue;
            }
            if name.starts_with(BUILTIN_PREFIX) {
                self.ignored.push((
                    name,
                    format!("names under `{BUILTIN_PREFIX}` always mean the built-in templates"),
                ));
                continue;
            }
            match guard::read_text(&path, guard::MAX_TEMPLATE_BYTES) {
                Ok(text) => {
                    files.insert(name, text);
                }
                Err(e) => {
                    broken.insert(name, format!("it {}", e.reason()));
                }
            }
        }
    }

    /// The directory as shown to the user.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The names of the project's templates, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// Files in the directory that are never loaded, with the reason.
    #[must_use]
    pub fn ignored(&self) -> &[(String, String)] {
        &self.ignored
    }

    /// Why the project's template `name` cannot be used, when it cannot.
    #[must_use]
    pub fn broken(&self, name: &str) -> Option<&str> {
        self.broken.get(name).map(String::as_str)
    }

    /// Every template of the project that cannot be used, with the reason.
    pub fn broken_ones(&self) -> impl Iterator<Item = (&str, &str)> {
        self.broken
            .iter()
            .map(|(n, why)| (n.as_str(), why.as_str()))
    }

    /// A shared handle on the templates that cannot be used, for the loader.
    pub(crate) fn shared_broken(&self) -> Arc<BTreeMap<String, String>> {
        Arc::clone(&self.broken)
    }

    /// The source of the project's template `name`.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.files.get(name).map(String::as_str)
    }

    /// How the file of the project's template `name` is shown.
    #[must_use]
    pub fn path_of(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Resolves a name as the loader does: `mbgen/...` is a built-in; otherwise the project's
    /// template wins over the built-in of the same name.
    #[must_use]
    pub fn resolve<'a>(&'a self, name: &'a str) -> Option<Resolved<'a>> {
        if let Some(plain) = name.strip_prefix(BUILTIN_PREFIX) {
            return builtin(plain).map(|source| Resolved {
                origin: Origin::Builtin,
                name: plain,
                source,
            });
        }
        if let Some(source) = self.get(name) {
            return Some(Resolved {
                origin: Origin::Project,
                name,
                source,
            });
        }
        builtin(name).map(|source| Resolved {
            origin: Origin::Builtin,
            name,
            source,
        })
    }

    /// A shared handle on the sources, for the loader.
    pub(crate) fn shared(&self) -> Arc<BTreeMap<String, String>> {
        Arc::clone(&self.files)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_templates_win_and_the_prefix_means_builtin() {
        let t = ProjectTemplates::from_sources(".mbgen/templates", [(GO, "mine"), ("x.j2", "x")]);
        assert_eq!(t.resolve(GO).unwrap().origin, Origin::Project);
        assert_eq!(t.resolve(GO).unwrap().source, "mine");
        let b = t.resolve("mbgen/go.Dockerfile.j2").unwrap();
        assert_eq!((b.origin, b.name), (Origin::Builtin, GO));
        assert_eq!(t.resolve(RUST).unwrap().origin, Origin::Builtin);
        assert!(t.resolve("mbgen/x.j2").is_none());
        assert!(t.resolve("y.j2").is_none());
    }

    #[test]
    fn reads_a_directory_without_hidden_or_unusable_files() {
        let dir = tempfile::tempdir().unwrap();
        let project = Confined::new(dir.path()).unwrap();
        let root = dir.path().join("t");
        fs_err::create_dir_all(root.join("parts")).unwrap();
        fs_err::create_dir_all(root.join("mbgen")).unwrap();
        fs_err::write(root.join(GO), "go").unwrap();
        fs_err::write(root.join("parts/labels.j2"), "l").unwrap();
        fs_err::write(root.join(".go.Dockerfile.j2.swp"), "").unwrap();
        fs_err::write(root.join("with space.j2"), "").unwrap();
        fs_err::write(root.join("mbgen/go.Dockerfile.j2"), "").unwrap();
        let read = |rel: &str| ProjectTemplates::read(&project, Path::new(rel), Path::new(rel));
        let t = read("t").unwrap();
        assert_eq!(t.names().collect::<Vec<_>>(), [GO, "parts/labels.j2"]);
        let ignored: Vec<&str> = t.ignored().iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(ignored, ["mbgen/go.Dockerfile.j2", "with space.j2"]);
        assert_eq!(t.path_of(GO), Path::new("t").join(GO));
        // An unusable file fails only the renders that load it.
        fs_err::write(root.join("logo.png"), [0x89, 0x50, 0xff, 0xfe]).unwrap();
        let t = read("t").unwrap();
        assert!(t.broken("logo.png").unwrap().contains("not UTF-8"));
        assert_eq!(t.names().count(), 2);
        let missing = read("nope").unwrap();
        assert_eq!(missing.names().count(), 0);
    }

    #[cfg(unix)]
    #[test]
    fn links_out_of_the_project_are_never_read() {
        let outside = tempfile::tempdir().unwrap();
        fs_err::write(outside.path().join("secret"), "SECRET=1").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let project = Confined::new(dir.path()).unwrap();
        let root = dir.path().join("t");
        fs_err::create_dir_all(&root).unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), root.join("s.j2")).unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("etc")).unwrap();
        let t = ProjectTemplates::read(&project, Path::new("t"), Path::new("t")).unwrap();
        assert_eq!(t.names().count(), 0);
        assert!(t.broken("s.j2").unwrap().contains("outside the project"));
        assert_eq!(t.ignored()[0].0, "etc/");
        std::os::unix::fs::symlink(outside.path(), dir.path().join("linked")).unwrap();
        let err =
            ProjectTemplates::read(&project, Path::new("linked"), Path::new("linked")).unwrap_err();
        assert!(
            err.to_string().contains("leads outside the project"),
            "{err}"
        );
    }
}
