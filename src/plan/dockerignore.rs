//! The `.dockerignore` of a service: what never belongs in its build context (version
//! control, local environment files, Docker and mbgen files, dependencies and build output
//! made inside the build), then the user's patterns. From a workspace root it is an allowlist
//! of exactly what the build copies ([`super::copy`]).

use super::common::header;
use super::copy::{member_manifests, workspace_root_files};
use super::escape::ignore_path;
use crate::model::{NodePm, Project, Service, StackModel, WorkspaceBuild};
use crate::relpath::RelPath;

/// The `.dockerignore` of a service: the stack's defaults, then the user's patterns.
#[must_use]
pub(crate) fn dockerignore(project: &Project, service: &Service) -> String {
    let mut lines: Vec<String> = header(project, service, ".dockerignore")
        .into_iter()
        .map(|l| format!("# {l}"))
        .collect();
    lines.push(String::new());
    match &service.workspace {
        Some(ws) => workspace_lines(service, ws, &mut lines),
        None => single_lines(project, service, &mut lines),
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// The directories frameworks and monorepo tools write while building (Next.js, Nuxt and
/// Nitro, `SvelteKit`, Astro, Turborepo, Nx): made inside the build, stale from the host.
const NODE_BUILD_DIRS: &[&str] = &[
    ".next",
    ".nuxt",
    ".output",
    ".svelte-kit",
    ".astro",
    ".turbo",
    ".nx",
];

/// Patterns for dependencies and build output that the build makes itself.
fn stack_patterns(service: &Service) -> Vec<String> {
    let node = |output_dir: &RelPath| {
        let mut p = vec![
            "**/node_modules".to_owned(),
            "npm-debug.log*".to_owned(),
            "coverage".to_owned(),
        ];
        p.extend(NODE_BUILD_DIRS.iter().map(|d| format!("**/{d}")));
        if !output_dir.is_root() {
            p.push(ignore_path(output_dir.as_str()));
        }
        if service.node_deps().is_some_and(|d| d.pm == NodePm::Yarn) {
            p.push(".yarn/cache".into());
        }
        p
    };
    let list: &[&str] = match &service.stack {
        StackModel::NodeStatic(n) => return node(&n.output_dir),
        StackModel::NodeServer(n) => return node(&n.output_dir),
        StackModel::Python(_) => &[
            "**/__pycache__",
            "**/*.py[cod]",
            ".venv",
            "venv",
            ".pytest_cache",
            ".mypy_cache",
            ".ruff_cache",
            ".tox",
            "*.egg-info",
        ],
        StackModel::Go(_) => &["*.test", "*.out", "bin"],
        StackModel::Rust(_) => &["target"],
        StackModel::Static(_) => &[],
    };
    list.iter().map(|p| (*p).to_owned()).collect()
}

fn single_lines(project: &Project, service: &Service, lines: &mut Vec<String>) {
    lines
        .push("# Version control, editors, local environment files (they may hold secrets)".into());
    for p in [
        ".git",
        ".gitignore",
        ".dockerignore",
        ".idea",
        ".vscode",
        "**/.DS_Store",
        ".env",
        ".env.*",
        "*.log",
    ] {
        lines.push(p.into());
    }
    lines.push("# Docker and mbgen files: not needed inside the image".into());
    lines.push(ignore_path(service.dockerfile.as_str()));
    lines.push(ignore_path(&project.config_name));
    lines.push("docker-compose*.yml".into());
    lines.push("compose*.yaml".into());
    lines.push("docker-bake*.hcl".into());
    // mbgen's own directory (project templates, the schema copy `init` writes).
    let inside = |path: &RelPath| path.strip_prefix(&service.context).filter(|p| !p.is_root());
    if let Some(own) = inside(&RelPath::from_normal(".mbgen")) {
        lines.push(ignore_path(own.as_str()));
    }
    if let Some(templates) = inside(&project.templates_dir) {
        if !templates.as_str().starts_with(".mbgen/") {
            lines.push(ignore_path(templates.as_str()));
        }
    }
    lines.push("# Dependencies and build output are made inside the build".into());
    lines.extend(stack_patterns(service));
    if !service.dockerignore.is_empty() {
        lines.push("# From mbgen.toml".into());
        lines.extend(service.dockerignore.iter().cloned());
    }
}

/// From a workspace root: everything is left out but the root manifests, the manifests the
/// dependency step reads, and the directories of the service and of the workspace packages
/// it uses; then the usual exclusions inside those.
fn workspace_lines(service: &Service, ws: &WorkspaceBuild, lines: &mut Vec<String>) {
    lines.push(
        "# The build context is the workspace root: only what this service's build reads".into(),
    );
    lines.push("# is let in, so changes elsewhere in the workspace never reach its build.".into());
    lines.push("*".into());
    for f in workspace_root_files(service) {
        lines.push(format!("!{}", ignore_path(&f)));
    }
    // Otherwise the manifests are those of the directories let in whole below.
    if let Some(m) = member_manifests(service).filter(|m| m.every_member) {
        for dir in m.dirs {
            for name in m.names {
                let line = format!(
                    "!{}",
                    ignore_path(dir.join_str(name.trim_end_matches('*')).as_str())
                );
                // A member at the root has its manifest let in with the root's files.
                if !lines.contains(&line) {
                    lines.push(line);
                }
            }
        }
    }
    for dir in ws.source_dirs() {
        lines.push(format!("!{}", ignore_path(dir.as_str())));
    }
    lines
        .push("# Version control, editors, local environment files (they may hold secrets)".into());
    for p in [
        ".git",
        ".idea",
        ".vscode",
        ".DS_Store",
        ".env",
        ".env.*",
        "*.log",
    ] {
        lines.push(format!("**/{p}"));
    }
    lines.push("# Docker and mbgen files: not needed inside the image".into());
    lines.push(ignore_path(service.dockerfile.as_str()));
    lines.push(ignore_path(service.dockerignore_file.as_str()));
    lines.push("# Dependencies and build output are made inside the build".into());
    match &service.stack {
        StackModel::Rust(_) => lines.push("**/target".into()),
        StackModel::Go(_) => {
            for dir in ws.source_dirs() {
                for p in ["*.test", "*.out", "bin"] {
                    lines.push(if dir.is_root() {
                        p.to_owned()
                    } else {
                        format!("{}/{p}", ignore_path(dir.as_str()))
                    });
                }
            }
        }
        _ => {
            lines.push("**/node_modules".into());
            lines.push("**/npm-debug.log*".into());
            lines.extend(NODE_BUILD_DIRS.iter().map(|d| format!("**/{d}")));
            lines.push(ignore_path(ws.dir.join_str("coverage").as_str()));
            let output = match &service.stack {
                StackModel::NodeStatic(n) => Some(&n.output_dir),
                StackModel::NodeServer(n) => Some(&n.output_dir),
                _ => None,
            };
            if let Some(out) = output.filter(|o| !o.is_root()) {
                lines.push(ignore_path(out.as_str()));
            }
        }
    }
    if !service.dockerignore.is_empty() {
        lines.push("# From mbgen.toml (relative to the workspace root)".into());
        lines.extend(service.dockerignore.iter().cloned());
    }
}
