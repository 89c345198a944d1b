//! One module per subcommand. Commands are the only code that prints.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod add;
mod affected;
mod edit;
mod init;
mod new;
mod render;
mod schema;
mod templates;

use std::path::{Path, PathBuf};

use crate::cli::{Cli, Command};
use crate::diagnostic::{suggest, Diagnostics};
use crate::model::{self, Project};
use crate::render::templates::{BUILTIN, BUILTIN_PREFIX};
use crate::render::ProjectTemplates;
use crate::spec::{self, CONFIG_FILE};
use crate::workspace::Tree;
use crate::Error;

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<(), Error> {
    match cli.command {
        Command::Affected(args) => affected::run(args),
        Command::Init(args) => init::run(args),
        Command::New(args) => new::run(args),
        Command::Add(args) => add::run(args),
        Command::Render(args) => render::run(args),
        Command::Schema(args) => schema::run(args),
        Command::Templates(args) => templates::run(args),
    }
}

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
fn locate(path: &Path) -> (PathBuf, PathBuf, PathBuf) {
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
fn shown(path: &Path) -> PathBuf {
    path.strip_prefix(".").unwrap_or(path).to_owned()
}

/// The project directory, for reading the workspaces services are built from.
fn tree(root: &Path) -> Tree {
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

/// Reads the project's templates directory and checks that every `template` a service names
/// exists.
pub fn load_templates(
    root: &Path,
    config: &spec::LoadedConfig,
    project: &Project,
) -> Result<ProjectTemplates, Error> {
    let dir = root.join(&project.templates_dir);
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
    let templates = ProjectTemplates::read(&dir, &shown(&dir))?;
    let mut problems = Diagnostics::default();
    for service in project.services.iter().filter(|s| s.custom_template) {
        let name = service.template.as_str();
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
