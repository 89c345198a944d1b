//! Rust: a dependency skeleton (the manifests plus a stand-in of every target and build
//! script they declare, the recipe cargo-chef computes, here computed by mbgen from the
//! manifests) is compiled first, so the compiled dependencies sit in a layer that a source
//! edit does not invalidate; the real build then only compiles the crate itself.

use serde::Serialize;

use super::common::cache_mount;
use super::copy::{member_manifest_copies, sources};
use super::escape::{copy_args, shell_word};
use super::runtime::writable_dirs_command;
use super::Run;
use crate::model::{Rust, Service, Skeleton, WorkspaceBuild};
use crate::relpath::RelPath;

#[derive(Debug, Serialize)]
pub(crate) struct RustSection {
    /// `COPY` arguments for `Cargo.toml` and `Cargo.lock` (the workspace root's, for a crate
    /// built from its Cargo workspace).
    pub manifests: String,
    /// From a Cargo workspace root: more `COPY` arguments, one instruction each, for the
    /// `Cargo.toml` of every member (cargo loads them all).
    pub member_manifests: Vec<String>,
    /// `COPY` arguments, one instruction each, for the sources: `. .`, or from a Cargo
    /// workspace root the directories of the members the crate depends on, then its own.
    pub sources: Vec<String>,
    pub skeleton: Run,
    pub build: Run,
    /// The binary's path in the build stage.
    pub built: String,
    /// The binary's path in the final image.
    pub binary: String,
}

/// The rust part of a service.
pub(super) fn plan(service: &Service, rust: &Rust) -> RustSection {
    let registry: Vec<String> = cache_mount(service, "/usr/local/cargo/registry")
        .into_iter()
        .chain(cache_mount(service, "/usr/local/cargo/git"))
        .collect();
    match &service.workspace {
        None => single(service, rust, registry),
        Some(ws) => workspace(service, rust, ws, registry),
    }
}

/// The commands that write every stand-in of `skeleton`: `fn main() {}`, or an empty library.
fn stub_commands(skeleton: &Skeleton) -> Vec<String> {
    let mut dirs: Vec<String> = skeleton
        .mains
        .iter()
        .chain(&skeleton.libs)
        .map(RelPath::parent)
        .filter(|d| !d.is_root())
        .map(|d| shell_word(d.as_str()))
        .collect();
    dirs.sort();
    dirs.dedup();
    let mut commands = Vec::new();
    if !dirs.is_empty() {
        commands.push(format!("mkdir -p {}", dirs.join(" ")));
    }
    commands.extend(
        skeleton
            .mains
            .iter()
            .map(|f| format!("echo 'fn main() {{}}' > {}", shell_word(f.as_str()))),
    );
    if !skeleton.libs.is_empty() {
        let libs: Vec<String> = skeleton
            .libs
            .iter()
            .map(|f| shell_word(f.as_str()))
            .collect();
        commands.push(format!("touch {}", libs.join(" ")));
    }
    commands
}

/// `rm -f` of the stand-ins under `dirs` (every one when `dirs` holds the root).
fn remove_stubs(skeleton: &Skeleton, dirs: &[&RelPath]) -> String {
    let files: Vec<String> = skeleton
        .mains
        .iter()
        .chain(&skeleton.libs)
        .filter(|f| dirs.iter().any(|d| f.starts_with(d)))
        .map(|f| shell_word(f.as_str()))
        .collect();
    format!("rm -f {}", files.join(" "))
}

/// A crate built alone: its manifests, stand-ins of its targets for the dependencies, then
/// the crate.
fn single(service: &Service, rust: &Rust, registry: Vec<String>) -> RustSection {
    let bin = &rust.bin;
    let mut commands = stub_commands(&rust.skeleton);
    commands.push("cargo build --release --locked".into());
    commands.push(remove_stubs(&rust.skeleton, &[&RelPath::root()]));
    RustSection {
        manifests: copy_args(&["Cargo.toml", rust.lockfile.path.as_str(), "./"]),
        member_manifests: Vec::new(),
        sources: sources(service),
        skeleton: Run {
            comments: vec![
                "Compile the dependencies against stand-ins of the crate's targets and build script"
                    .into(),
                "(read from Cargo.toml): rebuilt when Cargo.toml or Cargo.lock change, not the sources."
                    .into(),
            ],
            mounts: registry.clone(),
            commands,
            ..Run::default()
        },
        build: Run {
            comments: vec![
                "Sources are older than the stand-ins' build: touch them so cargo rebuilds the crate."
                    .into(),
            ],
            mounts: registry,
            commands: [
                "find . -name '*.rs' -not -path './target/*' -exec touch {} +".into(),
                format!("cargo build --release --locked --bin {bin}"),
            ]
            .into_iter()
            .chain(writable_dirs_command(service))
            .collect(),
            ..Run::default()
        },
        built: format!("/src/target/release/{bin}"),
        binary: format!("/usr/local/bin/{bin}"),
    }
}

/// A crate built from its Cargo workspace root.
fn workspace(
    service: &Service,
    rust: &Rust,
    ws: &WorkspaceBuild,
    registry: Vec<String>,
) -> RustSection {
    let bin = &rust.bin;
    // From the workspace root: every member gets stand-ins of its targets so that cargo can
    // load the workspace, and the dependencies of this crate alone are compiled.
    let package = shell_word(ws.package.as_ref().unwrap_or(bin));
    let own: Vec<&RelPath> = ws.source_dirs().collect();
    let own_dirs: Vec<String> = own.iter().map(|d| shell_word(d.display())).collect();
    let mut commands = stub_commands(&rust.skeleton);
    commands.push(format!("cargo build --release --locked -p {package}"));
    commands.push(remove_stubs(&rust.skeleton, &own));
    let skeleton = Run {
        comments: vec![
            "Compile the dependencies against stand-ins of every member's targets (read from"
                .into(),
            "their Cargo.toml): rebuilt when a Cargo.toml or Cargo.lock changes, not the sources."
                .into(),
            "Stand-ins of the crates copied below are removed; the other members keep theirs, for"
                .into(),
            "cargo to load the workspace.".into(),
        ],
        mounts: registry.clone(),
        commands,
        ..Run::default()
    };
    let build = Run {
        comments: vec![
            "Sources are older than the stand-ins' build: touch them so cargo rebuilds the crates."
                .into(),
        ],
        mounts: registry,
        commands: [
            format!(
                "find {} -name '*.rs' -not -path '*/target/*' -exec touch {{}} +",
                own_dirs.join(" ")
            ),
            format!("cargo build --release --locked -p {package} --bin {bin}"),
        ]
        .into_iter()
        .chain(writable_dirs_command(service))
        .collect(),
        ..Run::default()
    };
    RustSection {
        manifests: copy_args(&["Cargo.toml", rust.lockfile.path.as_str(), "./"]),
        // The root Cargo.toml, a package's own when the root is a member, is copied above.
        member_manifests: member_manifest_copies(service, true),
        sources: sources(service),
        skeleton,
        build,
        built: format!("/src/target/release/{bin}"),
        binary: format!("/usr/local/bin/{bin}"),
    }
}
