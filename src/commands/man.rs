//! `mbgen man`: the manual pages, made from the same definitions as `--help`.

use std::path::Path;

use clap::CommandFactory as _;

use crate::cli::{Cli, ManArgs};
use crate::output::write_atomic;
use crate::Error;

pub(super) fn run(args: ManArgs) -> Result<(), Error> {
    let ManArgs { output_dir } = args;
    let command = Cli::command();
    match output_dir {
        None => super::print_bytes(page(&command, "mbgen").as_bytes()),
        Some(dir) => write_pages(&dir, &command),
    }
}

/// The roff page of one command, titled `title`.
fn page(command: &clap::Command, title: &str) -> String {
    let mut out = Vec::new();
    clap_mangen::Man::new(command.clone())
        .title(title)
        .render(&mut out)
        .expect("rendering into memory cannot fail");
    String::from_utf8(out).expect("clap_mangen writes UTF-8")
}

/// `mbgen.1`, then `mbgen-<command>.1` for every command and subcommand, as `man` names
/// them; each page's synopsis spells the command as typed (`mbgen ci github`).
fn write_pages(dir: &Path, command: &clap::Command) -> Result<(), Error> {
    let mut pages = vec![("mbgen".to_owned(), command.clone().bin_name("mbgen"))];
    let mut index = 0;
    while index < pages.len() {
        let (title, parent) = pages[index].clone();
        let typed = parent.get_bin_name().unwrap_or("mbgen").to_owned();
        for sub in parent.get_subcommands().filter(|s| s.get_name() != "help") {
            let name = sub.get_name();
            let sub = sub.clone().bin_name(format!("{typed} {name}"));
            pages.push((format!("{title}-{name}"), sub));
        }
        index += 1;
    }
    for (title, command) in &pages {
        let path = dir.join(format!("{title}.1"));
        write_atomic(&path, &page(command, title))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
