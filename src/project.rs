//! The front of the render pipeline: find `mbgen.toml` from a directory or file argument,
//! load the spec, resolve the model, and read the project's templates. Every command that
//! renders starts here; nothing here prints.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::diagnostic::{suggest, Diagnostics};
use crate::guard::Confined;
use crate::model::{self, Project, Template, Tree};
use crate::plan;
use crate::relpath::RelPath;
use crate::render::templates::{BUILTIN, BUILTIN_PREFIX};
use crate::render::{self, GeneratedFile, ProjectTemplates};
use crate::spec::{self, CONFIG_FILE};
use crate::Error;

/// A loaded and resolved project, with the directory paths are relative to and the project's
/// templates.
#[derive(Debug)]
pub struct Loaded {
    pub root: PathBuf,
    pub config: spec::LoadedConfig,
    pub project: Project,
    pub templates: ProjectTemplates,
}

/// The project directory and the `mbgen.toml` of a directory or file argument, and how the
/// file is named in messages.
pub(crate) fn locate(path: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let (root, file) = if path.is_dir() {
        (path.to_owned(), path.join(CONFIG_FILE))
    } else {
        let root = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_owned);
        (root, path.to_owned())
    };
    let display = shown(&file);
    (root, file, display)
}

/// A path as shown to the user: without a leading `./`.
pub(crate) fn shown(path: &Path) -> PathBuf {
    path.strip_prefix(".").unwrap_or(path).to_owned()
}

/// The project directory, for reading the workspaces services are built from.
pub(crate) fn tree(root: &Path) -> Tree {
    Tree::new(root, &shown(root))
}

/// Finds `mbgen.toml` from a directory or file argument, loads and resolves it, and reads the
/// project's templates.
pub fn load_project(path: &Path) -> Result<Loaded, Error> {
    let (root, file, display) = locate(path);
    let config = spec::load(&file, &display)?;
    let project = model::resolve(&config, &tree(&root))?;
    let templates = load_templates(&root, &config, &project)?;
    Ok(Loaded {
        root,
        config,
        project,
        templates,
    })
}

/// Checks that the directory of every service exists: a `path` naming none is a typo, and
/// rendering would create it.
pub(crate) fn check_service_dirs(
    root: &Path,
    config: &spec::LoadedConfig,
    project: &Project,
) -> Result<(), Error> {
    let mut problems = Diagnostics::default();
    for service in &project.services {
        for (key, dir) in [("path", &service.dir), ("context", &service.context)] {
            let on_disk = root.join(dir.as_str());
            if dir.is_root() || on_disk.is_dir() {
                continue;
            }
            let parent = dir.parent();
            let siblings: Vec<String> = fs_err::read_dir(root.join(parent.as_str()))
                .into_iter()
                .flatten()
                .filter_map(Result::ok)
                .filter(|e| e.path().is_dir())
                .map(|e| {
                    parent
                        .join_str(&e.file_name().to_string_lossy())
                        .to_string()
                })
                .collect();
            let help = match suggest(dir.as_str(), siblings.iter().map(String::as_str)) {
                Some(s) => format!("did you mean `{s}`?"),
                None => {
                    "create the directory, or correct the path (relative to mbgen.toml)".to_owned()
                }
            };
            let what = if on_disk.exists() {
                "is not a directory"
            } else {
                "does not exist"
            };
            problems.push(
                config
                    .error_at_value(
                        &["services", &service.name, key],
                        format!("the directory `{dir}` of service `{}` {what}", service.name),
                    )
                    .help(help),
            );
            break;
        }
    }
    problems.into_result(()).map_err(Error::from)
}

/// Reads the project's templates directory and checks that every `template` a service names
/// exists.
// Reading the templates directory, then the check of every service's template, each with its own error.
#[allow(clippy::too_many_lines)]
pub(crate) fn load_templates(
    root: &Path,
    config: &spec::LoadedConfig,
    project: &Project,
) -> Result<ProjectTemplates, Error> {
    let dir = root.join(project.templates_dir.as_str());
    let confined = Confined::new(root).map_err(Error::io("read", shown(root)))?;
    if let Err(escape) = confined.resolve(Path::new(project.templates_dir.as_str())) {
        let d = escape.diagnostic(&shown(&dir));
        let d = if project.templates_dir_set {
            let mut at = config.error_at_value(&["templates-dir"], d.message);
            at.help = d.help;
            at
        } else {
            d
        };
        return Err(d.into());
    }
    if project.templates_dir_set && !dir.is_dir() {
        return Err(config
            .error_at_value(
                &["templates-dir"],
                format!(
                    "the templates directory {} does not exist",
                    shown(&dir).display()
                ),
            )
            .help(format!(
                "create it, or remove `templates-dir` to use the default `{}`",
                model::DEFAULT_TEMPLATES_DIR
            ))
            .into());
    }
    let templates = ProjectTemplates::read(
        &confined,
        Path::new(project.templates_dir.as_str()),
        &shown(&dir),
    )?;
    let mut problems = Diagnostics::default();
    for service in &project.services {
        let Template::Chosen(name) = &service.template else {
            continue;
        };
        let name = name.as_str();
        if let Some(why) = templates.broken(name) {
            problems.push(
                config
                    .error_at_value(
                        &["services", &service.name, "template"],
                        format!("template `{name}` cannot be used: {why}"),
                    )
                    .help(format!(
                        "fix {}, or name another template",
                        templates.path_of(name).display()
                    )),
            );
            continue;
        }
        if templates.resolve(name).is_some() {
            continue;
        }
        let prefixed: Vec<String> = BUILTIN
            .iter()
            .map(|(n, _)| format!("{BUILTIN_PREFIX}{n}"))
            .collect();
        let candidates = templates.names().chain(prefixed.iter().map(String::as_str));
        let help = match suggest(name, candidates) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!(
                "put the template in {}, or name a built-in as `{BUILTIN_PREFIX}<name>`; `mbgen templates list` shows them all",
                templates.path_of(name).display()
            ),
        };
        problems.push(
            config
                .error_at_value(
                    &["services", &service.name, "template"],
                    format!(
                        "template `{name}` is neither in {} nor built in",
                        templates.dir().display()
                    ),
                )
                .help(help),
        );
    }
    problems.into_result(templates).map_err(Error::from)
}

impl Loaded {
    /// Renders every file of the project, with the project's templates before the built-ins.
    pub fn render(&self) -> Result<Vec<GeneratedFile>, Error> {
        render::render_with(&self.project, &self.templates).map_err(Error::from)
    }

    /// The resolved project.
    #[must_use]
    pub fn project(&self) -> &Project {
        &self.project
    }
}

/// One service's build as `docker build`, Bake and Compose see it: for tools, tests and
/// `--target` users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuildSummary {
    pub service: String,
    pub stack: String,
    /// The build context, relative to the project root (`.` for the root).
    pub context: String,
    /// The Dockerfile, relative to the context.
    pub dockerfile: String,
    /// The stage names, in file order; the last one is the image.
    pub stages: Vec<String>,
    /// The image name, without tag.
    pub image: String,
    pub tags: Vec<String>,
    pub platforms: Vec<String>,
    pub cache_from: Vec<String>,
    pub cache_to: Vec<String>,
    pub build_args: BTreeMap<String, String>,
    /// The Compose services that run this image with another command, and no build of
    /// their own: `<service>-<process>` per process, `<service>-release` for the release.
    pub runs: Vec<String>,
}

impl Project {
    /// Parses and resolves the text of an `mbgen.toml` whose project directory is `root`,
    /// named `mbgen.toml` in messages.
    pub fn from_text(text: &str, root: &Path) -> Result<Self, Error> {
        let config = spec::parse(text, Path::new(CONFIG_FILE))?;
        Ok(model::resolve(&config, &Tree::new(root, Path::new("")))?)
    }

    /// Renders every file with the built-in templates only.
    pub fn render(&self) -> Result<Vec<GeneratedFile>, Error> {
        render::render_project(self).map_err(Error::from)
    }

    /// Every service's build, in name order.
    #[must_use]
    pub fn builds(&self) -> Vec<BuildSummary> {
        self.services
            .iter()
            .map(|s| BuildSummary {
                service: s.name.clone(),
                stack: s.stack_name().as_str().to_owned(),
                context: s.context.to_string(),
                dockerfile: s.dockerfile.to_string(),
                stages: plan::stages::layout(s)
                    .into_iter()
                    .map(|stage| stage.name.to_owned())
                    .collect(),
                image: s.publish.image.clone(),
                tags: s.publish.tags.clone(),
                platforms: s.publish.platforms.clone(),
                cache_from: s.publish.cache_from.clone(),
                cache_to: s.publish.cache_to.clone(),
                build_args: s.build_args.clone(),
                runs: s
                    .processes
                    .iter()
                    .map(|p| format!("{}-{}", s.name, p.name))
                    .chain(s.release.iter().map(|_| format!("{}-release", s.name)))
                    .collect(),
            })
            .collect()
    }

    /// Where the workspace's Bake file is written, relative to the project root.
    #[must_use]
    pub fn bake_file(&self) -> Option<&str> {
        self.bake.as_ref().map(RelPath::as_str)
    }

    /// Where the workspace's Compose file is written, relative to the project root.
    #[must_use]
    pub fn compose_file(&self) -> Option<&str> {
        self.compose.as_ref().map(RelPath::as_str)
    }

    /// What the templates read, as JSON: every service's Dockerfile context, then the Bake
    /// and Compose contexts. `docs/templates.md` describes every key.
    #[must_use]
    pub fn template_contexts(&self) -> Vec<serde_json::Value> {
        let json = |v: serde_json::Result<serde_json::Value>| v.expect("contexts serialise");
        let mut out: Vec<serde_json::Value> = self
            .services
            .iter()
            .map(|s| json(serde_json::to_value(plan::plan(self, s))))
            .collect();
        if let Some(path) = &self.bake {
            out.push(json(serde_json::to_value(plan::bake::bake(self, path))));
        }
        if let Some(path) = &self.compose {
            out.push(json(serde_json::to_value(plan::compose::compose(
                self, path,
            ))));
        }
        out
    }
}
