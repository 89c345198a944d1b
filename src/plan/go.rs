//! Go: `go.mod`/`go.sum` first, modules downloaded under a cache mount, a static binary
//! built under the build cache, then a final image that holds only the binary.
//!
//! The standard library is never rebuilt (`go build -a` is not used); time zone data is
//! embedded with the `timetzdata` tag so `scratch` and distroless need no tzdata.

use serde::Serialize;

use super::common::cache_mount;
use super::copy::{member_manifest_copies, sources};
use super::escape::{copy_args, shell_word};
use super::runtime::binary_path;
use super::stages::go_downloads;
use super::Run;
use crate::model::{BinaryRuntime, Go, Service};

#[derive(Debug, Serialize)]
pub(crate) struct GoSection {
    /// `COPY` arguments for `go.mod` and `go.sum` (`go.work` and `go.work.sum`, for a service
    /// built from the root of its `go.work`).
    pub manifests: String,
    /// From a `go.work` root: more `COPY` arguments, one instruction each, for the `go.mod`
    /// and `go.sum` of every module the `go.work` uses (the go command loads them all).
    pub module_manifests: Vec<String>,
    /// `COPY` arguments, one instruction each, for the sources: `. .`, or from a `go.work`
    /// root the directories of the modules the service requires and then its own.
    pub sources: Vec<String>,
    /// `go mod download`, absent with `vendor/`.
    pub download: Option<Run>,
    pub build: Run,
    /// Path of the binary in the build stage and the final image.
    pub binary: String,
    /// Copy the CA bundle into `scratch`.
    pub copy_ca_bundle: bool,
}

/// The go part of a service.
pub(super) fn plan(service: &Service, go: &Go) -> GoSection {
    let modcache = cache_mount(service, "/go/pkg/mod");
    let buildcache = cache_mount(service, "/root/.cache/go-build");
    let lockfile = &go.lockfile;
    let manifests = if service.workspace.is_some() {
        "go.work go.work.sum* ./".to_owned()
    } else if lockfile.optional {
        // The glob lets a module without dependencies (and so without go.sum) build.
        copy_args(&["go.mod", &format!("{}*", lockfile.path), "./"])
    } else {
        copy_args(&["go.mod", lockfile.path.as_str(), "./"])
    };
    // From a go.work root, `go mod download` would also fetch the versions the modules
    // require of each other, which the workspace replaces: only outside modules are named.
    let download = go_downloads(service, go).then(|| Run {
        comments: vec![
            "Modules only: rebuilt when go.mod or go.sum change, not the sources.".into(),
        ],
        mounts: modcache.clone().into_iter().collect(),
        commands: vec![match &service.workspace {
            None => "go mod download".to_owned(),
            Some(ws) => {
                let modules: Vec<String> = ws.external.iter().map(|m| shell_word(m)).collect();
                format!("go mod download {}", modules.join(" "))
            }
        }],
        ..Run::default()
    });
    let binary = binary_path(service);
    let mut flags = vec!["-trimpath".to_owned()];
    if go.vendor {
        flags.push("-mod=vendor".into());
    }
    flags.push("-ldflags=\"-s -w\"".into());
    flags.push("-tags timetzdata".into());
    let cgo = u8::from(go.cgo);
    let mut mounts: Vec<String> = Vec::new();
    if !go.vendor {
        mounts.extend(modcache);
    }
    mounts.extend(buildcache);
    let build = Run {
        comments: vec![],
        mounts,
        commands: vec![format!(
            "CGO_ENABLED={cgo} go build {} -o {binary} {}",
            flags.join(" "),
            shell_word(&go.main)
        )],
        ..Run::default()
    };
    GoSection {
        manifests,
        // go.work is at the root; a module there has its go.mod copied here too.
        module_manifests: member_manifest_copies(service, false),
        sources: sources(service),
        download,
        build,
        binary,
        copy_ca_bundle: go.runtime == BinaryRuntime::Scratch,
    }
}
