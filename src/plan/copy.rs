//! What a build copies, and where: the sources (the whole context, or from a workspace root
//! only the directories the service uses) and the manifests of workspace members. The
//! `.dockerignore` of a workspace build lets in exactly these (see [`super::dockerignore`]).

use super::escape::copy_args;
use crate::model::{NodePm, Service, StackModel};
use crate::relpath::RelPath;

/// `COPY` arguments, one instruction each, for the sources of a build: the whole context
/// (`. .`), or from a workspace root each directory of [`WorkspaceBuild::source_dirs`] to the
/// same place under the work directory.
#[must_use]
pub(super) fn sources(service: &Service) -> Vec<String> {
    match &service.workspace {
        None => vec![". .".to_owned()],
        Some(ws) => ws
            .source_dirs()
            .map(|d| copy_args(&[d.display(), d.display()]))
            .collect(),
    }
}

/// The member manifests a dependency step from a workspace root copies.
pub(super) struct MemberManifests<'a> {
    pub dirs: Vec<&'a RelPath>,
    /// The manifests' names; one ending in `*` is a glob that may match nothing.
    pub names: &'static [&'static str],
    /// Whether `dirs` is every member, not just the directories whose sources are copied.
    pub every_member: bool,
}

/// From a workspace root: the manifests of the service and of its workspace packages, or with
/// yarn, go.work and Cargo, whose tools check or load the whole workspace, every member's.
pub(super) fn member_manifests(service: &Service) -> Option<MemberManifests<'_>> {
    let ws = service.workspace.as_ref()?;
    let (names, every_member): (&'static [&'static str], bool) = match &service.stack {
        StackModel::Go(_) => (&["go.mod", "go.sum*"], true),
        StackModel::Rust(_) => (&["Cargo.toml"], true),
        // uv reads every member's pyproject.toml to check the lock.
        StackModel::Python(_) => (&["pyproject.toml"], true),
        _ => (
            &["package.json"],
            service
                .node_deps()
                .is_some_and(|d| matches!(d.pm, NodePm::Yarn | NodePm::Bun)),
        ),
    };
    let dirs = if every_member {
        ws.members.iter().collect()
    } else {
        ws.source_dirs().collect()
    };
    Some(MemberManifests {
        dirs,
        names,
        every_member,
    })
}

/// `COPY` arguments, one instruction each, for the member manifests of
/// [`member_manifests`]; none outside a workspace build. A member at the root itself is left
/// to the root's own `COPY` when `root_copied` holds.
#[must_use]
pub(super) fn member_manifest_copies(service: &Service, root_copied: bool) -> Vec<String> {
    let Some(MemberManifests { dirs, names, .. }) = member_manifests(service) else {
        return Vec::new();
    };
    dirs.into_iter()
        .filter(|d| !(root_copied && d.is_root()))
        .map(|d| {
            let mut words: Vec<String> = names.iter().map(|n| d.join_str(n).to_string()).collect();
            words.push(if d.is_root() {
                "./".to_owned()
            } else {
                format!("{d}/")
            });
            copy_args(&words)
        })
        .collect()
}

/// The files at a workspace root that a service's dependency step reads.
pub(super) fn workspace_root_files(service: &Service) -> Vec<String> {
    let lockfile = service
        .lockfile()
        .map(|l| l.path.to_string())
        .unwrap_or_default();
    match &service.stack {
        StackModel::Go(_) => vec!["go.work".to_owned(), "go.work.sum".to_owned()],
        StackModel::Rust(_) | StackModel::Python(_) => {
            let manifest = if matches!(service.stack, StackModel::Rust(_)) {
                "Cargo.toml"
            } else {
                "pyproject.toml"
            };
            vec![manifest.to_owned(), lockfile]
        }
        _ => {
            let mut files = vec![
                "package.json".to_owned(),
                lockfile,
                ".npmrc".to_owned(),
                "turbo.json".to_owned(),
            ];
            match service.node_deps().map(|d| d.pm) {
                Some(NodePm::Yarn) => files.push(".yarnrc.yml".into()),
                Some(NodePm::Pnpm) => files.push("pnpm-workspace.yaml".into()),
                Some(NodePm::Bun) => files.push("bunfig.toml".into()),
                Some(NodePm::Npm) | None => {}
            }
            files.dedup();
            files
        }
    }
}
