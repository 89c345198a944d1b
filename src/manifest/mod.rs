//! Reading project manifests: `package.json`, `go.mod` and `go.work`, `pnpm-workspace.yaml`,
//! `Cargo.toml` and the member patterns of workspaces.
//!
//! Below both [`crate::detect`] (which proposes services from them) and [`crate::model`]
//! (which reads workspaces to build a service from its root): neither owns the file formats.

pub(crate) mod cargo;
pub(crate) mod glob;
pub(crate) mod go_mod;
pub(crate) mod package_json;
pub(crate) mod pnpm;
pub(crate) mod source;

/// Directories never walked: installed dependencies, build output, caches, tool state.
/// Their files can still be read by name (`vendor/modules.txt`).
pub(crate) const SKIPPED_DIRS: &[&str] = &[
    ".angular",
    ".git",
    ".hg",
    ".mypy_cache",
    ".next",
    ".nuxt",
    ".output",
    ".pytest_cache",
    ".svelte-kit",
    ".tox",
    ".turbo",
    ".venv",
    ".yarn",
    "__pycache__",
    "coverage",
    "dist",
    "node_modules",
    "target",
    "vendor",
    "venv",
];

/// Whether a directory name is one the walk leaves out.
#[must_use]
pub(crate) fn is_skipped_dir(name: &str) -> bool {
    SKIPPED_DIRS.contains(&name)
}
