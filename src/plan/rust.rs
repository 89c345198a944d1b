//! Rust: a dependency skeleton (the manifests plus an empty `main`) is compiled first, so the
//! compiled dependencies sit in a layer that a source edit does not invalidate; the real build
//! then only compiles the crate itself.

use serde::Serialize;

use super::common::cache_mount;
use super::Run;
use crate::model::Service;

#[derive(Debug, Serialize)]
pub struct RustSection {
    /// `COPY` arguments for `Cargo.toml` and `Cargo.lock`.
    pub manifests: String,
    pub skeleton: Run,
    pub build: Run,
    /// The binary's path in the build stage.
    pub built: String,
    /// The binary's path in the final image.
    pub binary: String,
}

pub fn plan(service: &Service) -> RustSection {
    let registry: Vec<String> = cache_mount(service, "/usr/local/cargo/registry")
        .into_iter()
        .chain(cache_mount(service, "/usr/local/cargo/git"))
        .collect();
    let bin = &service.rust_bin;
    let skeleton = Run {
        comments: vec![
            "Compile the dependencies against an empty main: this layer is rebuilt when".into(),
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
    };
    let build = Run {
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
    };
    RustSection {
        manifests: format!("Cargo.toml {} ./", service.lockfile.path),
        skeleton,
        build,
        built: format!("/src/target/release/{bin}"),
        binary: format!("/usr/local/bin/{bin}"),
    }
}
