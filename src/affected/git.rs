//! The git commands `affected` runs, each as `git -C <project dir> ...`, with their failures
//! turned into diagnostics that quote git.
//!
//! Git names files relative to the top of the repository; [`Repo`] turns them into paths
//! relative to the project directory (the one holding `mbgen.toml`), which may be a
//! subdirectory of the repository.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::diagnostic::Diagnostic;

/// The repository a project directory is in.
#[derive(Debug, Clone)]
pub(crate) struct Repo {
    dir: PathBuf,
    /// The project directory relative to the top of the repository, `/`-separated and ending
    /// in `/`, or empty at the top.
    prefix: String,
}

impl Repo {
    /// The repository holding `dir` (shown to the user as `shown`).
    pub(crate) fn open(dir: &Path, shown: &Path) -> Result<Self, Box<Diagnostic>> {
        let out = git(dir, ["rev-parse", "--show-prefix"])?;
        if !out.status.success() {
            let said = first_line(&out.stderr);
            let message = if said.contains("not a git repository") {
                format!("{} is not inside a git repository", dir_name(shown))
            } else {
                format!("git cannot read the repository of {}", dir_name(shown))
            };
            return Err(Box::new(
                Diagnostic::new(format!("{message} (git: {said})")).help(
                    "`mbgen affected` compares with the git history: run it in a clone of the repository",
                ),
            ));
        }
        let prefix = String::from_utf8_lossy(&out.stdout).trim_end().to_owned();
        Ok(Self {
            dir: dir.to_owned(),
            prefix,
        })
    }

    /// The project directory relative to the top of the repository, `/`-separated and ending
    /// in `/`, or empty at the top.
    pub(crate) fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The full hash of the commit `rev` names.
    pub(crate) fn commit(&self, rev: &str) -> Result<String, Box<Diagnostic>> {
        let unknown = |what: &str, said: &str| {
            let said = if said.is_empty() {
                String::new()
            } else {
                format!(" (git: {said})")
            };
            Box::new(
                Diagnostic::new(format!("{what}{said}")).help(
                    "name a commit, branch or tag of this repository, such as `HEAD~1` or `origin/main`; \
                     a shallow clone (the default of many CI systems) may not have it: fetch it first, \
                     for example `git fetch --depth=1 origin main`",
                ),
            )
        };
        // A leading `-` would be read as an option.
        if rev.is_empty() || rev.starts_with('-') {
            return Err(unknown(&format!("`{rev}` is not a revision"), ""));
        }
        let out = git(
            &self.dir,
            [
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("{rev}^{{commit}}"),
            ],
        )?;
        if !out.status.success() {
            // `--verify --quiet` says nothing; ask once more for git's own words, about the
            // name itself unless it names something other than a commit.
            let said = git(&self.dir, ["rev-parse", rev, "--"])?;
            if !said.status.success() {
                let what = format!("unknown revision `{rev}`");
                return Err(unknown(&what, &first_line(&said.stderr)));
            }
            let said = git(&self.dir, ["rev-parse", &format!("{rev}^{{commit}}"), "--"])?;
            let what = format!("revision `{rev}` is not a commit");
            return Err(unknown(&what, &first_line(&said.stderr)));
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    /// The files that differ between `commit` and the working tree (committed, staged and
    /// unstaged changes; a rename counts as both of its paths) and the untracked files git does
    /// not ignore, relative to the project directory, sorted; files outside it are left out.
    pub(crate) fn changed_since(&self, commit: &str) -> Result<Vec<String>, Box<Diagnostic>> {
        // `diff.relative` in the user's configuration would make the paths relative to the
        // project directory; they are mapped from the top of the repository instead.
        let diff = self.run(
            "diff",
            [
                "-c",
                "diff.relative=false",
                "diff",
                "--name-only",
                "--no-renames",
                "-z",
                commit,
                "--",
                ".",
            ],
        )?;
        let untracked = self.run(
            "ls-files",
            [
                "ls-files",
                "--others",
                "--exclude-standard",
                "--full-name",
                "-z",
                "--",
                ".",
            ],
        )?;
        let mut files: Vec<String> = diff
            .split(|b| *b == 0)
            .chain(untracked.split(|b| *b == 0))
            .filter(|p| !p.is_empty())
            .filter_map(|p| project_relative(&self.prefix, &String::from_utf8_lossy(p)))
            .collect();
        files.sort();
        files.dedup();
        Ok(files)
    }

    /// The contents of `path` (relative to the project directory) at `commit`, or `None` when
    /// it was not a file there.
    pub(crate) fn file_at(
        &self,
        commit: &str,
        path: &str,
    ) -> Result<Option<Vec<u8>>, Box<Diagnostic>> {
        let object = format!("{commit}:{}{path}", self.prefix);
        let kind = git(&self.dir, ["cat-file", "-t", &object])?;
        if !kind.status.success() || kind.stdout.trim_ascii() != b"blob" {
            return Ok(None);
        }
        self.run("cat-file", ["cat-file", "blob", &object])
            .map(Some)
    }

    /// Runs git and returns its standard output, or a diagnostic quoting git.
    fn run<const N: usize>(&self, what: &str, args: [&str; N]) -> Result<Vec<u8>, Box<Diagnostic>> {
        let out = git(&self.dir, args)?;
        if out.status.success() {
            Ok(out.stdout)
        } else {
            Err(Box::new(Diagnostic::new(format!(
                "git {what} failed (git: {})",
                first_line(&out.stderr)
            ))))
        }
    }
}

/// Runs `git -C dir args...`.
fn git<I, S>(dir: &Path, args: I) -> Result<Output, Box<Diagnostic>>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        // Reading never needs to take the index lock; a concurrent git in CI keeps working.
        .env("GIT_OPTIONAL_LOCKS", "0")
        .output()
        .map_err(|e| {
            let why = if e.kind() == std::io::ErrorKind::NotFound {
                "it is not installed or not on PATH".to_owned()
            } else {
                e.to_string()
            };
            Box::new(
                Diagnostic::new(format!("cannot run git: {why}"))
                    .help("`mbgen affected` reads the changes from git: install git"),
            )
        })
}

/// The first non-empty line of what git wrote to standard error.
fn first_line(stderr: &[u8]) -> String {
    String::from_utf8_lossy(stderr)
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("no message")
        .to_owned()
}

fn dir_name(shown: &Path) -> String {
    if shown.as_os_str().is_empty() {
        "this directory".to_owned()
    } else {
        shown.display().to_string()
    }
}

/// A path relative to the top of the repository as a path relative to the project directory
/// (`prefix` is that directory from the top, ending in `/`, or empty); `None` outside it.
#[must_use]
pub(crate) fn project_relative(prefix: &str, path: &str) -> Option<String> {
    let rest = path.strip_prefix(prefix)?;
    (!rest.is_empty()).then(|| rest.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_mapped_into_the_project_directory() {
        assert_eq!(project_relative("", "a/b.go").as_deref(), Some("a/b.go"));
        assert_eq!(
            project_relative("apps/shop/", "apps/shop/mbgen.toml").as_deref(),
            Some("mbgen.toml")
        );
        assert_eq!(
            project_relative("apps/shop/", "apps/shop/api/main.go").as_deref(),
            Some("api/main.go")
        );
        assert_eq!(project_relative("apps/shop/", "apps/shopping/x"), None);
        assert_eq!(project_relative("apps/shop/", "README.md"), None);
        assert_eq!(project_relative("apps/shop/", "apps/shop/"), None);
    }

    #[test]
    fn git_is_quoted_by_its_first_line() {
        assert_eq!(
            first_line(b"\nfatal: bad revision 'x'\nUse '--' to separate\n"),
            "fatal: bad revision 'x'"
        );
        assert_eq!(first_line(b""), "no message");
    }
}
