//! Generated files → disk: ownership checks, atomic writes, and `--check` diffs.
//!
//! Nothing is written until every target has been checked, so a refused file leaves the
//! others untouched too; each file is written to a temporary sibling and renamed over.

use fs_err as fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use similar::TextDiff;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::plan::HEADER_MARK;
use crate::render::{FileKind, GeneratedFile};
use crate::Error;

/// What writing a file did, or would do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    Created,
    Updated,
    Unchanged,
}

/// A generated file with its target on disk and its current state.
#[derive(Debug)]
pub(crate) struct Planned {
    pub file: GeneratedFile,
    pub target: PathBuf,
    pub current: Option<String>,
}

impl Planned {
    #[must_use]
    pub(crate) fn change(&self) -> Change {
        match &self.current {
            None => Change::Created,
            Some(current) if *current == self.file.contents => Change::Unchanged,
            Some(_) => Change::Updated,
        }
    }

    /// A unified diff from what is on disk to what mbgen generates.
    #[must_use]
    pub(crate) fn diff(&self) -> String {
        let old = self.current.as_deref().unwrap_or_default();
        let path = self.file.path.display().to_string();
        let old_name = if self.current.is_some() {
            format!("a/{path}")
        } else {
            "/dev/null".to_owned()
        };
        TextDiff::from_lines(old, &self.file.contents)
            .unified_diff()
            .context_radius(3)
            .header(&old_name, &format!("b/{path}"))
            .to_string()
    }
}

/// Whether a file was written by mbgen: its header names mbgen.
#[must_use]
pub(crate) fn is_generated(contents: &str) -> bool {
    contents.lines().take(3).any(|l| l.contains(HEADER_MARK))
}

/// Reads the current state of every target under `root`.
pub(crate) fn plan_writes(root: &Path, files: Vec<GeneratedFile>) -> Result<Vec<Planned>, Error> {
    files
        .into_iter()
        .map(|file| {
            let target = root.join(&file.path);
            let current = match fs::read_to_string(&target) {
                Ok(text) => Some(text),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err(Error::io("read", &target)(e)),
            };
            Ok(Planned {
                file,
                target,
                current,
            })
        })
        .collect()
}

/// Refuses to overwrite files mbgen did not write, unless forced.
pub(crate) fn check_ownership(planned: &[Planned], force: bool) -> Result<(), Error> {
    if force {
        return Ok(());
    }
    let mut problems = Diagnostics::default();
    for p in planned {
        if let Some(current) = &p.current {
            if !is_generated(current) && p.change() != Change::Unchanged {
                problems.push(
                    Diagnostic::new(format!(
                        "{} exists and was not written by mbgen",
                        p.file.path.display()
                    ))
                    .in_file(&p.file.path)
                    .help(ownership_help(p.file.kind)),
                );
            }
        }
    }
    problems.into_result(()).map_err(Error::User)
}

/// What to do about a file of that kind that mbgen did not write.
fn ownership_help(kind: FileKind) -> &'static str {
    match kind {
        FileKind::Dockerfile | FileKind::Dockerignore => {
            "move it away, set another `dockerfile` path in mbgen.toml, or pass --force to replace it"
        }
        FileKind::Bake => {
            "move it away, name another file in `[workspace]` of mbgen.toml \
             (`bake = \"docker-bake.build.hcl\"`, or `bake = false` for none), \
             or pass --force to replace it"
        }
        FileKind::Workflow => {
            "move it away, write the workflow elsewhere (`mbgen ci github --output FILE`), or \
             pass --force to replace it"
        }
        FileKind::Compose => {
            "keep it, and name another file in `[workspace]` of mbgen.toml \
             (`compose = \"compose.build.yaml\"`, to combine with yours through \
             `docker compose -f compose.yaml -f compose.build.yaml`), or pass --force to replace it"
        }
    }
}

/// Writes every changed file, each atomically.
pub(crate) fn write_all(planned: &[Planned]) -> Result<(), Error> {
    for p in planned.iter().filter(|p| p.change() != Change::Unchanged) {
        write_atomic(&p.target, &p.file.contents)?;
    }
    Ok(())
}

/// Writes `contents` to a temporary file next to `path`, then renames it over `path`.
pub(crate) fn write_atomic(path: &Path, contents: &str) -> Result<(), Error> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(Error::io("create directory", dir))?;
    let name = path
        .file_name()
        .map_or_else(Default::default, |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.mbgen-{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(contents.as_bytes())?;
        f.sync_all()?;
        if let Ok(meta) = fs::metadata(path) {
            fs::set_permissions(&tmp, meta.permissions())?;
        }
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(Error::io("write", path))
}
