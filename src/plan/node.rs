//! Node stacks: `node-static` (built, then served by nginx) and `node-server`.
//!
//! The manifests and lockfile are copied alone before the sources, so a source edit never
//! re-runs the install. `node-server` installs production dependencies in their own stage, in
//! parallel with the full install the build needs, so the final image carries no dev
//! dependencies and no build tools.

use serde::Serialize;

use super::common::{cache_mount, secret_mounts};
use super::Run;
use crate::model::Service;
use crate::spec::{PackageManager, Stack};

#[derive(Debug, Serialize)]
pub struct NodeSection {
    /// Enables corepack for yarn and pnpm.
    pub setup: Option<Run>,
    /// `COPY` arguments for the manifests and lockfile.
    pub manifests: String,
    /// The full install (dev dependencies included) of the `deps` stage.
    pub install: Run,
    /// The production-only install of the `prod-deps` stage, run in parallel with `deps`.
    pub prod_install: Option<Run>,
    /// With a custom `install`, `prod-deps` starts from `deps` and prunes instead.
    pub prune: Option<Run>,
    /// The build command of the `build` stage.
    pub build: Option<Run>,
    /// The build output, relative to the work directory.
    pub output_dir: String,
}

struct Commands {
    full: &'static str,
    production: &'static str,
    prune: &'static str,
    cache: &'static str,
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
        custom.unwrap_or(c.full),
        "Dependencies only: this layer is rebuilt when the manifests change, not the sources.",
    );
    let server = service.stack == Stack::NodeServer;
    let (prod_install, prune) = match (server, custom) {
        (false, _) => (None, None),
        (true, None) => (
            Some(install_run(
                service,
                c.production,
                "Production dependencies only, for the final image.",
            )),
            None,
        ),
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
    NodeSection {
        setup,
        manifests: manifests(service),
        install,
        prod_install,
        prune,
        build,
        output_dir: service.output_dir.clone(),
    }
}
