//! Rust: a dependency skeleton (the manifests plus an empty `main`) is compiled first, so the
//! compiled dependencies sit in a layer that a source edit does not invalidate; the real build
//! then only compiles the crate itself.

use serde::Serialize;

use super::common::cache_mount;
use super::copy::{member_manifest_copies, sources};
use super::escape::{copy_args, shell_word};
use super::Run;
use crate::model::{Rust, Service, WorkspaceBuild};

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

/// A crate built alone: its manifests, an empty main for the dependencies, then the crate.
fn single(service: &Service, rust: &Rust, registry: Vec<String>) -> RustSection {
    let bin = &rust.bin;
    RustSection {
            manifests: copy_args(&["Cargo.toml", rust.lockfile.path.as_str(), "./"]),
            member_manifests: Vec::new(),
            sources: sources(service),
            skeleton: Run {
                comments: vec![
                    "Compile the dependencies against an empty main: this layer is rebuilt when"
                        .into(),
                    "Cargo.toml or Cargo.lock change, not the sources.".into(),
                ],
                mounts: registry.clone(),
                commands: vec![
                    "mkdir -p src".into(),
                    "echo 'fn main() {}' > src/main.rs".into(),
                    "cargo build --release --locked".into(),
                    "rm -rf src".into(),
                ],
                ..Run::default()
            },
            build: Run {
                comments: vec![
                    "Sources are newer than the skeleton's build: touch them so cargo rebuilds the crate."
                        .into(),
                ],
                mounts: registry,
                commands: vec![
                    "find src -name '*.rs' -exec touch {} +".into(),
                    format!("cargo build --release --locked --bin {bin}"),
                ],
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
    // From the workspace root: every member gets a stub library and main so that cargo can
    // load the workspace, and the dependencies of this crate alone are compiled.
    let package = shell_word(ws.package.as_ref().unwrap_or(bin));
    let words = |paths: &mut dyn Iterator<Item = String>| -> Vec<String> {
        paths.map(|p| shell_word(&p)).collect()
    };
    let src_dirs = words(&mut ws.members.iter().map(|m| m.join_str("src").to_string()));
    let members = words(&mut ws.members.iter().map(|m| m.display().to_owned()));
    let own_src = words(&mut ws.source_dirs().map(|d| d.join_str("src").to_string()));
    let own_dirs = words(&mut ws.source_dirs().map(|d| d.display().to_owned()));
    let skeleton = Run {
        comments: vec![
            "Compile the dependencies against stub crates: this layer is rebuilt when a".into(),
            "Cargo.toml or Cargo.lock changes, not the sources. Stubs of the crates copied".into(),
            "below are removed; the other members keep theirs, for cargo to load the workspace."
                .into(),
        ],
        mounts: registry.clone(),
        commands: vec![
            format!("mkdir -p {}", src_dirs.join(" ")),
            format!(
                "for member in {}; do echo 'fn main() {{}}' > \"$member/src/main.rs\"; touch \"$member/src/lib.rs\"; done",
                members.join(" ")
            ),
            format!("cargo build --release --locked -p {package}"),
            format!("rm -rf {}", own_src.join(" ")),
        ],
        ..Run::default()
    };
    let build = Run {
        comments: vec![
            "Sources are newer than the skeleton's build: touch them so cargo rebuilds the crates."
                .into(),
        ],
        mounts: registry,
        commands: vec![
            format!(
                "find {} -name '*.rs' -exec touch {{}} +",
                own_dirs.join(" ")
            ),
            format!("cargo build --release --locked -p {package} --bin {bin}"),
        ],
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
