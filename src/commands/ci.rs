//! `mbgen ci github`: write, print or check the GitHub Actions workflow of a workspace.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::affected::git::Repo;
use crate::cli::{CiArgs, CiCommand, CiGithubArgs};
use crate::diagnostic::Diagnostic;
use crate::output::{self, Change};
use crate::plan::workflow::WorkflowPlace;
use crate::relpath::RelPath;
use crate::render::{self, GeneratedFile};
use crate::Error;

/// Where the workflow goes when `--output` does not say.
const DEFAULT_WORKFLOW: &str = ".github/workflows/images.yml";

/// What `ci github` does, from the command line.
struct Settings {
    output: Option<PathBuf>,
    branch: String,
    mode: Mode,
    force: bool,
}

enum Mode {
    Write,
    Stdout,
    Check,
}

pub(super) fn run(args: CiArgs) -> Result<(), Error> {
    let CiArgs { command } = args;
    match command {
        CiCommand::Github(args) => github(args),
    }
}

fn github(args: CiGithubArgs) -> Result<(), Error> {
    let CiGithubArgs {
        path,
        output,
        branch,
        stdout,
        check,
        force,
    } = args;
    let settings = Settings {
        output,
        branch,
        mode: match (stdout, check) {
            (true, _) => Mode::Stdout,
            (_, true) => Mode::Check,
            _ => Mode::Write,
        },
        force,
    };
    check_branch(&settings.branch)?;
    let loaded = crate::project::load_project(&path)?;
    let (bake, registry) = requirements(&loaded)?;
    let (top, project_dir) = repository(&loaded.root);
    let file = workflow_file(&top, settings.output.as_deref())?;
    let place = WorkflowPlace {
        file: &file,
        project_dir: &project_dir,
        branch: &settings.branch,
        bake: &bake,
        registry: &registry,
    };
    let workflow = render::render_workflow(&loaded.templates, &loaded.project, &place)?;
    finish(&settings, &top, workflow)
}

/// A branch name that is safe in YAML and in GitHub's expressions.
fn check_branch(branch: &str) -> Result<(), Error> {
    let ok = !branch.is_empty()
        && !branch.starts_with(['-', '/'])
        && branch
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/'));
    if ok {
        Ok(())
    } else {
        Err(Diagnostic::new(format!(
            "--branch `{branch}`: the workflow takes a branch name of letters, digits, `.`, `_`, \
             `-` and `/`"
        ))
        .help("name the branch whose pushes publish, such as `main` or `release/2.x`")
        .into())
    }
}

/// The Bake file and the registry: a workflow that builds with Bake and pushes needs both.
fn requirements(loaded: &crate::project::Loaded) -> Result<(RelPath, String), Error> {
    let config = &loaded.config;
    let workspace = config.spec.workspace.as_ref();
    let Some(bake) = loaded.project.bake.clone() else {
        let message = if workspace.is_some() {
            "the workflow builds with Bake, and `bake = false` turns the Bake file off"
        } else {
            "the workflow builds with Bake, which needs a [workspace] table"
        };
        return Err(config
            .error_at(&["workspace"], message)
            .help("add `[workspace]` with a `registry` to mbgen.toml, and keep its Bake file")
            .into());
    };
    let Some(registry) = workspace.and_then(|w| w.registry.as_ref()) else {
        return Err(config
            .error_at(
                &["workspace"],
                "the workflow pushes the images, and [workspace] names no `registry`",
            )
            .help("add a registry to [workspace], such as `registry = \"ghcr.io/acme\"`")
            .into());
    };
    Ok((bake, registry.to_string()))
}

/// The top of the git repository holding the project directory, and the project directory
/// relative to it; outside a repository, the project directory itself.
fn repository(root: &Path) -> (PathBuf, RelPath) {
    let shown = crate::project::shown(root);
    let Ok(repo) = Repo::open(root, &shown) else {
        return (root.to_owned(), RelPath::root());
    };
    let dir = RelPath::normalize(repo.prefix()).unwrap_or_else(RelPath::root);
    let mut top = root.to_owned();
    for _ in 0..dir.depth() {
        top.push("..");
    }
    (top, dir)
}

/// The workflow's path relative to the repository top: `--output` (relative to the working
/// directory) must lie inside it.
fn workflow_file(top: &Path, output: Option<&Path>) -> Result<RelPath, Error> {
    let Some(output) = output else {
        return Ok(RelPath::from_normal(DEFAULT_WORKFLOW));
    };
    let absolute = |p: &Path| std::path::absolute(p).map_err(Error::io("resolve", p));
    let (top_abs, out_abs) = (absolute(top)?, absolute(output)?);
    let inside = out_abs
        .strip_prefix(&top_abs)
        .ok()
        .and_then(|rel| rel.to_str())
        .and_then(RelPath::normalize)
        .filter(|rel| !rel.is_root());
    inside.ok_or_else(|| {
        Diagnostic::new(format!(
            "--output {} is not a file inside the repository ({})",
            output.display(),
            top.display()
        ))
        .help("name a file under the repository, such as `.github/workflows/images.yml`")
        .into()
    })
}

/// Prints, checks or writes the workflow.
fn finish(settings: &Settings, top: &Path, workflow: GeneratedFile) -> Result<(), Error> {
    if let Mode::Stdout = settings.mode {
        return std::io::stdout()
            .write_all(workflow.contents.as_bytes())
            .map_err(Error::io("write", "standard output"));
    }
    let planned = output::plan_writes(top, vec![workflow])?;
    let shown = crate::project::shown(&planned[0].target);
    match settings.mode {
        Mode::Check if planned[0].change() == Change::Unchanged => {
            eprintln!("{} is up to date", shown.display());
            Ok(())
        }
        Mode::Check => {
            let _ = std::io::stdout().write_all(planned[0].diff().as_bytes());
            Err(Error::Stale(Box::new(
                Diagnostic::new(format!("{} is out of date", shown.display()))
                    .help("run `mbgen ci github` and commit the result"),
            )))
        }
        _ => {
            output::check_ownership(&planned, settings.force)?;
            output::write_all(&planned)?;
            let verb = match planned[0].change() {
                Change::Created => "created",
                Change::Updated => "updated",
                Change::Unchanged => "unchanged",
            };
            eprintln!("{verb:>9} {}", shown.display());
            Ok(())
        }
    }
}
