//! Node stacks: `node-static` (built, then served by nginx) and `node-server`.
//!
//! The manifests and lockfile are copied alone before the sources, so a source edit never
//! re-runs the install. `node-server` installs production dependencies in their own stage, in
//! parallel with the full install the build needs, so the final image carries no dev
//! dependencies and no build tools.

use serde::Serialize;

use super::common::{cache_mount, secret_mounts};
use super::copy::{member_manifest_copies, sources};
use super::escape::{copy_args, dockerfile_word, shell_double_quote, shell_word};
use super::Run;
use crate::model::{NodeDeps, NodePm, NodeServer, NodeStatic, Service};
use crate::relpath::RelPath;

#[derive(Debug, Serialize)]
pub(crate) struct NodeSection {
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
    /// The build output, relative to `/app`, as a plain path.
    pub output_dir: String,
    /// `COPY --from=build` arguments bringing the build output into the final image
    /// (`node-server` with a build step), quoted where the path needs it.
    pub output_copy: String,
    /// `COPY` arguments for the Prisma schema, copied with the manifests.
    pub prisma_schema: Option<String>,
    /// `prisma generate`, right after the install of the `deps` stage.
    pub generate: Option<Run>,
    /// `COPY --from=deps` arguments for the generated Prisma client in the final image.
    pub prisma_client: Option<String>,
    /// `COPY` arguments, one instruction each, for the sources of the final image: those of
    /// `sources`, or none for a standalone build output.
    pub runtime_sources: Vec<String>,
}

struct Commands {
    full: &'static str,
    production: &'static str,
    prune: &'static str,
    cache: &'static str,
}

/// The install commands; from a workspace root, narrowed to the service and what it uses.
fn install_commands(service: &Service, deps: &NodeDeps) -> (String, String) {
    let pm = deps.pm;
    let c = commands(deps);
    let Some(ws) = &service.workspace else {
        return (c.full.to_owned(), c.production.to_owned());
    };
    let dir = shell_word(ws.dir.as_str());
    match pm {
        // The root's own devDependencies (TypeScript, bundlers) serve every workspace's build.
        NodePm::Npm => (
            format!("npm ci --workspace={dir} --include-workspace-root --no-audit --no-fund"),
            format!("npm ci --workspace={dir} --omit=dev --no-audit --no-fund"),
        ),
        // `{dir}...`: the package in that directory and everything it depends on.
        // `{dir}...`: the package in that directory and everything it depends on; `{.}`: the
        // root too, whose devDependencies (turbo, TypeScript) serve the build.
        NodePm::Pnpm => {
            let filter = shell_double_quote(&format!("{{./{}}}...", ws.dir));
            (
                format!("pnpm install --frozen-lockfile --filter={filter} --filter=\"{{.}}\""),
                format!("pnpm install --frozen-lockfile --prod --filter={filter}"),
            )
        }
        // Yarn and bun install the whole workspace: the lockfile is checked as a whole.
        NodePm::Yarn | NodePm::Bun => (c.full.to_owned(), c.production.to_owned()),
    }
}

fn commands(deps: &NodeDeps) -> Commands {
    match deps.pm {
        // Yarn berry: `--immutable` is its frozen lockfile, and `workspaces focus` (built in
        // since Yarn 4) its production install, which it has no flag of `install` for.
        NodePm::Yarn if deps.yarn_berry => Commands {
            full: "yarn install --immutable",
            production: "yarn workspaces focus --all --production",
            prune: "yarn workspaces focus --all --production",
            cache: "/root/.yarn/berry/cache",
        },
        NodePm::Yarn => Commands {
            full: "yarn install --frozen-lockfile",
            production: "yarn install --frozen-lockfile --production",
            prune: "yarn install --frozen-lockfile --production",
            cache: "/usr/local/share/.cache/yarn",
        },
        NodePm::Pnpm => Commands {
            full: "pnpm install --frozen-lockfile",
            production: "pnpm install --frozen-lockfile --prod",
            prune: "pnpm prune --prod",
            cache: "/root/.local/share/pnpm/store",
        },
        NodePm::Npm => Commands {
            full: "npm ci --no-audit --no-fund",
            production: "npm ci --omit=dev --no-audit --no-fund",
            prune: "npm prune --omit=dev --no-audit --no-fund",
            cache: "/root/.npm",
        },
        // bun has no prune: a production install over the full one drops the dev
        // dependencies.
        NodePm::Bun => Commands {
            full: "bun install --frozen-lockfile",
            production: "bun install --frozen-lockfile --production",
            prune: "bun install --frozen-lockfile --production",
            cache: "/root/.bun/install/cache",
        },
    }
}

fn install_run(service: &Service, deps: &NodeDeps, command: &str, comment: &str) -> Run {
    let pm = deps.pm;
    let c = commands(deps);
    let (secrets, env_prefix) = secret_mounts(service);
    let mut mounts: Vec<String> = cache_mount(service, c.cache).into_iter().collect();
    if matches!(pm, NodePm::Yarn | NodePm::Pnpm) {
        mounts.extend(cache_mount(service, "/root/.cache/node/corepack"));
    }
    mounts.extend(secrets);
    let mut comments = vec![comment.to_owned()];
    let mut hadolint_ignore = Vec::new();
    // hadolint knows Yarn classic's cache directory, not berry's global cache.
    if deps.yarn_berry && service.cache_mounts {
        comments.push("DL3060: Yarn's cache is a cache mount, never in the layer.".to_owned());
        hadolint_ignore.push("DL3060");
    }
    Run {
        comments,
        hadolint_ignore,
        mounts,
        commands: vec![format!("{env_prefix}{command}")],
    }
}

/// `COPY` arguments for what the install reads: the manifest, the lockfile, and the package
/// manager's configuration when there is one (a glob, so a missing file is fine).
fn manifests(deps: &NodeDeps, workspace: bool) -> String {
    let config: &[&str] = match deps.pm {
        NodePm::Yarn => &[".yarnrc.yml*", ".npmrc*"],
        NodePm::Pnpm => &["pnpm-workspace.yaml*", ".npmrc*"],
        NodePm::Npm => &[".npmrc*"],
        NodePm::Bun => &["bunfig.toml*", ".npmrc*"],
    };
    let mut words = vec!["package.json", deps.lockfile.path.as_str()];
    words.extend(config);
    // Prisma 7 reads its configuration next to package.json.
    if deps.prisma_schema.is_some() {
        words.push("prisma.config.*");
    }
    // From a workspace root, turbo's pipeline, which a build through turbo reads and the
    // copies of the service's directories do not bring.
    if workspace {
        words.push("turbo.json*");
    }
    words.push("./");
    copy_args(&words)
}

/// What the node planner reads of either node stack.
#[derive(Debug, Clone, Copy)]
pub(super) struct App<'a> {
    deps: &'a NodeDeps,
    build: Option<&'a String>,
    output_dir: &'a RelPath,
    /// `node-server`: production dependencies go into the final image.
    server: bool,
    /// `node-server` whose build output runs alone.
    standalone: bool,
}

impl<'a> From<&'a NodeStatic> for App<'a> {
    fn from(n: &'a NodeStatic) -> Self {
        Self {
            deps: &n.deps,
            build: Some(&n.build),
            output_dir: &n.output_dir,
            server: false,
            standalone: false,
        }
    }
}

impl<'a> From<&'a NodeServer> for App<'a> {
    fn from(n: &'a NodeServer) -> Self {
        Self {
            deps: &n.deps,
            build: n.build.as_ref(),
            output_dir: &n.output_dir,
            server: true,
            standalone: n.standalone,
        }
    }
}

/// The node part of a `node-static` or `node-server` service.
// One field of the section per part of the Dockerfile, in file order: split, the order of the stages would be scattered.
#[allow(clippy::too_many_lines)]
pub(super) fn plan(service: &Service, app: App<'_>) -> NodeSection {
    let App {
        deps,
        build,
        output_dir,
        server,
        standalone,
    } = app;
    let pm = deps.pm;
    let (full, production) = install_commands(service, deps);
    let custom = deps.install.as_deref();
    let setup = matches!(pm, NodePm::Yarn | NodePm::Pnpm).then(|| Run {
        comments: vec![format!(
            "{} comes through corepack, at the version package.json's `packageManager` names.",
            pm.as_str()
        )],
        commands: vec!["corepack enable".into()],
        ..Run::default()
    });
    let install = install_run(
        service,
        deps,
        custom.unwrap_or(&full),
        "Dependencies only: this layer is rebuilt when the manifests change, not the sources.",
    );
    let (prod_install, prune) = match (server && !standalone, custom) {
        (false, _) => (None, None),
        (true, None) => {
            let mut run = install_run(
                service,
                deps,
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
                commands: vec![commands(deps).prune.into()],
                ..Run::default()
            }),
        ),
    };
    let build_run = build.map(|command| Run {
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
            let from_build = if server && !standalone && build.is_some() {
                ws.packages
                    .iter()
                    .map(|d| copy_args(&[format!("/app/{d}"), format!("./{d}")]))
                    .collect()
            } else {
                Vec::new()
            };
            // The whole tree of the install: the root's node_modules and any a workspace
            // keeps of its own, beside the manifests.
            (
                Some(dockerfile_word(&format!("/app/{}", ws.dir))),
                "/app ./".to_owned(),
                from_build,
            )
        }
    };
    let (prisma_schema, generate, prisma_client) = prisma(deps, server && !standalone);
    let sources = sources(service);
    NodeSection {
        runtime_sources: if standalone {
            Vec::new()
        } else {
            sources.clone()
        },
        prisma_schema,
        generate,
        prisma_client,
        setup,
        manifests: manifests(deps, service.workspace.is_some()),
        member_manifests: member_manifest_copies(service, true),
        sources,
        app_dir,
        prod_deps,
        built_packages,
        install,
        prod_install,
        prune,
        build: build_run,
        output_copy: copy_args(&[format!("/app/{output_dir}"), format!("./{output_dir}")]),
        output_dir: output_dir.to_string(),
    }
}

/// Prisma: the schema copied with the manifests, `prisma generate` after the install, and for
/// a server with production dependencies the generated client copied into the final image.
/// The directory is made when the generator writes elsewhere (`prisma-client` with an
/// `output` in the sources, compiled by the build), so that the copy always finds it.
fn prisma(deps: &NodeDeps, copy_client: bool) -> (Option<String>, Option<Run>, Option<String>) {
    let Some(schema) = &deps.prisma_schema else {
        return (None, None, None);
    };
    let dir = schema.parent();
    let to = if dir.is_root() {
        "./".to_owned()
    } else {
        format!("{dir}/")
    };
    let generate = Run {
        comments: vec![
            "The Prisma client, generated from the schema alone: a source edit does not re-run it."
                .into(),
        ],
        commands: vec![
            format!(
                "{} prisma generate --schema {}",
                deps.pm.exec(),
                shell_word(schema.as_str())
            ),
            "mkdir -p node_modules/.prisma".into(),
        ],
        ..Run::default()
    };
    let client = copy_client.then(|| "/app/node_modules/.prisma ./node_modules/.prisma".to_owned());
    (
        Some(copy_args(&[schema.as_str(), to.as_str()])),
        Some(generate),
        client,
    )
}
