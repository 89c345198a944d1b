use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = mbgen::Cli::parse();
    match mbgen::run(cli) {
        Ok(()) => ExitCode::from(mbgen::exit::OK),
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
