//! `mbgen render`: write, print or check the generated files of a project.

use std::io::Write as _;

use crate::cli::RenderArgs;
use crate::diagnostic::{suggest, Diagnostic};
use crate::output::{self, Change};
use crate::render;
use crate::Error;

/// What `render` does, from the command line.
struct Settings {
    service: Option<String>,
    mode: Mode,
    force: bool,
    quiet: bool,
}

enum Mode {
    Write,
    Stdout,
    Check,
}

pub(super) fn run(args: RenderArgs) -> Result<(), Error> {
    let RenderArgs {
        path,
        service,
        stdout,
        check,
        force,
        quiet,
    } = args;
    let settings = Settings {
        service,
        mode: match (stdout, check) {
            (true, _) => Mode::Stdout,
            (_, true) => Mode::Check,
            _ => Mode::Write,
        },
        force,
        quiet,
    };
    let mut loaded = crate::project::load_project(&path)?;
    if let Some(name) = &settings.service {
        let project = &mut loaded.project;
        if !project.services.iter().any(|s| &s.name == name) {
            let names: Vec<&str> = project.services.iter().map(|s| s.name.as_str()).collect();
            let help = match suggest(name, names.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("services in {}: {}", project.config_name, names.join(", ")),
            };
            return Err(Diagnostic::new(format!("no service named `{name}`"))
                .help(help)
                .into());
        }
        project.services.retain(|s| &s.name == name);
        // The workspace's files cover every service: one service alone would rewrite them
        // wrong.
        project.bake = None;
        project.compose = None;
    }
    crate::project::check_service_dirs(&loaded.root, &loaded.config, &loaded.project)?;
    let files = render::render_with(&loaded.project, &loaded.templates)?;
    match settings.mode {
        Mode::Stdout => {
            if loaded.project.services.len() > 1 {
                return Err(Diagnostic::new(
                    "--stdout prints one service's Dockerfile, and there are several",
                )
                .help("pick one with --service NAME")
                .into());
            }
            let dockerfile = &files[0];
            std::io::stdout()
                .write_all(dockerfile.contents.as_bytes())
                .map_err(Error::io("write", "standard output"))
        }
        Mode::Check => check_stale(&loaded, files, &settings, &path),
        Mode::Write => {
            let planned = output::plan_writes(&loaded.root, files)?;
            output::check_ownership(&planned, settings.force)?;
            output::write_all(&planned)?;
            if !settings.quiet {
                for p in &planned {
                    let verb = match p.change() {
                        Change::Created => "created",
                        Change::Updated => "updated",
                        Change::Unchanged => "unchanged",
                    };
                    eprintln!("{verb:>9} {}", p.target.display());
                }
            }
            Ok(())
        }
    }
}

/// `--check`: the diff of every file that differs from what would be written.
fn check_stale(
    loaded: &crate::project::Loaded,
    files: Vec<crate::render::GeneratedFile>,
    settings: &Settings,
    path: &std::path::Path,
) -> Result<(), Error> {
    let planned = output::plan_writes(&loaded.root, files)?;
    let stale: Vec<_> = planned
        .iter()
        .filter(|p| p.change() != Change::Unchanged)
        .collect();
    if stale.is_empty() {
        if !settings.quiet {
            eprintln!("{} generated files are up to date", planned.len());
        }
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    for p in &stale {
        let _ = out.write_all(p.diff().as_bytes());
    }
    let names: Vec<String> = stale
        .iter()
        .map(|p| p.file.path.display().to_string())
        .collect();
    Err(Error::Stale(Box::new(
        Diagnostic::new(format!(
            "{} generated file{} out of date: {}",
            stale.len(),
            if stale.len() == 1 { " is" } else { "s are" },
            names.join(", ")
        ))
        .help(format!(
            "run `mbgen render {}` and commit the result",
            path.display()
        )),
    )))
}
