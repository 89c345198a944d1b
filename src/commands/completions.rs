//! `mbgen completions`: print a shell's completion script.

use clap::CommandFactory as _;

use crate::cli::{Cli, CompletionsArgs};
use crate::Error;

pub(super) fn run(args: &CompletionsArgs) -> Result<(), Error> {
    let CompletionsArgs { shell } = *args;
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "mbgen", &mut script);
    super::print_bytes(&script)
}
