//! The Docker expertise: model → the context a Dockerfile template prints.
//!
//! [`stages`] decides the stage layout of every Dockerfile once. Each stack has a planner of
//! the same shape (`plan(&Service, &Stack) -> section`), beside the shared parts: [`common`]
//! (header, builder set-up, mounts), [`runtime`] (the final stage), [`copy`] (what is copied
//! where) and [`dockerignore`]. Planners put every string a template prints into
//! [`DockerfileContext`], already escaped ([`escape`]); templates only loop, branch and print.
//! [`bake`] and [`compose`] do the same for the files of the whole workspace, over one
//! [`target`] per service.

pub(crate) mod bake;
mod common;
pub(crate) mod compose;
mod copy;
mod dockerignore;
pub(crate) mod escape;
mod go;
pub(crate) mod init;
mod java;
mod nginx;
mod node;
mod python;
mod runtime;
mod rust;
pub(crate) mod stages;
mod target;
pub(crate) mod workflow;

use serde::Serialize;

pub(crate) use common::HEADER_MARK;
pub(crate) use dockerignore::dockerignore;
pub(crate) use stages::Stages;

use crate::model::{Project, Service, StackModel};

/// The version of the template API: the context below and the blocks of the built-in
/// templates, as `docs/templates.md` describes them. It changes when a variable or block is
/// removed or renamed or changes meaning; additions keep it.
pub const TEMPLATE_API: u32 = 1;

/// Everything a Dockerfile template reads. Strings are final Dockerfile text.
///
/// This is the template API: every field is documented in `docs/templates.md` (a test checks
/// that), and a breaking change bumps [`TEMPLATE_API`].
#[derive(Debug, Serialize)]
pub(crate) struct DockerfileContext {
    /// [`TEMPLATE_API`].
    pub template_api: u32,
    /// Comment lines for the top of the file, without the leading `# `.
    pub header: Vec<String>,
    pub service: String,
    pub stack: &'static str,
    /// The stage names, in file order.
    pub stages: Vec<&'static str>,
    /// The stages by name (`stage.deps`, `stage.prod_deps`, `stage.build`, `stage.init`,
    /// `stage.runtime`), `none` where the Dockerfile has no such stage: what each starts
    /// `FROM` and what it is for.
    pub stage: Stages,
    /// The image of the builder stages.
    pub builder_image: String,
    /// Set-up shared by the builder stages that start from `builder_image`.
    pub builder: BuilderSetup,
    /// Printed right after every `COPY`: `--link ` with `copy-link = true`, otherwise empty.
    pub copy_flags: &'static str,
    /// `ARG` declarations (`NAME="default"`) for the stage that runs the build.
    pub build_args: Vec<String>,
    pub runtime: RuntimeStage,
    /// Extra instructions from `instructions` in `mbgen.toml`.
    pub instructions: ExtraInstructions,
    /// tini, when the final image runs its command under it: the `init` stage's step and the
    /// copy into the final image.
    pub init: Option<init::InitSection>,
    pub node: Option<node::NodeSection>,
    pub go: Option<go::GoSection>,
    pub python: Option<python::PythonSection>,
    pub rust: Option<rust::RustSection>,
    pub java: Option<java::JavaSection>,
    pub nginx: Option<nginx::NginxSection>,
}

/// One `RUN` instruction.
#[derive(Debug, Clone, Serialize, Default)]
pub(crate) struct Run {
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
pub(crate) struct ExtraInstructions {
    pub before_install: Option<InstructionLines>,
    pub after_install: Option<InstructionLines>,
    pub runtime: Option<InstructionLines>,
}

/// Instructions printed as they are, under a comment.
#[derive(Debug, Serialize)]
pub(crate) struct InstructionLines {
    /// Comment lines printed above the instructions.
    pub comments: Vec<String>,
    /// One instruction per line.
    pub lines: Vec<String>,
}

/// Steps every builder stage starting from the builder image repeats.
#[derive(Debug, Serialize, Default)]
pub(crate) struct BuilderSetup {
    pub workdir: String,
    /// Extra system packages for building.
    pub packages: Option<Run>,
    /// Trust for extra CA certificates.
    pub ca: Option<CaTrust>,
}

/// Installs extra CA certificates into a builder stage.
#[derive(Debug, Serialize)]
pub(crate) struct CaTrust {
    /// `COPY` arguments, one instruction each.
    pub copies: Vec<String>,
    pub run: Run,
    /// `ENV` assignments pointing tools at the bundle.
    pub env: Vec<String>,
}

/// The final stage.
#[derive(Debug, Serialize, Default)]
pub(crate) struct RuntimeStage {
    pub image: String,
    /// go and rust with `writable-dirs`: `COPY` arguments that create the working directory
    /// and those directories, owned by the user, before `WORKDIR`.
    pub writable: Option<String>,
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
    /// go and rust: `COPY` arguments, one instruction each, for the files the binary reads
    /// at run time (`runtime-files`), into the working directory.
    pub files: Vec<String>,
    pub expose: Vec<u16>,
    /// The arguments of `HEALTHCHECK`, options and `CMD [...]`.
    pub healthcheck: Option<String>,
    /// `STOPSIGNAL`, when the process stops gracefully on another signal than SIGTERM.
    pub stop_signal: Option<StopSignal>,
    /// Exec-form JSON arrays; with an init, `entrypoint` starts with tini.
    pub entrypoint: Option<String>,
    pub cmd: Option<String>,
}

/// The signal `docker stop` sends, and why.
#[derive(Debug, Serialize)]
pub(crate) struct StopSignal {
    /// Comment lines printed above `STOPSIGNAL`.
    pub comments: Vec<String>,
    pub signal: &'static str,
}

/// Plans the Dockerfile of one service.
#[must_use]
pub(crate) fn plan(project: &Project, service: &Service) -> DockerfileContext {
    let layout = stages::layout(service);
    let mut cx = common::base_context(project, service, &layout);
    match &service.stack {
        StackModel::NodeStatic(n) => cx.node = Some(node::plan(service, node::App::from(n))),
        StackModel::NodeServer(n) => cx.node = Some(node::plan(service, node::App::from(n))),
        StackModel::Go(go) => cx.go = Some(go::plan(service, go)),
        StackModel::Python(python) => cx.python = Some(python::plan(service, python)),
        StackModel::Rust(rust) => cx.rust = Some(rust::plan(service, rust)),
        StackModel::Java(java) => cx.java = Some(java::plan(service, java)),
        StackModel::Static(_) => {}
    }
    if let Some(site) = nginx::plan(service) {
        cx.nginx = Some(site);
    }
    cx
}
