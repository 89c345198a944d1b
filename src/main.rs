use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = mbgen::cli::Cli::parse();
    match mbgen::commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            #[allow(clippy::print_stderr)]
            {
                eprint!("{e}");
                if !e.to_string().ends_with('\n') {
                    eprintln!();
                }
            }
            ExitCode::from(e.exit_code())
        }
    }
}
