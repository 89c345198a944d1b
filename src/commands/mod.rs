//! One module per subcommand. Commands are the only code that prints.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod add;
mod affected;
mod ci;
mod completions;
mod edit;
mod explain;
mod init;
mod man;
mod new;
mod render;
mod schema;
mod templates;

use std::io::Write as _;

use crate::cli::{Cli, Command};
use crate::Error;

/// Runs a parsed command line.
pub(crate) fn run(cli: Cli) -> Result<(), Error> {
    match cli.command {
        Command::Affected(args) => affected::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Init(args) => init::run(args),
        Command::New(args) => new::run(args),
        Command::Add(args) => add::run(args),
        Command::Render(args) => render::run(args),
        Command::Schema(args) => schema::run(args),
        Command::Templates(args) => templates::run(args),
        Command::Ci(args) => ci::run(args),
        Command::Completions(args) => completions::run(&args),
        Command::Man(args) => man::run(args),
    }
}

/// Writes `bytes` to standard output.
fn print_bytes(bytes: &[u8]) -> Result<(), Error> {
    std::io::stdout()
        .write_all(bytes)
        .map_err(Error::io("write", "standard output"))
}
