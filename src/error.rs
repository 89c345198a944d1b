//! The error type of the commands, and the process exit codes.

use std::path::PathBuf;

use crate::diagnostic::{io_reason, Diagnostic, Diagnostics};
use crate::render::RenderError;

/// Exit codes; documented in the README and kept stable.
pub mod exit {
    /// Success.
    pub const OK: u8 = 0;
    /// A problem in the input, a refused overwrite, or stale files under `--check`.
    pub const FAILURE: u8 = 1;
    /// The command line itself is wrong (clap's own code).
    pub const USAGE: u8 = 2;
    /// A bug in mbgen.
    pub const INTERNAL: u8 = 3;
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Problems in what the user wrote, all reported together.
    #[error("{0}")]
    User(Diagnostics),
    /// Generated files differ from what `mbgen render` would write.
    #[error("{0}")]
    Stale(Box<Diagnostic>),
    #[error("error: cannot {action} {}: {}", path.display(), io_reason(source))]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// A built-in template failed on its own: a bug in mbgen.
    #[error("error: internal error: {0}\nThis is a bug in mbgen. Please report it, with the mbgen.toml that triggers it.")]
    Template(RenderError),
}

impl Error {
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::User(_) | Self::Stale(_) | Self::Io { .. } => exit::FAILURE,
            Self::Template(_) => exit::INTERNAL,
        }
    }

    pub fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io {
            action,
            path,
            source,
        }
    }
}

impl From<RenderError> for Error {
    /// A failure in the user's templates is the user's; only a built-in failing on its own is
    /// a bug.
    fn from(e: RenderError) -> Self {
        match e {
            RenderError::User(d) => Self::User((*d).into()),
            internal @ RenderError::Internal { .. } => Self::Template(internal),
        }
    }
}

impl From<Diagnostics> for Error {
    fn from(d: Diagnostics) -> Self {
        Self::User(d)
    }
}

impl From<Diagnostic> for Error {
    fn from(d: Diagnostic) -> Self {
        Self::User(d.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_builtin_template_failing_alone_is_a_bug() {
        let internal = RenderError::Internal {
            template: "go.Dockerfile.j2".into(),
            detail: "undefined".into(),
        };
        assert_eq!(Error::from(internal).exit_code(), exit::INTERNAL);
        let theirs = RenderError::User(Box::new(Diagnostic::new("the project's template")));
        assert_eq!(Error::from(theirs).exit_code(), exit::FAILURE);
    }
}
