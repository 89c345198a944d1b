//! The filesystem as detection sees it: a list of files and a way to read them.
//!
//! [`DiskFs`] walks a directory once, honouring `.gitignore` and leaving out dependency and
//! build directories; `MemFs` holds a tree in memory for tests. Detectors only ever see a
//! [`Dir`], a view of one directory of either.

#[cfg(test)]
use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use crate::diagnostic::{io_reason, Diagnostic, SourceFile};
use crate::guard::{self, Confined, ReadError};
pub(crate) use crate::manifest::is_skipped_dir;

/// How deep the walk goes; manifests of deployable apps sit far above this.
const MAX_DEPTH: usize = 8;
/// A bound on the files listed, so that a huge tree cannot exhaust memory; reaching it is
/// reported, never silent. A repository of that size is walked in about a second.
const MAX_FILES: usize = 250_000;

/// A source tree: its walkable files, and reads by relative path.
pub(crate) trait Fs {
    /// Every file of the walk, as `/`-separated paths relative to the root, sorted.
    fn files(&self) -> &[String];
    /// The text of a file, whether or not the walk lists it.
    fn read(&self, path: &str) -> io::Result<String>;
    /// Whether a file exists, whether or not the walk lists it.
    fn is_file(&self, path: &str) -> bool;
    /// What the walk did not read, in sentences: apps there were not looked for.
    fn unread(&self) -> &[String] {
        &[]
    }
    /// Whether the project keeps the file in version control: tracked by git when the tree is
    /// a git work tree, otherwise listed by the walk (not ignored by a `.gitignore`).
    fn tracked(&self, path: &str) -> bool {
        self.files()
            .binary_search_by(|f| f.as_str().cmp(path))
            .is_ok()
    }
}

/// A directory on disk, walked once.
#[derive(Debug)]
pub(crate) struct DiskFs {
    /// Reads never leave the root, symbolic links followed.
    confined: Confined,
    files: Vec<String>,
    unread: Vec<String>,
    /// The files git tracks, relative to the root, when the root is in a git work tree.
    tracked: Option<Vec<String>>,
}

impl DiskFs {
    /// Walks `root`, honouring `.gitignore` files (inside a Git repository or not) and
    /// leaving out [`SKIPPED_DIRS`].
    pub(crate) fn new(root: &Path) -> Result<Self, Box<Diagnostic>> {
        if !root.is_dir() {
            return Err(Box::new(
                Diagnostic::new(format!("{} is not a directory", root.display()))
                    .help("pass the directory of the project: `mbgen init path/to/project`"),
            ));
        }
        let walker = ignore::WalkBuilder::new(root)
            .hidden(false)
            .git_ignore(true)
            .git_exclude(true)
            // The machine's global ignore file is not part of the repository.
            .git_global(false)
            .require_git(false)
            .max_depth(Some(MAX_DEPTH))
            .filter_entry(|entry| {
                let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
                !(is_dir
                    && entry.depth() > 0
                    && is_skipped_dir(&entry.file_name().to_string_lossy()))
            })
            .build();
        let mut files = Vec::new();
        let mut unread = Unread::default();
        for entry in walker {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    unread.failed(&e);
                    continue;
                }
            };
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                continue;
            }
            let Ok(rel) = entry.path().strip_prefix(root) else {
                continue;
            };
            let Some(rel) = rel.to_str().filter(|r| !r.contains(char::is_control)) else {
                unread.unusable(rel);
                continue;
            };
            if files.len() == MAX_FILES {
                unread.stopped_at = Some(rel.replace('\\', "/"));
                break;
            }
            files.push(rel.replace('\\', "/"));
        }
        files.sort_unstable();
        let confined = Confined::new(root).map_err(|e| {
            Box::new(Diagnostic::new(format!(
                "cannot read {}: {}",
                root.display(),
                io_reason(&e)
            )))
        })?;
        Ok(Self {
            confined,
            files,
            unread: unread.sentences(),
            tracked: git_tracked(root),
        })
    }
}

/// What the walk could not read.
#[derive(Debug, Default)]
struct Unread {
    /// The first path not listed once the walk reached [`MAX_FILES`].
    stopped_at: Option<String>,
    /// Paths that are not UTF-8 or hold a control character: a count and the first.
    unusable: (usize, Option<String>),
    /// Directories or files that could not be read: a count and the first error.
    failed: (usize, Option<String>),
}

impl Unread {
    fn unusable(&mut self, rel: &Path) {
        self.unusable.0 += 1;
        self.unusable
            .1
            .get_or_insert_with(|| rel.to_string_lossy().escape_debug().to_string());
    }

    fn failed(&mut self, e: &ignore::Error) {
        self.failed.0 += 1;
        self.failed.1.get_or_insert_with(|| e.to_string());
    }

    fn sentences(self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(at) = self.stopped_at {
            out.push(format!(
                "the walk stopped after {MAX_FILES} files, at {at}: apps in the directories after it were not looked for; run `mbgen init` (or `mbgen add`) in those directories, or ignore bulky ones in .gitignore"
            ));
        }
        if let (n @ 1.., Some(first)) = self.unusable {
            out.push(format!(
                "{n} path{} whose name is not UTF-8 or holds a control character (such as {first}) {} left out",
                if n == 1 { "" } else { "s" },
                if n == 1 { "was" } else { "were" }
            ));
        }
        if let (n @ 1.., Some(first)) = self.failed {
            out.push(format!(
                "{n} director{} or file{} could not be read ({first})",
                if n == 1 { "y" } else { "ies" },
                if n == 1 { "" } else { "s" }
            ));
        }
        out
    }
}

/// `git ls-files` of the root, sorted; `None` without git or outside a work tree.
fn git_tracked(root: &Path) -> Option<Vec<String>> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["ls-files", "-z", "--cached"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let mut files: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .split('\0')
        .filter(|f| !f.is_empty())
        .map(str::to_owned)
        .collect();
    files.sort();
    Some(files)
}

impl Fs for DiskFs {
    fn files(&self) -> &[String] {
        &self.files
    }

    fn read(&self, path: &str) -> io::Result<String> {
        let real = self.confined.resolve(Path::new(path)).map_err(|e| {
            io::Error::other(format!(
                "it leads outside the project, to {}",
                e.resolved.display()
            ))
        })?;
        guard::read_text(&real, guard::MAX_MANIFEST_BYTES).map_err(|e| match e {
            ReadError::NotFound => io::Error::from(io::ErrorKind::NotFound),
            ReadError::Io(e) => e,
            e => io::Error::other(format!("it {}", e.reason())),
        })
    }

    fn is_file(&self, path: &str) -> bool {
        self.confined
            .resolve(Path::new(path))
            .is_ok_and(|real| real.is_file())
    }

    fn unread(&self) -> &[String] {
        &self.unread
    }

    fn tracked(&self, path: &str) -> bool {
        match &self.tracked {
            Some(tracked) => tracked.binary_search_by(|f| f.as_str().cmp(path)).is_ok(),
            None => self
                .files
                .binary_search_by(|f| f.as_str().cmp(path))
                .is_ok(),
        }
    }
}

/// A tree held in memory, for tests.
#[cfg(test)]
#[derive(Debug, Default)]
pub(crate) struct MemFs {
    contents: BTreeMap<String, String>,
    files: Vec<String>,
}

#[cfg(test)]
impl MemFs {
    /// A tree of `(path, text)` pairs. Files under skipped directories can be read but are not
    /// listed, as on disk.
    #[must_use]
    pub(crate) fn new<'a>(entries: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let contents: BTreeMap<String, String> = entries
            .into_iter()
            .map(|(p, t)| (p.to_owned(), t.to_owned()))
            .collect();
        let files = contents
            .keys()
            .filter(|p| {
                let dirs: Vec<&str> = p.split('/').collect();
                !dirs[..dirs.len() - 1].iter().any(|d| is_skipped_dir(d))
            })
            .cloned()
            .collect();
        Self { contents, files }
    }
}

#[cfg(test)]
impl Fs for MemFs {
    fn files(&self) -> &[String] {
        &self.files
    }

    fn read(&self, path: &str) -> io::Result<String> {
        self.contents
            .get(path)
            .cloned()
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))
    }

    fn is_file(&self, path: &str) -> bool {
        self.contents.contains_key(path)
    }
}

/// One directory of a tree: what a detector looks at.
#[derive(Clone, Copy)]
pub(crate) struct Dir<'a> {
    fs: &'a dyn Fs,
    /// The directory, relative to the root; empty for the root.
    base: &'a str,
}

impl std::fmt::Debug for Dir<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dir").field("base", &self.base).finish()
    }
}

impl<'a> Dir<'a> {
    #[must_use]
    pub(crate) fn new(fs: &'a dyn Fs, base: &'a str) -> Self {
        Self { fs, base }
    }

    /// The directory, relative to the root; empty for the root.
    #[must_use]
    pub(crate) fn base(&self) -> &'a str {
        self.base
    }

    /// The tree this directory belongs to.
    #[must_use]
    pub(crate) fn fs(&self) -> &'a dyn Fs {
        self.fs
    }

    /// The directories above this one, the nearest first and the root last.
    pub(crate) fn parents(&self) -> impl Iterator<Item = Dir<'a>> + 'a {
        let fs = self.fs;
        let up = |b: &&'a str| {
            (!b.is_empty()).then(|| b.rsplit_once('/').map_or("", |(parent, _)| parent))
        };
        std::iter::successors(up(&self.base), up).map(move |base| Dir::new(fs, base))
    }

    /// `rel` as a path from the root, for messages and reads.
    #[must_use]
    pub(crate) fn path(&self, rel: &str) -> String {
        if self.base.is_empty() {
            rel.to_owned()
        } else {
            format!("{}/{rel}", self.base)
        }
    }

    #[must_use]
    pub(crate) fn exists(&self, rel: &str) -> bool {
        self.fs.is_file(&self.path(rel))
    }

    /// The first of `names` that exists.
    #[must_use]
    pub(crate) fn first_of<'n>(&self, names: &[&'n str]) -> Option<&'n str> {
        names.iter().copied().find(|n| self.exists(n))
    }

    /// The text of a file, or `None` when it is missing or unreadable. For files that are
    /// only scanned for hints; manifests go through [`Dir::manifest`].
    #[must_use]
    pub(crate) fn read(&self, rel: &str) -> Option<String> {
        self.fs.read(&self.path(rel)).ok()
    }

    /// A manifest: `None` when missing, an error naming the file when unreadable.
    pub(crate) fn manifest(&self, rel: &str) -> Result<Option<SourceFile>, Box<Diagnostic>> {
        let path = self.path(rel);
        match self.fs.read(&path) {
            Ok(text) => Ok(Some(SourceFile::new(path, text))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Box::new(
                Diagnostic::new(format!("cannot read {path}: {}", io_reason(&e)))
                    .in_file(Path::new(&path)),
            )),
        }
    }

    /// The walked files under this directory, relative to it, sorted. The list of the tree
    /// is sorted, so they are one run of it, found by binary search: asking every directory
    /// of a large tree for its files stays fast.
    pub(crate) fn files(&self) -> impl Iterator<Item = &'a str> + 'a {
        let all = self.fs.files();
        let (run, cut) = if self.base.is_empty() {
            (all, 0)
        } else {
            let prefix = format!("{}/", self.base);
            let start = all.partition_point(|p| p.as_str() < prefix.as_str());
            let len = all[start..].partition_point(|p| p.starts_with(&prefix));
            (&all[start..start + len], prefix.len())
        };
        run.iter().map(move |p| &p[cut..])
    }

    /// The walked files under this directory with one of `extensions`, shallowest first,
    /// leaving out tests.
    #[must_use]
    pub(crate) fn sources(&self, extensions: &[&str]) -> Vec<&'a str> {
        let mut found: Vec<&str> = self
            .files()
            .filter(|p| {
                let name = p.rsplit('/').next().unwrap_or(p);
                extensions.iter().any(|e| {
                    name.strip_suffix(e)
                        .is_some_and(|stem| stem.ends_with('.') && stem.len() > 1)
                }) && !is_test_path(p)
            })
            .collect();
        found.sort_by_key(|p| (p.matches('/').count(), *p));
        found
    }

    /// The directories that hold walked files, directly under this one.
    #[must_use]
    pub(crate) fn subdirs(&self) -> Vec<&'a str> {
        let mut dirs: Vec<&str> = self
            .files()
            .filter_map(|p| p.split_once('/').map(|(d, _)| d))
            .collect();
        dirs.dedup();
        dirs
    }
}

/// Whether a source path is a test, fixture or example rather than the application.
fn is_test_path(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    path.split('/').any(|c| {
        matches!(
            c,
            "test" | "tests" | "__tests__" | "testdata" | "e2e" | "fixtures" | "examples" | "docs"
        )
    }) || name.contains(".test.")
        || name.contains(".spec.")
        || name.ends_with("_test.go")
        || name.starts_with("test_")
        || name == "conftest.py"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn names_the_walk_leaves_out_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        fs_err::write(dir.path().join("ok.txt"), "").unwrap();
        fs_err::write(dir.path().join("bad\nname.txt"), "").unwrap();
        let fs = DiskFs::new(dir.path()).unwrap();
        assert_eq!(fs.files(), ["ok.txt"]);
        assert_eq!(fs.unread().len(), 1);
        assert!(
            fs.unread()[0].contains("1 path whose name is not UTF-8 or holds a control character (such as bad\\nname.txt) was left out"),
            "{:?}",
            fs.unread()
        );
    }

    #[test]
    fn memfs_lists_like_the_walk() {
        let fs = MemFs::new([
            ("package.json", "{}"),
            ("node_modules/x/package.json", "{}"),
            ("apps/web/src/main.ts", ""),
            ("apps/web/src/main.test.ts", ""),
            ("vendor/modules.txt", ""),
        ]);
        assert_eq!(
            fs.files(),
            [
                "apps/web/src/main.test.ts",
                "apps/web/src/main.ts",
                "package.json"
            ]
        );
        let root = Dir::new(&fs, "");
        assert!(root.exists("vendor/modules.txt"));
        assert_eq!(root.subdirs(), ["apps"]);
        let web = Dir::new(&fs, "apps/web");
        assert_eq!(web.sources(&["ts"]), ["src/main.ts"]);
        let fs = MemFs::new([
            ("a/b", ""),
            ("a-b/c", ""),
            ("a/c/d", ""),
            ("ab", ""),
            ("a.x", ""),
        ]);
        let a: Vec<&str> = Dir::new(&fs, "a").files().collect();
        assert_eq!(a, ["b", "c/d"]);
    }
}
