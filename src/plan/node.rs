//! Node stacks: `node-static` (built, then served by nginx) and `node-server`.
//!
//! The manifests and lockfile are copied alone before the sources, so a source edit never
//! re-runs the install. `node-server` installs production dependencies in their own stage, in
//! parallel with the full install the build needs, so the final image carries no dev
//! dependencies and no build tools.

use serde::Serialize;

use super::common::{cache_mount, copy_member_manifests, copy_sources, secret_mounts};
use super::Run;
use crate::model::Service;
use crate::spec::{PackageManager, Stack};

#[derive(Debug, Serialize)]
pub struct NodeSection {
    /// Enables corepack for yarn and pnpm.
    pub setup: Option<Run>,
    /// `COPY` arguments for the manifests and lockfile (at the workspace root, for a service
    /// built from there).
    pub manifests: String,
    /// More `COPY` arguments, one instruction each, for the manifests of the service and of
    /// the workspace packages it uses, when built from the workspace root.
    pub member_manifests: Vec<String>,
    /// `COPY` arguments, one instruction each, for the sources: `. .`, or from a workspace
    /// root the directories of the workspace packages and then the service's.
    pub sources: Vec<String>,
    /// From a workspace root: the service's directory in the image, where the build runs and
    /// the container starts.
    pub app_dir: Option<String>,
    /// `COPY --from=prod-deps` arguments for the production dependencies.
    pub prod_deps: String,
    /// `COPY --from=build` arguments, one instruction each, for the built workspace packages
    /// in the final image (`node-server` with a build step, from a workspace root).
    pub built_packages: Vec<String>,
    /// The full install (dev dependencies included) of the `deps` stage.
    pub install: Run,
    /// The production-only install of the `prod-deps` stage, run in parallel with `deps`.
    pub prod_install: Option<Run>,
    /// With a custom `install`, `prod-deps` starts from `deps` and prunes instead.
    pub prune: Option<Run>,
    /// The build command of the `build` stage.
    pub build: Option<Run>,
    /// The build output, relative to `/app`.
    pub output_dir: String,
}

struct Commands {
    full: &'static str,
    production: &'static str,
    prune: &'static str,
    cache: &'static str,
}

/// The install commands; from a workspace root, narrowed to the service and what it uses.
fn install_commands(service: &Service) -> (String, String) {
    let c = commands(service.package_manager);
    let Some(ws) = &service.workspace else {
        return (c.full.to_owned(), c.production.to_owned());
    };
    let dir = &ws.dir;
    match service.package_manager {
        // The root's own devDependencies (TypeScript, bundlers) serve every workspace's build.
        PackageManager::Npm => (
            format!("npm ci --workspace={dir} --include-workspace-root --no-audit --no-fund"),
            format!("npm ci --workspace={dir} --omit=dev --no-audit --no-fund"),
        ),
        // `{dir}...`: the package in that directory and everything it depends on.
        PackageManager::Pnpm => (
            format!("pnpm install --frozen-lockfile --filter=\"{{./{dir}}}...\""),
            format!("pnpm install --frozen-lockfile --prod --filter=\"{{./{dir}}}...\""),
        ),
        _ => (c.full.to_owned(), c.production.to_owned()),
    }
}

fn commands(pm: PackageManager) -> Commands {
    match pm {
        PackageManager::Yarn => Commands {
            full: "yarn install --frozen-lockfile",
            production: "yarn install --frozen-lockfile --production",
            prune: "yarn install --frozen-lockfile --production",
            cache: "/usr/local/share/.cache/yarn",
        },
        PackageManager::Pnpm => Commands {
            full: "pnpm install --frozen-lockfile",
            production: "pnpm install --frozen-lockfile --prod",
            prune: "pnpm prune --prod",
            cache: "/root/.local/share/pnpm/store",
        },
        _ => Commands {
            full: "npm ci --no-audit --no-fund",
            production: "npm ci --omit=dev --no-audit --no-fund",
            prune: "npm prune --omit=dev --no-audit --no-fund",
            cache: "/root/.npm",
        },
    }
}

fn install_run(service: &Service, command: &str, comment: &str) -> Run {
    let c = commands(service.package_manager);
    let (secrets, env_prefix) = secret_mounts(service);
    let mut mounts: Vec<String> = cache_mount(service, c.cache).into_iter().collect();
    if service.package_manager != PackageManager::Npm {
        mounts.extend(cache_mount(service, "/root/.cache/node/corepack"));
    }
    mounts.extend(secrets);
    Run {
        comments: vec![comment.to_owned()],
        mounts,
        commands: vec![format!("{env_prefix}{command}")],
        ..Run::default()
    }
}

/// `COPY` arguments for what the install reads: the manifest, the lockfile, and the package
/// manager's configuration when there is one (a glob, so a missing file is fine).
fn manifests(service: &Service) -> String {
    let config = match service.package_manager {
        PackageManager::Yarn => " .yarnrc.yml* .npmrc*",
        PackageManager::Pnpm => " pnpm-workspace.yaml* .npmrc*",
        _ => " .npmrc*",
    };
    format!("package.json {}{config} ./", service.lockfile.path)
}

pub fn plan(service: &Service) -> NodeSection {
    let c = commands(service.package_manager);
    let (full, production) = install_commands(service);
    let custom = service.install.as_deref();
    let setup = (service.package_manager != PackageManager::Npm).then(|| Run {
        comments: vec![format!(
            "{} comes through corepack, at the version package.json's `packageManager` names.",
            service.package_manager.as_str()
        )],
        commands: vec!["corepack enable".into()],
        ..Run::default()
    });
    let install = install_run(
        service,
        custom.unwrap_or(&full),
        "Dependencies only: this layer is rebuilt when the manifests change, not the sources.",
    );
    let server = service.stack == Stack::NodeServer;
    let (prod_install, prune) = match (server, custom) {
        (false, _) => (None, None),
        (true, None) => {
            let mut run = install_run(
                service,
                &production,
                "Production dependencies only, for the final image.",
            );
            // npm makes no node_modules for a package without dependencies; the final stage
            // copies it.
            run.commands.push("mkdir -p node_modules".into());
            (Some(run), None)
        }
        (true, Some(_)) => (
            None,
            Some(Run {
                comments: vec!["Drop the dev dependencies for the final image.".into()],
                commands: vec![c.prune.into()],
                ..Run::default()
            }),
        ),
    };
    let build = service.build.as_ref().map(|command| Run {
        comments: vec![],
        commands: vec![command.clone()],
        ..Run::default()
    });
    let (app_dir, prod_deps, built_packages) = match &service.workspace {
        None => (
            None,
            "/app/node_modules ./node_modules".to_owned(),
            Vec::new(),
        ),
        Some(ws) => {
            let from_build = if server && service.build.is_some() {
                ws.packages
                    .iter()
                    .map(|d| format!("/app/{d} ./{d}"))
                    .collect()
            } else {
                Vec::new()
            };
            // The whole tree of the install: the root's node_modules and any a workspace
            // keeps of its own, beside the manifests.
            (
                Some(format!("/app/{}", ws.dir)),
                "/app ./".to_owned(),
                from_build,
            )
        }
    };
    NodeSection {
        setup,
        manifests: manifests(service),
        member_manifests: copy_member_manifests(service, true),
        sources: copy_sources(service),
        app_dir,
        prod_deps,
        built_packages,
        install,
        prod_install,
        prune,
        build,
        output_dir: service.output_dir.clone(),
    }
}
