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
/// The final stage of every Dockerfile: what Bake and Compose build.
pub(crate) const RUNTIME: &str = "runtime";

fn stage(name: &'static str, from: impl Into<String>, title: impl Into<String>) -> Stage {
    Stage {
        name,
        from: from.into(),
        title: title.into(),
    }
}

/// The stages of a service's Dockerfile, in file order; the last is [`RUNTIME`].
#[must_use]
pub(crate) fn layout(service: &Service) -> Vec<Stage> {
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
            stage(RUNTIME, runtime_image, "the binary alone"),
        ],
        StackModel::Static(_) => vec![stage(RUNTIME, runtime_image, "nginx serving the files")],
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

fn go_layout(service: &Service, go: &Go) -> Vec<Stage> {
    let builder = &go.builder_image;
    let runtime = stage(RUNTIME, &service.runtime_image, "the binary alone");
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
