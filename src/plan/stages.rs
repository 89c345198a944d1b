//! The stage layout of every Dockerfile, decided once: which stages there are, in file order,
//! what each starts `FROM` and what it is for. The templates print these stages (they branch
//! on whether a stage exists, never on the options that decide it), the header lists them,
//! and Bake and Compose build the last one.

use serde::Serialize;

use crate::model::{Go, NodeServer, Service, StackModel};

/// One stage of a Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Stage {
    /// The stage's name, a `--target` for `docker build`.
    pub name: &'static str,
    /// The image or the earlier stage it starts from.
    pub from: String,
    /// What it is for, in the comment above its `FROM`.
    pub title: String,
}

/// The stages by name, for templates: absent ones are `none`.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Stages {
    pub deps: Option<Stage>,
    pub prod_deps: Option<Stage>,
    pub build: Option<Stage>,
    pub init: Option<Stage>,
    pub runtime: Option<Stage>,
}

impl Stages {
    /// The stages of `layout` by name.
    #[must_use]
    pub(crate) fn of(layout: &[Stage]) -> Self {
        let mut out = Self::default();
        for stage in layout {
            let slot = match stage.name {
                DEPS => &mut out.deps,
                PROD_DEPS => &mut out.prod_deps,
                BUILD => &mut out.build,
                INIT => &mut out.init,
                _ => &mut out.runtime,
            };
            *slot = Some(stage.clone());
        }
        out
    }
}

pub(crate) const DEPS: &str = "deps";
pub(crate) const PROD_DEPS: &str = "prod-deps";
pub(crate) const BUILD: &str = "build";
/// Where tini comes from, when the final image runs its command under it.
pub(crate) const INIT: &str = "init";
/// The final stage of every Dockerfile: what Bake and Compose build.
pub(crate) const RUNTIME: &str = "runtime";

fn stage(name: &'static str, from: impl Into<String>, title: impl Into<String>) -> Stage {
    Stage {
        name,
        from: from.into(),
        title: title.into(),
    }
}

/// Why the final image's process needs an init, as measured with `docker stop` on apps that
/// install no signal handler; none for nginx (the static stacks), which stops on its own
/// (gracefully on SIGQUIT, its `STOPSIGNAL`) and reaps its children.
#[must_use]
pub(crate) fn why_init(stack: &StackModel) -> Option<&'static str> {
    match stack {
        StackModel::NodeServer(_) => Some(
            "As PID 1, Node.js ignores SIGTERM unless the app handles it (the stop waits for the \
             kill), and reaps no orphaned process.",
        ),
        StackModel::Python(_) => Some(
            "As PID 1, Python ignores SIGTERM unless the app handles it (the stop waits for the \
             kill), and reaps no orphaned process; gunicorn and uvicorn handle it, and still \
             stop gracefully under tini.",
        ),
        StackModel::Go(_) => Some(
            "As PID 1, a Go program that handles no signal exits with status 2 on SIGTERM, and \
             reaps no orphaned process.",
        ),
        StackModel::Rust(_) => Some(
            "As PID 1, a Rust program ignores SIGTERM unless it handles it (the stop waits for \
             the kill), and reaps no orphaned process.",
        ),
        // nginx reaps its children itself; the JVM handles SIGTERM (shutdown hooks run, Spring
        // Boot stops gracefully) and starts no child processes.
        StackModel::NodeStatic(_) | StackModel::Static(_) | StackModel::Java(_) => None,
    }
}

/// Whether the final image runs its command under tini (an `init` stage provides it).
#[must_use]
pub(crate) fn has_init(service: &Service) -> bool {
    service.init && why_init(&service.stack).is_some()
}

/// The stages of a service's Dockerfile, in file order; the last is [`RUNTIME`].
#[must_use]
pub(crate) fn layout(service: &Service) -> Vec<Stage> {
    let mut stages = stack_layout(service);
    if has_init(service) {
        let from = service.builder_image().unwrap_or(&service.runtime_image);
        let init = stage(INIT, from, "tini, the init that runs the command as PID 1");
        stages.insert(stages.len() - 1, init);
    }
    stages
}

/// The stages of the stack itself, in file order; the last is [`RUNTIME`].
fn stack_layout(service: &Service) -> Vec<Stage> {
    let runtime_image = service.runtime_image.as_str();
    match &service.stack {
        StackModel::NodeStatic(node) => vec![
            stage(
                DEPS,
                &node.builder_image,
                "dependencies from the lockfile, before any source",
            ),
            stage(
                BUILD,
                DEPS,
                format!("the sources, built into {}/", node.output_dir),
            ),
            stage(RUNTIME, runtime_image, "nginx serving the built site"),
        ],
        StackModel::NodeServer(node) => node_server_layout(node, runtime_image),
        StackModel::Go(go) => go_layout(service, go),
        StackModel::Python(python) if python.pm == crate::model::PythonPm::Uv => vec![
            stage(
                BUILD,
                &python.builder_image,
                "a virtual environment synced from uv.lock",
            ),
            stage(
                RUNTIME,
                runtime_image,
                "the virtual environment, then the sources",
            ),
        ],
        StackModel::Python(python) => vec![
            stage(BUILD, &python.builder_image, "every requirement as a wheel"),
            stage(
                RUNTIME,
                runtime_image,
                "the wheels installed, then the sources",
            ),
        ],
        StackModel::Rust(rust) => vec![
            stage(
                DEPS,
                &rust.builder_image,
                "dependencies compiled from Cargo.toml and Cargo.lock",
            ),
            stage(BUILD, DEPS, "the crate itself"),
            stage(RUNTIME, runtime_image, binary_title(service)),
        ],
        StackModel::Java(java) => vec![
            stage(
                DEPS,
                &java.builder_image,
                "dependencies from the build files, before any source",
            ),
            stage(BUILD, DEPS, "the sources, built into one jar"),
            stage(
                RUNTIME,
                runtime_image,
                if java.spring_boot.is_some() {
                    "a JRE and the jar's layers, the application's last"
                } else {
                    "a JRE and the jar"
                },
            ),
        ],
        StackModel::Static(_) => vec![stage(RUNTIME, runtime_image, "nginx serving the files")],
    }
}

/// What the final stage of a compiled stack holds.
fn binary_title(service: &Service) -> &'static str {
    if service.runtime_files.is_empty() {
        "the binary alone"
    } else {
        "the binary and the files it reads at run time"
    }
}

/// A Node server's stages: a standalone build's output runs alone; otherwise production
/// dependencies come from their own stage, next to the build's.
fn node_server_layout(node: &NodeServer, runtime_image: &str) -> Vec<Stage> {
    let builder = &node.builder_image;
    let custom_install = node.deps.install.is_some();
    if node.standalone && node.build.is_some() {
        return vec![
            stage(DEPS, builder, "all dependencies, for the build"),
            stage(
                BUILD,
                DEPS,
                format!("the sources, built into {}/", node.output_dir),
            ),
            stage(
                RUNTIME,
                runtime_image,
                format!(
                    "{}/ alone: the build output runs without node_modules",
                    node.output_dir
                ),
            ),
        ];
    }
    let mut stages = Vec::new();
    if node.build.is_some() {
        stages.push(stage(DEPS, builder, "all dependencies, for the build"));
    } else if custom_install {
        stages.push(stage(DEPS, builder, "all dependencies, from `install`"));
    } else if node.deps.prisma_schema.is_some() {
        stages.push(stage(
            DEPS,
            builder,
            "all dependencies, for `prisma generate`",
        ));
    }
    stages.push(if custom_install {
        stage(PROD_DEPS, DEPS, "production dependencies only")
    } else if node.build.is_some() || node.deps.prisma_schema.is_some() {
        stage(
            PROD_DEPS,
            builder,
            "production dependencies only, in parallel with deps",
        )
    } else {
        stage(PROD_DEPS, builder, "production dependencies only")
    });
    if node.build.is_some() {
        stages.push(stage(
            BUILD,
            DEPS,
            format!("the sources, built into {}/", node.output_dir),
        ));
        stages.push(stage(
            RUNTIME,
            runtime_image,
            "production dependencies, sources, build output",
        ));
    } else {
        stages.push(stage(
            RUNTIME,
            runtime_image,
            "production dependencies, sources",
        ));
    }
    stages
}

/// Whether a Go build downloads modules in a `deps` stage of its own: not from `vendor/`,
/// nor from a `go.work` root whose modules require nothing from outside.
#[must_use]
pub(crate) fn go_downloads(service: &Service, go: &Go) -> bool {
    !go.vendor
        && service
            .workspace
            .as_ref()
            .is_none_or(|w| !w.external.is_empty())
}

/// Whether a Go build cross-compiles for the platforms of `platforms`: its builder stages
/// run on the build machine's platform and `GOOS`/`GOARCH` name the target, so an arm64
/// image is not compiled under emulation. Not with cgo, which would need a C cross
/// compiler for each target.
#[must_use]
pub(crate) fn cross_compiles(service: &Service, go: &Go) -> bool {
    !service.publish.platforms.is_empty() && !go.cgo
}

fn go_layout(service: &Service, go: &Go) -> Vec<Stage> {
    let on_build_platform;
    let builder = if cross_compiles(service, go) {
        on_build_platform = format!("--platform=$BUILDPLATFORM {}", go.builder_image);
        &on_build_platform
    } else {
        &go.builder_image
    };
    let runtime = stage(RUNTIME, &service.runtime_image, binary_title(service));
    if go_downloads(service, go) {
        return vec![
            stage(
                DEPS,
                builder,
                "modules from go.mod and go.sum, before any source",
            ),
            stage(BUILD, DEPS, "a static binary"),
            runtime,
        ];
    }
    let build = if service.workspace.is_some() {
        stage(
            BUILD,
            builder,
            "a static binary; the workspace requires no module from outside",
        )
    } else {
        stage(BUILD, builder, "a static binary from the vendored modules")
    };
    vec![build, runtime]
}
