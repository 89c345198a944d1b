//! Generated files → disk: confinement, ownership checks, all-or-nothing writes, and
//! `--check` diffs.
//!
//! Every target is resolved inside the project first (a symbolic link out of it is refused,
//! `--force` or not), then checked: a file mbgen did not write, or one edited since, is not
//! replaced without `--force`. Only then is anything written: every file to a temporary
//! sibling first, then each renamed over its target; if one step fails, the files already
//! replaced get their old contents back, so a failed render changes nothing.

use fs_err as fs;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use similar::{ChangeTag, TextDiff};

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::guard::{self, Confined, ReadError};
use crate::render::{FileKind, GeneratedFile};
use crate::spec::seal::{ownership, Ownership};
use crate::Error;

/// The largest file on disk that mbgen reads to compare with what it generates: no
/// generated file comes near it.
const MAX_EXISTING_BYTES: u64 = 16 << 20;

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
    /// The target as the user names it: the project directory joined with the file's path.
    pub target: PathBuf,
    /// Where the target really is, symbolic links followed: what is read and written.
    real: PathBuf,
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

/// Resolves every target inside the project at `root` and reads what is there.
pub(crate) fn plan_writes(root: &Path, files: Vec<GeneratedFile>) -> Result<Vec<Planned>, Error> {
    let confined = Confined::new(root).map_err(Error::io("read", root))?;
    let mut problems = Diagnostics::default();
    let mut planned = Vec::new();
    for file in files {
        let target = root.join(&file.path);
        let real = match confined.resolve(&file.path) {
            Ok(real) => real,
            Err(escape) => {
                problems.push(escape.diagnostic(&file.path));
                continue;
            }
        };
        let current = match guard::read_text(&real, MAX_EXISTING_BYTES) {
            Ok(text) => Some(text),
            Err(ReadError::NotFound) => None,
            // Not text: certainly not a file of mbgen's, but shown as well as it can be.
            Err(ReadError::NotUtf8 { lossy, .. }) => Some(lossy),
            Err(e) => {
                problems.push(e.diagnostic(&file.path).help(ownership_help(file.kind)));
                continue;
            }
        };
        planned.push(Planned {
            file,
            target,
            real,
            current,
        });
    }
    problems.into_result(planned).map_err(Error::User)
}

/// Refuses to replace a file mbgen did not write, or one edited since mbgen wrote it,
/// unless forced.
pub(crate) fn check_ownership(planned: &[Planned], force: bool) -> Result<(), Error> {
    if force {
        return Ok(());
    }
    let mut problems = Diagnostics::default();
    for p in planned {
        let Some(current) = &p.current else { continue };
        if p.change() == Change::Unchanged {
            continue;
        }
        let path = p.file.path.display();
        let (message, help) = match ownership(current) {
            Ownership::Intact => continue,
            Ownership::Edited => (
                format!("{path} was edited since mbgen wrote it"),
                format!(
                    "move the change into mbgen.toml (`instructions`, a project template), or pass --force to discard it; {}",
                    edited_lines(current, &p.file.contents)
                ),
            ),
            Ownership::Unsealed => (
                format!("{path} names mbgen in its header but has no checksum: written by hand, or by an older mbgen"),
                format!(
                    "compare it with `mbgen render --check`, then {}",
                    ownership_help(p.file.kind)
                ),
            ),
            Ownership::Foreign => (
                format!("{path} exists and was not written by mbgen"),
                ownership_help(p.file.kind).to_owned(),
            ),
        };
        problems.push(Diagnostic::new(message).in_file(&p.file.path).help(help));
    }
    problems.into_result(()).map_err(Error::User)
}

/// The lines of `current` that differ from what mbgen writes now, as a short diff.
fn edited_lines(current: &str, generated: &str) -> String {
    const MAX_LINES: usize = 12;
    let diff = TextDiff::from_lines(generated, current);
    let mut lines = Vec::new();
    let mut more = 0;
    for change in diff.iter_all_changes() {
        let (sign, line) = match change.tag() {
            ChangeTag::Equal => continue,
            ChangeTag::Delete => ('-', change.old_index()),
            ChangeTag::Insert => ('+', change.new_index()),
        };
        if lines.len() == MAX_LINES {
            more += 1;
            continue;
        }
        let text: String = change.value().trim_end().chars().take(100).collect();
        let at = line.map_or_else(String::new, |l| format!("{:>4}", l + 1));
        lines.push(format!("  {at} {sign} {text}"));
    }
    let mut out =
        "it differs from what mbgen writes now (`-` mbgen's, `+` the file's):\n".to_owned();
    out.push_str(&lines.join("\n"));
    if more > 0 {
        let _ = write!(out, "\n  ... and {more} more lines");
    }
    out
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

/// Writes every changed file, all or nothing.
pub(crate) fn write_all(planned: &[Planned]) -> Result<(), Error> {
    let changed: Vec<&Planned> = planned
        .iter()
        .filter(|p| p.change() != Change::Unchanged)
        .collect();
    let mut transaction = Transaction::default();
    for p in &changed {
        if let Err(e) = transaction.stage(&p.real, &p.target, &p.file.contents, p.current.clone()) {
            transaction.abort();
            return Err(e);
        }
    }
    transaction.commit()
}

/// Writes `contents` to a temporary file next to `path`, then renames it over `path`.
pub(crate) fn write_atomic(path: &Path, contents: &str) -> Result<(), Error> {
    let mut transaction = Transaction::default();
    let previous = guard::read_text(path, MAX_EXISTING_BYTES).ok();
    if let Err(e) = transaction.stage(path, path, contents, previous) {
        transaction.abort();
        return Err(e);
    }
    transaction.commit()
}

/// Files written to temporaries, waiting to be renamed over their targets.
#[derive(Debug, Default)]
struct Transaction {
    staged: Vec<Staged>,
    /// Directories made for the targets, outermost first.
    made: Vec<PathBuf>,
}

#[derive(Debug)]
struct Staged {
    temporary: PathBuf,
    /// Where it goes.
    real: PathBuf,
    /// How the target is named in messages.
    shown: PathBuf,
    /// What the target held, to put back if a later rename fails; `None` when it is new.
    previous: Option<String>,
}

impl Transaction {
    /// Writes `contents` to a temporary file beside `real`, making its directory if needed.
    fn stage(
        &mut self,
        real: &Path,
        shown: &Path,
        contents: &str,
        previous: Option<String>,
    ) -> Result<(), Error> {
        let dir = real
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let missing: Vec<PathBuf> = dir
            .ancestors()
            .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
            .map(Path::to_owned)
            .collect();
        fs::create_dir_all(dir).map_err(Error::io("create directory", dir))?;
        self.made.extend(missing.into_iter().rev());
        let name = real
            .file_name()
            .map_or_else(Default::default, |n| n.to_string_lossy().into_owned());
        remove_stale_temporaries(dir, &name);
        let temporary = dir.join(format!(
            "{}{}.tmp",
            temporary_prefix(&name),
            std::process::id()
        ));
        let result = (|| {
            let mut f = fs::File::create(&temporary)?;
            f.write_all(contents.as_bytes())?;
            f.sync_all()?;
            if let Ok(meta) = fs::metadata(real) {
                fs::set_permissions(&temporary, meta.permissions())?;
            }
            Ok(())
        })();
        if let Err(e) = result {
            let _ = fs::remove_file(&temporary);
            return Err(Error::io("write", shown)(e));
        }
        self.staged.push(Staged {
            temporary,
            real: real.to_owned(),
            shown: shown.to_owned(),
            previous,
        });
        Ok(())
    }

    /// Renames every temporary over its target; if one fails, puts back what the earlier
    /// ones replaced.
    fn commit(mut self) -> Result<(), Error> {
        for i in 0..self.staged.len() {
            let s = &self.staged[i];
            if let Err(e) = fs::rename(&s.temporary, &s.real) {
                let error = Error::io("write", s.shown.clone())(e);
                let done: Vec<Staged> = self.staged.drain(..i).collect();
                for d in done.iter().rev() {
                    restore(d);
                }
                self.abort();
                return Err(error);
            }
        }
        Ok(())
    }

    /// Removes the temporaries and the directories made for them.
    fn abort(self) {
        for s in &self.staged {
            let _ = fs::remove_file(&s.temporary);
        }
        for dir in self.made.iter().rev() {
            let _ = fs::remove_dir(dir);
        }
    }
}

/// Puts back what a renamed file replaced.
fn restore(staged: &Staged) {
    match &staged.previous {
        Some(previous) => {
            let _ = fs::write(&staged.temporary, previous)
                .and_then(|()| fs::rename(&staged.temporary, &staged.real));
        }
        None => {
            let _ = fs::remove_file(&staged.real);
        }
    }
}

/// The start of the name of a temporary for the file `name`; the writer's process id and
/// `.tmp` follow.
fn temporary_prefix(name: &str) -> String {
    format!(".{name}.mbgen-")
}

/// Removes the temporaries for `name` in `dir` that a process which is gone left behind
/// (killed between writing and renaming).
fn remove_stale_temporaries(dir: &Path, name: &str) {
    let prefix = temporary_prefix(name);
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = file_name
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(".tmp"))
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !process_is_alive(pid, &entry.path()) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Whether the process that wrote `temporary` may still be writing it: it is running (where
/// `/proc` tells), or the file is younger than ten minutes (where it does not).
fn process_is_alive(pid: u32, temporary: &Path) -> bool {
    let proc = Path::new("/proc");
    if proc.join("self").exists() {
        return proc.join(pid.to_string()).exists();
    }
    fs::metadata(temporary)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| SystemTime::now().duration_since(t).ok())
        .is_none_or(|age| age < Duration::from_secs(600))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, contents: &str) -> GeneratedFile {
        GeneratedFile {
            path: PathBuf::from(path),
            contents: contents.to_owned(),
            service: "a".to_owned(),
            kind: FileKind::Dockerfile,
        }
    }

    #[test]
    fn a_failed_rename_puts_back_what_was_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::write(root.join("one"), "old one").unwrap();
        let planned = plan_writes(
            root,
            vec![file("one", "new one"), file("sub/two", "new two")],
        )
        .unwrap();
        // The second target turns into a directory after planning: its rename fails.
        fs::create_dir_all(root.join("sub/two/x")).unwrap();
        assert!(write_all(&planned).is_err());
        assert_eq!(fs::read_to_string(root.join("one")).unwrap(), "old one");
        let left: Vec<String> = fs::read_dir(root.join("sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left, ["two"], "no temporary is left");
    }

    #[test]
    fn a_failed_write_leaves_no_file_and_no_directory() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::write(root.join("blocker"), "").unwrap();
        let planned =
            plan_writes(root, vec![file("new/dir/a", "a"), file("blocker/b", "b")]).unwrap();
        assert!(write_all(&planned).is_err());
        let left: Vec<String> = fs::read_dir(root)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left, ["blocker"]);
    }

    #[test]
    fn temporaries_of_a_process_that_is_gone_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        // No process has this id: Linux's largest is 4194304.
        let stale = root.join(".Dockerfile.mbgen-4294967.tmp");
        fs::write(&stale, "half").unwrap();
        let other = root.join(".other.mbgen-4294967.tmp");
        fs::write(&other, "not ours to judge").unwrap();
        write_atomic(&root.join("Dockerfile"), "x").unwrap();
        if Path::new("/proc/self").exists() {
            assert!(!stale.exists());
        }
        assert!(other.exists());
        assert_eq!(fs::read_to_string(root.join("Dockerfile")).unwrap(), "x");
    }
}
