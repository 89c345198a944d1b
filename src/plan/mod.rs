//! The Docker expertise: model → the context a Dockerfile template prints.
//!
//! Each stack has a planner of the same shape (`plan(&Service) -> section`), beside the
//! shared parts in `common`. Planners decide stage layout, copy order, cache and secret mounts, users and commands, and
//! put every string the template prints into [`DockerfileContext`], already escaped. Templates
//! only loop, branch on booleans and print. [`workspace_files`] does the same for the files of
//! the whole workspace, `docker-bake.hcl` and `compose.yaml`.

mod common;
mod go;
mod nginx;
mod node;
mod python;
mod rust;
pub mod workspace_files;

use serde::Serialize;

pub use common::{dockerignore, quote, stages, HEADER_MARK};

use crate::model::{Project, Service};
use crate::spec::Stack;

/// The template that renders a stack's Dockerfile.
#[must_use]
pub fn dockerfile_template(stack: Stack) -> &'static str {
    match stack {
        Stack::NodeStatic => crate::render::templates::NODE_STATIC,
        Stack::NodeServer => crate::render::templates::NODE_SERVER,
        Stack::Go => crate::render::templates::GO,
        Stack::Python => crate::render::templates::PYTHON,
        Stack::Rust => crate::render::templates::RUST,
        Stack::Static => crate::render::templates::STATIC,
    }
}

/// The version of the template API: the context below and the blocks of the built-in
/// templates, as `docs/templates.md` describes them. It changes when a variable or block is
/// removed or renamed or changes meaning; additions keep it.
pub const TEMPLATE_API: u32 = 1;

/// Everything a Dockerfile template reads. Strings are final Dockerfile text.
///
/// This is the template API: every field is documented in `docs/templates.md` (a test checks
/// that), and a breaking change bumps [`TEMPLATE_API`].
#[derive(Debug, Serialize)]
pub struct DockerfileContext {
    /// [`TEMPLATE_API`].
    pub template_api: u32,
    /// Comment lines for the top of the file, without the leading `# `.
    pub header: Vec<String>,
    pub service: String,
    pub stack: &'static str,
    /// The stage names, in file order.
    pub stages: Vec<&'static str>,
    /// The image of the builder stages.
    pub builder_image: String,
    /// Set-up shared by the builder stages that start from `builder_image`.
    pub builder: BuilderSetup,
    /// `ARG` declarations (`NAME="default"`) for the stage that runs the build.
    pub build_args: Vec<String>,
    pub runtime: RuntimeStage,
    /// Extra instructions from `instructions` in `mbgen.toml`.
    pub instructions: ExtraInstructions,
    pub node: Option<node::NodeSection>,
    pub go: Option<go::GoSection>,
    pub python: Option<python::PythonSection>,
    pub rust: Option<rust::RustSection>,
    pub nginx: Option<nginx::NginxSection>,
}

/// One `RUN` instruction.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Run {
    /// Comment lines printed above the instruction.
    pub comments: Vec<String>,
    /// hadolint rules to ignore for this instruction, with the reason in `comments`.
    pub hadolint_ignore: Vec<&'static str>,
    /// `--mount=...` flags.
    pub mounts: Vec<String>,
    /// Shell commands, joined with `&&`.
    pub commands: Vec<String>,
}

/// The `instructions` of `mbgen.toml`, per point of the Dockerfile; absent when empty.
#[derive(Debug, Serialize, Default)]
pub struct ExtraInstructions {
    pub before_install: Option<InstructionLines>,
    pub after_install: Option<InstructionLines>,
    pub runtime: Option<InstructionLines>,
}

/// Instructions printed as they are, under a comment.
#[derive(Debug, Serialize)]
pub struct InstructionLines {
    /// Comment lines printed above the instructions.
    pub comments: Vec<String>,
    /// One instruction per line.
    pub lines: Vec<String>,
}

/// Steps every builder stage starting from the builder image repeats.
#[derive(Debug, Serialize, Default)]
pub struct BuilderSetup {
    pub workdir: String,
    /// Extra system packages for building.
    pub packages: Option<Run>,
    /// Trust for extra CA certificates.
    pub ca: Option<CaTrust>,
}

/// Installs extra CA certificates into a builder stage.
#[derive(Debug, Serialize)]
pub struct CaTrust {
    /// `COPY` arguments, one instruction each.
    pub copies: Vec<String>,
    pub run: Run,
    /// `ENV` assignments pointing tools at the bundle.
    pub env: Vec<String>,
}

/// The final stage.
#[derive(Debug, Serialize, Default)]
pub struct RuntimeStage {
    pub image: String,
    pub workdir: Option<String>,
    pub env: Vec<String>,
    pub labels: Vec<String>,
    pub packages: Option<Run>,
    pub create_user: Option<Run>,
    /// `COPY` arguments bringing the build stages' CA bundle into the final image.
    pub ca_bundle: Option<String>,
    /// `uid:gid`.
    pub user: String,
    /// The user's name, for the comment above `USER`.
    pub user_name: String,
    pub expose: Vec<u16>,
    /// The arguments of `HEALTHCHECK`, options and `CMD [...]`.
    pub healthcheck: Option<String>,
    /// Exec-form JSON arrays.
    pub entrypoint: Option<String>,
    pub cmd: Option<String>,
}

/// Plans the Dockerfile of one service.
#[must_use]
pub fn plan(project: &Project, service: &Service) -> DockerfileContext {
    let mut cx = common::base_context(project, service);
    match service.stack {
        Stack::NodeStatic | Stack::NodeServer => cx.node = Some(node::plan(service)),
        Stack::Go => cx.go = Some(go::plan(service)),
        Stack::Python => cx.python = Some(python::plan(service)),
        Stack::Rust => cx.rust = Some(rust::plan(service)),
        Stack::Static => {}
    }
    if matches!(service.stack, Stack::NodeStatic | Stack::Static) {
        cx.nginx = Some(nginx::plan(service));
    }
    cx
}
