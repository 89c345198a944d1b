//! `mbgen add`: detect the app in one directory and add it to `mbgen.toml` as a service.

use std::path::{Path, PathBuf};

use super::edit::{relative_path, ConfigFile};
use crate::cli::AddArgs;
use crate::detect::{self, DiskFs, Fs as _, Options};
use crate::diagnostic::Diagnostic;
use crate::scaffold::ServiceEntry;
use crate::Error;

const OTHER_NAME: &str =
    "pass --name with another name: lowercase letters, digits and `-`, starting with a letter";

/// What `add` does, from the command line.
struct Settings {
    dir: PathBuf,
    name: Option<String>,
    main: Option<String>,
    project: PathBuf,
}

pub(super) fn run(args: AddArgs) -> Result<(), Error> {
    let AddArgs {
        dir,
        name,
        main,
        project,
    } = args;
    let settings = Settings {
        dir,
        name,
        main,
        project,
    };
    let config = ConfigFile::open(&settings.project)?;
    if let Some(name) = &settings.name {
        config.check_name(name, OTHER_NAME)?;
    }
    let path = path_in_project(&config.root, &settings.dir)?;
    config.check_path_is_free(&path)?;
    let fs = DiskFs::new(&config.root).map_err(|e| Error::from(*e))?;
    let options = Options {
        go_main: settings.main,
        root_name: fs_err::canonicalize(&config.root)
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned())),
    };
    for unread in fs.unread() {
        eprintln!("warning: {unread}");
    }
    let mut proposal = detect::detect_dir(&fs, &path, &options)?;
    match &settings.name {
        Some(name) => proposal.name.clone_from(name),
        None => config.check_name(
            &proposal.name,
            "the name comes from the directory: pass --name to choose another",
        )?,
    }
    let entry = ServiceEntry::from_proposal(&proposal);
    let edited = config.with_service(&entry)?;
    config.write(&edited)?;

    let shown_path = if path.is_empty() { "." } else { &path };
    eprintln!(
        "found a {} app in {shown_path}: {}",
        proposal.stack.as_str(),
        proposal.summary
    );
    eprintln!("{}", config.written_message(&proposal.name));
    for note in &proposal.notes {
        eprintln!("note: {note}");
    }
    eprintln!(
        "next: `{}` writes its Dockerfile and .dockerignore",
        config.render_command()
    );
    Ok(())
}

/// `dir` (as given on the command line) relative to the project directory, `/`-separated;
/// empty for the project directory itself.
fn path_in_project(root: &Path, dir: &Path) -> Result<String, Error> {
    if !dir.is_dir() {
        return Err(
            Diagnostic::new(format!("{} is not a directory", dir.display()))
                .help("pass the directory of the app to add: `mbgen add path/to/app`")
                .into(),
        );
    }
    let canonical = |p: &Path| fs_err::canonicalize(p).map_err(Error::io("read", p.to_owned()));
    let (root_abs, dir_abs) = (canonical(root)?, canonical(dir)?);
    let Ok(rel) = dir_abs.strip_prefix(&root_abs) else {
        return Err(Diagnostic::new(format!(
            "{} is outside the project directory {}",
            dir.display(),
            root_abs.display()
        ))
        .help("a service's directory is inside the directory of mbgen.toml: pass --project with the project that holds it")
        .into());
    };
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.is_empty() {
        return Ok(String::new());
    }
    relative_path(&parts.join("/"))
}
