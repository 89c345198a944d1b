//! The file system as mbgen touches it, confined and bounded.
//!
//! Below every stage that does I/O: each file mbgen reads is a regular file of bounded size,
//! read as UTF-8 (a bad byte is reported at its line and column), and each path it reads or
//! writes in a project resolves, symbolic links followed, inside the project root. A FIFO,
//! `/dev/zero`, a huge file or a link out of the project is refused with a message, never
//! read or written through.

use std::io::{self, Read as _};
use std::path::{Component, Path, PathBuf};

use crate::diagnostic::{io_reason, Diagnostic, SourceFile};

/// The largest `mbgen.toml` mbgen reads.
pub(crate) const MAX_CONFIG_BYTES: u64 = 4 << 20;
/// The largest template mbgen reads.
pub(crate) const MAX_TEMPLATE_BYTES: u64 = 1 << 20;
/// The largest manifest or lockfile mbgen reads.
pub(crate) const MAX_MANIFEST_BYTES: u64 = 64 << 20;

/// Why a file could not be read as text.
#[derive(Debug)]
pub(crate) enum ReadError {
    NotFound,
    /// Not a regular file: what it is instead.
    NotAFile(&'static str),
    TooLarge {
        size: u64,
        limit: u64,
    },
    /// Not UTF-8: the text read, made valid, and the byte offset of the first bad byte.
    NotUtf8 {
        lossy: String,
        offset: usize,
    },
    Io(io::Error),
}

impl ReadError {
    /// Whether the file does not exist.
    #[must_use]
    pub(crate) fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound)
    }

    /// What is wrong, in a few words after "it": `is a named pipe (FIFO)`.
    #[must_use]
    pub(crate) fn reason(&self) -> String {
        match self {
            Self::NotFound => "does not exist".to_owned(),
            Self::NotAFile(kind) => format!("is {kind}, not a regular file"),
            Self::TooLarge { size, limit } => {
                format!(
                    "is {} large, over the limit of {}",
                    bytes(*size),
                    bytes(*limit)
                )
            }
            Self::NotUtf8 { lossy, offset } => {
                let (line, col) = SourceFile::new("", lossy.as_str()).line_col(*offset);
                format!("is not UTF-8 text (line {line}, column {col})")
            }
            Self::Io(e) => format!("cannot be read: {}", io_reason(e)),
        }
    }

    /// The problem as a diagnostic about the file shown as `shown`.
    #[must_use]
    pub(crate) fn diagnostic(&self, shown: &Path) -> Diagnostic {
        let name = shown.display();
        match self {
            Self::NotFound => Diagnostic::new(format!("{name} does not exist")).in_file(shown),
            Self::NotAFile(kind) => {
                Diagnostic::new(format!("{name} is {kind}, not a regular file"))
                    .in_file(shown)
                    .help("mbgen reads regular files only: put the file itself there")
            }
            Self::TooLarge { size, limit } => Diagnostic::new(format!(
                "{name} is {} large; mbgen reads files of at most {}",
                bytes(*size),
                bytes(*limit)
            ))
            .in_file(shown)
            .help("is it the right file? mbgen never reads a file that large"),
            Self::NotUtf8 { lossy, offset } => {
                let file = SourceFile::new(shown, lossy.as_str());
                Diagnostic::new(format!("{name} is not UTF-8 text"))
                    .at(&file, *offset..offset + '\u{fffd}'.len_utf8())
                    .help("save it as UTF-8")
            }
            Self::Io(e) => {
                Diagnostic::new(format!("cannot read {name}: {}", io_reason(e))).in_file(shown)
            }
        }
    }
}

/// A size for people: `5 MiB`, `912 bytes`.
pub(crate) fn bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 20 => format!("{} MiB", n >> 20),
        n if n >= 1 << 10 => format!("{} KiB", n >> 10),
        n => format!("{n} bytes"),
    }
}

/// Reads a regular file of at most `limit` bytes as UTF-8.
pub(crate) fn read_text(path: &Path, limit: u64) -> Result<String, ReadError> {
    let bytes = read_bytes(path, limit)?;
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        ReadError::NotUtf8 {
            lossy: String::from_utf8_lossy(e.as_bytes()).into_owned(),
            offset,
        }
    })
}

/// Reads a regular file of at most `limit` bytes.
pub(crate) fn read_bytes(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let meta = match fs_err::metadata(path) {
        Ok(meta) => meta,
        // A file below a file does not exist either.
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
            ) =>
        {
            return Err(ReadError::NotFound)
        }
        Err(e) => return Err(ReadError::Io(e)),
    };
    if !meta.is_file() {
        return Err(ReadError::NotAFile(kind_of(&meta)));
    }
    if meta.len() > limit {
        return Err(ReadError::TooLarge {
            size: meta.len(),
            limit,
        });
    }
    let file = fs_err::File::open(path).map_err(ReadError::Io)?;
    // The file may grow between the check and the read: never take more than the limit.
    let mut out = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or_default());
    file.take(limit + 1)
        .read_to_end(&mut out)
        .map_err(ReadError::Io)?;
    if out.len() as u64 > limit {
        return Err(ReadError::TooLarge {
            size: out.len() as u64,
            limit,
        });
    }
    Ok(out)
}

/// What a file that is not a regular file is, in words.
fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if meta.is_dir() {
        "a directory"
    } else {
        "a special file"
    }
}

/// A project root that paths are checked against: every path mbgen reads or writes in a
/// project must resolve inside it.
#[derive(Debug, Clone)]
pub(crate) struct Confined {
    /// The root as given, for joining.
    root: PathBuf,
    /// The root with every symbolic link resolved.
    canonical: PathBuf,
}

/// A path that leads out of the project, and where it leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Escape {
    /// Where the path really leads, symbolic links followed.
    pub resolved: PathBuf,
    /// The symbolic link on the way that leads out, relative to the root, when there is one.
    pub link: Option<PathBuf>,
}

impl Confined {
    /// The project at `root`, which must exist.
    pub(crate) fn new(root: &Path) -> io::Result<Self> {
        Ok(Self {
            root: root.to_owned(),
            canonical: fs_err::canonicalize(root)?,
        })
    }

    /// Resolves `rel` (relative to the root) as far as it exists, symbolic links followed:
    /// the real path to read or write, or the [`Escape`] when it leads out of the project.
    pub(crate) fn resolve(&self, rel: &Path) -> Result<PathBuf, Escape> {
        let mut resolved = self.canonical.clone();
        let mut walked = PathBuf::new();
        let mut components = rel.components().peekable();
        while let Some(component) = components.next() {
            match component {
                Component::CurDir => continue,
                Component::Normal(part) => {
                    walked.push(part);
                    resolved.push(part);
                }
                // Relative paths of mbgen's own never hold these; a caller's bug, refused.
                Component::ParentDir | Component::RootDir | Component::Prefix(_) => {
                    return Err(Escape {
                        resolved: self.root.join(rel),
                        link: None,
                    });
                }
            }
            match fs_err::symlink_metadata(&resolved) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    if let Ok(target) = fs_err::canonicalize(&resolved) {
                        resolved = target;
                    } else {
                        // A link to nowhere: writing would create its target, wherever it is.
                        let target = fs_err::read_link(&resolved).unwrap_or_default();
                        return Err(Escape {
                            resolved: target,
                            link: Some(walked),
                        });
                    }
                }
                Ok(_) => {}
                // The rest does not exist yet: nothing below can be a link.
                Err(_) => {
                    resolved.extend(components);
                    break;
                }
            }
            if !resolved.starts_with(&self.canonical) {
                return Err(Escape {
                    resolved,
                    link: Some(walked),
                });
            }
        }
        Ok(resolved)
    }

    /// Whether `path`, an existing path on disk, is inside the root once symbolic links are
    /// followed.
    #[must_use]
    pub(crate) fn contains(&self, path: &Path) -> bool {
        fs_err::canonicalize(path).is_ok_and(|p| p.starts_with(&self.canonical))
    }

    /// [`Confined::resolve`], with the escape as a diagnostic naming the path as `shown`.
    pub(crate) fn check(&self, rel: &Path, shown: &Path) -> Result<PathBuf, Box<Diagnostic>> {
        self.resolve(rel).map_err(|e| Box::new(e.diagnostic(shown)))
    }
}

impl Escape {
    /// The escape as a diagnostic about the path shown as `shown`.
    #[must_use]
    pub(crate) fn diagnostic(&self, shown: &Path) -> Diagnostic {
        let via = self.link.as_ref().map_or_else(String::new, |l| {
            format!(" through the symbolic link {}", l.display())
        });
        Diagnostic::new(format!(
            "{} leads outside the project{via}, to {}",
            shown.display(),
            self.resolved.display()
        ))
        .in_file(shown)
        .help("mbgen reads and writes only inside the directory of mbgen.toml, with or without --force: replace the link with the directory or file itself, or point it inside the project")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_regular_files_within_bounds() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.txt");
        fs_err::write(&file, "x = 1\ny = \u{e9}\n").unwrap();
        assert_eq!(read_text(&file, 100).unwrap(), "x = 1\ny = \u{e9}\n");
        assert!(matches!(
            read_text(&file, 4),
            Err(ReadError::TooLarge { limit: 4, .. })
        ));
        assert!(read_text(&dir.path().join("nope"), 9)
            .unwrap_err()
            .is_not_found());
        assert!(matches!(
            read_text(dir.path(), 9),
            Err(ReadError::NotAFile("a directory"))
        ));
        fs_err::write(&file, b"ok\nbad \xff here\n").unwrap();
        let err = read_text(&file, 100).unwrap_err();
        let shown = err.diagnostic(Path::new("a.txt")).to_string();
        assert!(shown.contains("a.txt:2:5"), "{shown}");
    }

    #[cfg(unix)]
    #[test]
    fn devices_and_pipes_are_not_read() {
        let err = read_text(Path::new("/dev/zero"), 10).unwrap_err();
        assert!(matches!(err, ReadError::NotAFile("a device")), "{err:?}");
    }

    #[cfg(unix)]
    #[test]
    fn links_out_of_the_root_are_escapes() {
        let outside = tempfile::tempdir().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs_err::create_dir_all(root.join("real")).unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("out")).unwrap();
        std::os::unix::fs::symlink(root.join("real"), root.join("in")).unwrap();
        std::os::unix::fs::symlink(root.join("missing"), root.join("dangling")).unwrap();
        let c = Confined::new(root).unwrap();
        let canonical = fs_err::canonicalize(root).unwrap();
        assert_eq!(
            c.resolve(Path::new("in/Dockerfile")).unwrap(),
            canonical.join("real/Dockerfile")
        );
        assert_eq!(
            c.resolve(Path::new("new/dir/file")).unwrap(),
            canonical.join("new/dir/file")
        );
        let escape = c.resolve(Path::new("out/Dockerfile")).unwrap_err();
        assert_eq!(escape.link.as_deref(), Some(Path::new("out")));
        assert!(c.resolve(Path::new("dangling/x")).is_err());
        assert!(c.resolve(Path::new("../x")).is_err());
        let message = escape.diagnostic(Path::new("out/Dockerfile")).to_string();
        assert!(message.contains("leads outside the project"), "{message}");
    }
}
