//! `mbgen new`: create a service from a built-in starter app and add it to `mbgen.toml`.

use fs_err as fs;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::edit::{relative_path, ConfigFile};
use crate::cli::NewArgs;
use crate::diagnostic::Diagnostic;
use crate::project::shown;
use crate::scaffold::starter;
use crate::spec::Stack;
use crate::Error;

/// Where a new service goes when mbgen.toml gives no hint.
const DEFAULT_PARENT: &str = "services";

/// What `new` does, from the command line.
struct Settings {
    name: String,
    stack: Stack,
    path: Option<String>,
    port: Option<u16>,
    project: PathBuf,
}

pub(super) fn run(args: NewArgs) -> Result<(), Error> {
    let NewArgs {
        name,
        stack,
        path,
        port,
        project,
    } = args;
    let settings = Settings {
        name,
        stack: stack.into(),
        path,
        port,
        project,
    };
    let config = ConfigFile::open(&settings.project)?;
    let name = settings.name.as_str();
    config.check_name(name, "choose another name for the service")?;
    let path = match &settings.path {
        Some(raw) => relative_path(raw)?,
        None => default_path(&config, name),
    };
    if path.is_empty() {
        return Err(Diagnostic::new("the starter needs a directory of its own, not the project directory")
            .help("pass --path with a directory inside the project, such as `--path app`, or leave it out")
            .into());
    }
    config.check_path_is_free(&path)?;
    let shown_target = config.root.join(&path);
    // Written where the path really leads, which must be inside the project.
    let target = config
        .confined
        .check(Path::new(&path), &shown(&shown_target))
        .map_err(|d| Error::from(*d))?;
    check_target(&target, &shown_target)?;

    let entry = starter::entry(settings.stack, name, &path, settings.port);
    let edited = config.with_service(&entry)?;
    let service = edited
        .project
        .services
        .iter()
        .find(|s| s.name == name)
        .expect("the added service resolves");
    let files = starter::files(service);
    let created = write_tree(&target, &files)?;
    if let Err(e) = config.write(&edited) {
        created.undo();
        return Err(e);
    }

    let names: Vec<&str> = files.iter().map(|(f, _)| f.as_str()).collect();
    eprintln!(
        "created {}/ from the {} starter: {}",
        shown(&shown_target).display(),
        settings.stack.as_str(),
        names.join(", ")
    );
    eprintln!("{}", config.written_message(name));
    eprintln!(
        "next: `{}` writes its Dockerfile and .dockerignore",
        config.render_command()
    );
    Ok(())
}

/// `<parent>/<name>`, where `<parent>` is the directory every service of mbgen.toml that has
/// a `path` is in (`apps` for `apps/web` and `apps/api`), or `services`.
fn default_path(config: &ConfigFile, name: &str) -> String {
    let parents: BTreeSet<String> = config
        .service_paths()
        .into_iter()
        .filter(|(_, path)| !path.is_empty())
        .map(|(_, path)| {
            path.rsplit_once('/')
                .map_or(String::new(), |(parent, _)| parent.to_owned())
        })
        .collect();
    match parents.into_iter().collect::<Vec<_>>().as_slice() {
        [parent] if parent.is_empty() => name.to_owned(),
        [parent] => format!("{parent}/{name}"),
        _ => format!("{DEFAULT_PARENT}/{name}"),
    }
}

/// Refuses a target that is a file or a directory with something in it; `named` is how the
/// user names it.
fn check_target(target: &Path, named: &Path) -> Result<(), Error> {
    let shown_target = shown(named);
    if target.is_dir() {
        let mut entries =
            fs::read_dir(target).map_err(Error::io("read directory", shown_target.clone()))?;
        if entries.next().is_some() {
            return Err(Diagnostic::new(format!(
                "{} exists and is not empty",
                shown_target.display()
            ))
            .help("new writes a starter into an empty directory only: pass --path with another directory, or `mbgen add` to add the app that is there")
            .into());
        }
    } else if target.exists() || target.is_symlink() {
        return Err(Diagnostic::new(format!(
            "{} exists and is not a directory",
            shown_target.display()
        ))
        .help("pass --path with another directory")
        .into());
    }
    Ok(())
}

/// A starter directory that was written, and how to take it back.
#[derive(Debug)]
struct Created {
    dir: PathBuf,
    /// Whether `dir` existed (empty) before.
    existed: bool,
    /// The parent directories that were created for it, outermost first.
    parents: Vec<PathBuf>,
}

impl Created {
    /// Removes what was written, leaving the tree as it was.
    fn undo(self) {
        let _ = fs::remove_dir_all(&self.dir);
        if self.existed {
            let _ = fs::create_dir(&self.dir);
        }
        for parent in self.parents.iter().rev() {
            let _ = fs::remove_dir(parent);
        }
    }
}

/// Writes `files` into a fresh directory beside `target`, then renames it to `target`, so
/// that `target` appears whole or not at all.
fn write_tree(target: &Path, files: &[(String, String)]) -> Result<Created, Error> {
    let parent = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut parents: Vec<PathBuf> = parent
        .ancestors()
        .take_while(|p| !p.as_os_str().is_empty() && !p.exists())
        .map(Path::to_owned)
        .collect();
    parents.reverse();
    let name = target
        .file_name()
        .map_or_else(Default::default, |n| n.to_string_lossy().into_owned());
    let tmp = parent.join(format!(".{name}.mbgen-new-{}", std::process::id()));
    let existed = target.is_dir();
    let result = (|| -> Result<(), Error> {
        fs::create_dir_all(parent).map_err(Error::io("create directory", shown(parent)))?;
        fs::create_dir(&tmp).map_err(Error::io("create directory", shown(&tmp)))?;
        for (file, contents) in files {
            let path = tmp.join(file);
            if let Some(dir) = path.parent() {
                fs::create_dir_all(dir).map_err(Error::io("create directory", shown(dir)))?;
            }
            fs::write(&path, contents).map_err(Error::io("write", shown(&path)))?;
        }
        if existed {
            fs::remove_dir(target)
                .map_err(Error::io("replace the empty directory", shown(target)))?;
        }
        fs::rename(&tmp, target).map_err(Error::io("create", shown(target)))
    })();
    match result {
        Ok(()) => Ok(Created {
            dir: target.to_owned(),
            existed,
            parents,
        }),
        Err(e) => {
            let _ = fs::remove_dir_all(&tmp);
            if existed && !target.exists() {
                let _ = fs::create_dir(target);
            }
            for p in parents.iter().rev() {
                let _ = fs::remove_dir(p);
            }
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(dir: &Path) -> Vec<String> {
        let mut out: Vec<String> = walk(dir)
            .into_iter()
            .map(|p| p.strip_prefix(dir).unwrap().display().to_string())
            .collect();
        out.sort();
        out
    }

    fn walk(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            out.push(path.clone());
            if path.is_dir() {
                out.extend(walk(&path));
            }
        }
        out
    }

    #[test]
    fn a_written_tree_appears_whole_and_undo_takes_it_back() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("keep.txt"), "").unwrap();
        let before = listing(tmp.path());
        let target = tmp.path().join("apps/backend/api");
        let files = [
            ("main.go".to_owned(), "package main\n".to_owned()),
            ("web/index.html".to_owned(), "<p>\n".to_owned()),
        ];
        let created = write_tree(&target, &files).unwrap();
        assert_eq!(listing(&target), ["main.go", "web", "web/index.html"]);
        let beside: Vec<_> = fs::read_dir(tmp.path().join("apps/backend"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(beside, ["api"], "no temporary directory is left beside it");
        assert_eq!(
            fs::read_to_string(target.join("main.go")).unwrap(),
            "package main\n"
        );
        created.undo();
        assert_eq!(listing(tmp.path()), before);
    }

    #[test]
    fn an_empty_target_directory_is_filled_and_restored_by_undo() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("api");
        fs::create_dir(&target).unwrap();
        let created = write_tree(&target, &[("a".to_owned(), String::new())]).unwrap();
        assert_eq!(listing(&target), ["a"]);
        created.undo();
        assert!(target.is_dir());
        assert_eq!(listing(tmp.path()), ["api"]);
    }

    #[test]
    fn a_failed_write_leaves_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("apps/api");
        // A file cannot be written where the tree has a directory of the same name.
        let files = [
            ("x".to_owned(), String::new()),
            ("x/y".to_owned(), String::new()),
        ];
        assert!(write_tree(&target, &files).is_err());
        assert_eq!(listing(tmp.path()), Vec::<String>::new());
    }
}
