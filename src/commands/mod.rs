//! One module per subcommand. Commands are the only code that prints.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod init;
mod render;
mod schema;

use std::path::{Path, PathBuf};

use crate::cli::{Cli, Command};
use crate::model::{self, Project};
use crate::spec::{self, CONFIG_FILE};
use crate::Error;

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<(), Error> {
    match cli.command {
        Command::Init(args) => init::run(args),
        Command::Render(args) => render::run(args),
        Command::Schema(args) => schema::run(args),
    }
}

/// A loaded and resolved project, with the directory paths are relative to.
#[derive(Debug)]
pub struct Loaded {
    pub root: PathBuf,
    pub config: spec::LoadedConfig,
    pub project: Project,
}

/// Finds `mbgen.toml` from a directory or file argument, loads and resolves it.
pub fn load_project(path: &Path) -> Result<Loaded, Error> {
    let (root, file) = if path.is_dir() {
        (path.to_owned(), path.join(CONFIG_FILE))
    } else {
        let root = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_owned);
        (root, path.to_owned())
    };
    let display = file.strip_prefix("./").unwrap_or(&file).to_owned();
    let config = spec::load(&file, &display)?;
    let project = model::resolve(&config)?;
    Ok(Loaded {
        root,
        config,
        project,
    })
}
