//! What will be built: every service of `mbgen.toml` with its defaults applied.
//!
//! [`resolve`] turns the spec into the model, checking what one key cannot check alone
//! (options that conflict, keys that do not apply to the stack) and collecting every problem
//! with its location. A service is a common part plus a [`StackModel`] with only what its
//! stack has; nothing in the model is "unset", so the planners read final values.

pub(crate) mod defaults;
mod inherit;
mod python_runtime;
mod resolve;
mod stacks;
pub(crate) mod workspace;

use std::collections::BTreeMap;

pub(crate) use defaults::DEFAULT_TEMPLATES_DIR;
pub(crate) use resolve::resolve;
pub(crate) use workspace::Tree;

use crate::relpath::RelPath;
use crate::spec::{Family, PackageManager, Protocol, Provenance, Stack};

/// A resolved `mbgen.toml`.
#[derive(Debug, Clone)]
pub struct Project {
    /// How the configuration file is named in generated headers (`mbgen.toml`).
    pub config_name: String,
    /// The project's templates directory, relative to the project root.
    pub templates_dir: RelPath,
    /// Whether `templates-dir` named it; the default directory may be absent, a named one not.
    pub templates_dir_set: bool,
    /// Services in name order.
    pub services: Vec<Service>,
    /// Where to write the workspace's Bake file, relative to the project root.
    pub bake: Option<RelPath>,
    /// Where to write the workspace's Compose file, relative to the project root.
    pub compose: Option<RelPath>,
    /// What Bake attaches to, and fixes in, every image.
    pub supply_chain: SupplyChain,
}

/// `attest` and `source-date-epoch` of `[workspace]`: what Bake attaches to, and fixes in,
/// every image it builds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SupplyChain {
    /// An SPDX SBOM attestation.
    pub sbom: bool,
    /// SLSA provenance; `None` leaves BuildKit's default.
    pub provenance: Option<Provenance>,
    /// The default of the Bake variable `SOURCE_DATE_EPOCH`, with layer timestamps rewritten.
    pub source_date_epoch: Option<u64>,
}

/// One service, ready to plan: what every stack has, and its [`StackModel`].
#[derive(Debug, Clone)]
pub struct Service {
    pub name: String,
    /// The service's directory relative to the project root.
    pub dir: RelPath,
    /// The build context relative to the project root: `dir`, or the workspace root above
    /// it.
    pub context: RelPath,
    /// With the workspace root as context: what the build needs of the workspace.
    pub workspace: Option<WorkspaceBuild>,
    /// The Dockerfile's path relative to the context.
    pub dockerfile: RelPath,
    /// The `.dockerignore` path relative to the context.
    pub dockerignore_file: RelPath,
    /// Go and Rust: files the binary reads at run time, relative to the context.
    pub runtime_files: Vec<RelPath>,
    /// Go, Rust and Python: directories the program writes, relative to its working directory.
    pub writable_dirs: Vec<RelPath>,
    pub family: Family,
    pub runtime_image: String,
    /// The port the app listens on; with `protocol = "none"`, none is exposed.
    pub port: u16,
    pub extra_ports: Vec<u16>,
    pub protocol: Protocol,
    pub env: BTreeMap<String, String>,
    pub build_args: BTreeMap<String, String>,
    pub system_packages: SystemPackages,
    pub user: User,
    pub healthcheck: Option<Healthcheck>,
    /// `init`: whether the command may run under tini; the plan adds it where the final
    /// image's process needs one (not for nginx).
    pub init: bool,
    pub labels: BTreeMap<String, String>,
    /// Extra `.dockerignore` patterns, as written.
    pub dockerignore: Vec<String>,
    pub secrets: Vec<Secret>,
    pub ca: CaCertificates,
    pub cache_mounts: bool,
    /// `COPY --link` for every copy of the Dockerfile.
    pub copy_link: bool,
    pub template: Template,
    /// Extra instructions from `instructions`, as written.
    pub instructions: Instructions,
    pub publish: Publish,
    /// Other commands run from this image, by name, in name order.
    pub processes: Vec<Process>,
    /// The command run once before the service starts, in exec form.
    pub release: Option<Vec<String>>,
    pub stack: StackModel,
}

/// A long-running command run from a service's image besides its own: a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    pub name: String,
    /// In exec form.
    pub command: Vec<String>,
}

impl Service {
    /// The stack's name in `mbgen.toml`.
    #[must_use]
    pub fn stack_name(&self) -> Stack {
        match &self.stack {
            StackModel::NodeStatic(_) => Stack::NodeStatic,
            StackModel::NodeServer(_) => Stack::NodeServer,
            StackModel::Go(_) => Stack::Go,
            StackModel::Python(_) => Stack::Python,
            StackModel::Rust(_) => Stack::Rust,
            StackModel::Java(_) => Stack::Java,
            StackModel::Static(_) => Stack::Static,
        }
    }

    /// The kind of final image.
    #[must_use]
    pub fn runtime(&self) -> Runtime {
        match &self.stack {
            StackModel::NodeStatic(_) | StackModel::Static(_) => Runtime::Nginx,
            StackModel::NodeServer(node) => node.runtime,
            StackModel::Python(python) if python.distroless.is_some() => Runtime::Distroless,
            StackModel::Java(java) if java.jlink.is_some() => Runtime::Slim,
            StackModel::Python(_) | StackModel::Java(_) => Runtime::Language,
            StackModel::Go(go) => go.runtime.into(),
            StackModel::Rust(rust) => rust.runtime.into(),
        }
    }

    /// The image of the dependency and build stages; none for `static`.
    #[must_use]
    pub fn builder_image(&self) -> Option<&str> {
        match &self.stack {
            StackModel::NodeStatic(s) => Some(&s.builder_image),
            StackModel::NodeServer(s) => Some(&s.builder_image),
            StackModel::Go(s) => Some(&s.builder_image),
            StackModel::Python(s) => Some(&s.builder_image),
            StackModel::Rust(s) => Some(&s.builder_image),
            StackModel::Java(s) => Some(&s.builder_image),
            StackModel::Static(_) => None,
        }
    }

    /// The lockfile relative to the context; none for `static`.
    #[must_use]
    pub fn lockfile(&self) -> Option<&Lockfile> {
        match &self.stack {
            StackModel::NodeStatic(s) => Some(&s.deps.lockfile),
            StackModel::NodeServer(s) => Some(&s.deps.lockfile),
            StackModel::Go(s) => Some(&s.lockfile),
            StackModel::Python(s) => Some(&s.lockfile),
            StackModel::Rust(s) => Some(&s.lockfile),
            StackModel::Java(_) | StackModel::Static(_) => None,
        }
    }

    /// The node package manager, for the node stacks.
    #[must_use]
    pub fn node_deps(&self) -> Option<&NodeDeps> {
        match &self.stack {
            StackModel::NodeStatic(s) => Some(&s.deps),
            StackModel::NodeServer(s) => Some(&s.deps),
            _ => None,
        }
    }

    /// The Dockerfile's path relative to the project root.
    #[must_use]
    pub fn dockerfile_path(&self) -> RelPath {
        self.context.join(&self.dockerfile)
    }

    /// The `.dockerignore`'s path relative to the project root.
    #[must_use]
    pub fn dockerignore_path(&self) -> RelPath {
        self.context.join(&self.dockerignore_file)
    }
}

/// What only one stack has.
#[derive(Debug, Clone)]
pub enum StackModel {
    NodeStatic(NodeStatic),
    NodeServer(NodeServer),
    Go(Go),
    Python(Python),
    Rust(Rust),
    Java(Java),
    Static(StaticSite),
}

/// A front end built with Node and served by nginx.
#[derive(Debug, Clone)]
pub struct NodeStatic {
    pub builder_image: String,
    pub deps: NodeDeps,
    /// The build command.
    pub build: String,
    /// The directory the build writes, relative to the context.
    pub output_dir: RelPath,
    pub spa: bool,
}

/// A Node.js server.
#[derive(Debug, Clone)]
pub struct NodeServer {
    pub builder_image: String,
    pub deps: NodeDeps,
    /// The build command, when there is one.
    pub build: Option<String>,
    /// The directory the build writes, relative to the context: copied into the final image
    /// when there is a build step, and kept out of the build context.
    pub output_dir: RelPath,
    /// The container command in exec form.
    pub start: Vec<String>,
    /// The final image: Node's own ([`Runtime::Language`]), [`Runtime::Distroless`] or
    /// [`Runtime::Bun`].
    pub runtime: Runtime,
    /// The build output runs on its own: the final image holds `output_dir` alone, without
    /// production dependencies or sources.
    pub standalone: bool,
}

/// How a node service installs its dependencies.
#[derive(Debug, Clone)]
pub struct NodeDeps {
    pub pm: NodePm,
    pub lockfile: Lockfile,
    /// A custom install command replacing the frozen-lockfile default.
    pub install: Option<String>,
    /// The Prisma schema, relative to the context: `prisma generate` runs after the install.
    pub prisma_schema: Option<RelPath>,
    /// Yarn berry (2 and later, read from its lockfile), whose install flags differ from
    /// Yarn classic's.
    pub yarn_berry: bool,
}

/// A Go program.
#[derive(Debug, Clone)]
pub struct Go {
    pub builder_image: String,
    /// `go.sum`, absent in a module without dependencies.
    pub lockfile: Lockfile,
    /// The main package, relative to the context, as `./cmd/api` or `.`.
    pub main: String,
    pub vendor: bool,
    pub cgo: bool,
    /// `-trimpath` and `-ldflags="-s -w"`.
    pub strip: bool,
    pub runtime: BinaryRuntime,
}

/// A Python web application.
#[derive(Debug, Clone)]
pub struct Python {
    pub builder_image: String,
    pub pm: PythonPm,
    pub lockfile: Lockfile,
    pub install: Option<String>,
    /// The container command in exec form (with the distroless runtime, run by its Python
    /// as a module: `/usr/bin/python3 -m gunicorn ...`).
    pub start: Vec<String>,
    /// With the distroless runtime, its Python's `major.minor`, which names the folder the
    /// packages go to (`/usr/local/lib/python3.13/dist-packages`); none for Python's own
    /// image ([`Runtime::Language`]).
    pub distroless: Option<String>,
}

/// A Rust binary.
#[derive(Debug, Clone)]
pub struct Rust {
    pub builder_image: String,
    pub lockfile: Lockfile,
    /// The binary target to build and run.
    pub bin: String,
    pub runtime: BinaryRuntime,
    /// The stand-ins the dependency layer is compiled against, relative to the context:
    /// every target and build script cargo loads, of the crate or of every workspace member.
    pub skeleton: Skeleton,
}

/// Stand-in source files, relative to the build context.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Skeleton {
    /// Files that get `fn main() {}`: binaries, build scripts, declared benches, examples,
    /// tests.
    pub mains: Vec<RelPath>,
    /// Library roots, which get an empty file.
    pub libs: Vec<RelPath>,
}

/// A Java application, built into a jar and run on a JRE.
#[derive(Debug, Clone)]
pub struct Java {
    pub builder_image: String,
    pub tool: JavaTool,
    /// The dependency step: resolves every dependency before the sources are copied.
    pub install: String,
    /// The build command, which writes the jar into `output_dir`.
    pub build: String,
    /// The directory holding the one runnable jar, relative to the context.
    pub output_dir: RelPath,
    /// A Spring Boot application's Boot version: its jar is extracted into layers.
    pub spring_boot: Option<SpringBoot>,
    /// The container command in exec form; empty for `java -jar` of the jar.
    pub start: Vec<String>,
    /// `runtime = "slim"`: the final image holds a Java runtime of the modules the
    /// application uses (`jdeps`), made by `jlink` in the build stage, instead of a JRE image.
    /// The Java feature release of `version` (21), which decides jlink's options.
    pub jlink: Option<u32>,
}

/// The build tool of a Java application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JavaTool {
    Maven,
    /// Gradle, through the project's wrapper.
    Gradle,
}

/// A Spring Boot version, which decides how its jar is extracted into layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct SpringBoot {
    pub major: u32,
    pub minor: u32,
}

/// Plain files served by nginx.
#[derive(Debug, Clone)]
pub struct StaticSite {
    /// The directory to serve, relative to the context.
    pub site: RelPath,
    pub spa: bool,
}

/// A Node package manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodePm {
    Npm,
    Yarn,
    Pnpm,
    Bun,
}

impl NodePm {
    /// The command's name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Npm => "npm",
            Self::Yarn => "yarn",
            Self::Pnpm => "pnpm",
            Self::Bun => "bun",
        }
    }

    /// The command that runs a package's binary without a script: `npx`, `bunx`...
    #[must_use]
    pub const fn exec(self) -> &'static str {
        match self {
            Self::Npm => "npx",
            Self::Yarn => "yarn",
            Self::Pnpm => "pnpm exec",
            Self::Bun => "bunx",
        }
    }

    /// The package manager of `mbgen.toml` as a node package manager.
    #[must_use]
    pub const fn from_spec(pm: PackageManager) -> Option<Self> {
        match pm {
            PackageManager::Npm => Some(Self::Npm),
            PackageManager::Yarn => Some(Self::Yarn),
            PackageManager::Pnpm => Some(Self::Pnpm),
            PackageManager::Bun => Some(Self::Bun),
            _ => None,
        }
    }
}

/// A Python package manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PythonPm {
    Pip,
    Uv,
    Poetry,
    Pdm,
    Pipenv,
}

impl PythonPm {
    /// The package manager of `mbgen.toml` as a python package manager.
    #[must_use]
    pub const fn from_spec(pm: PackageManager) -> Option<Self> {
        match pm {
            PackageManager::Pip => Some(Self::Pip),
            PackageManager::Uv => Some(Self::Uv),
            PackageManager::Poetry => Some(Self::Poetry),
            PackageManager::Pdm => Some(Self::Pdm),
            PackageManager::Pipenv => Some(Self::Pipenv),
            _ => None,
        }
    }
}

/// The final image of a compiled stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryRuntime {
    /// An empty image.
    Scratch,
    /// A distroless image: no shell.
    Distroless,
    /// A slim distribution image (debian-slim or alpine).
    Slim,
}

impl From<BinaryRuntime> for Runtime {
    fn from(r: BinaryRuntime) -> Self {
        match r {
            BinaryRuntime::Scratch => Self::Scratch,
            BinaryRuntime::Distroless => Self::Distroless,
            BinaryRuntime::Slim => Self::Slim,
        }
    }
}

/// The kind of final image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    /// The language's own slim image (node, python).
    Language,
    /// nginx, for static sites.
    Nginx,
    /// An empty image.
    Scratch,
    /// A distroless image: no shell.
    Distroless,
    /// A slim distribution image (debian-slim or alpine).
    Slim,
    /// Bun's image, `oven/bun` (node-server).
    Bun,
}

impl Runtime {
    /// Whether the final image has a shell and a package manager.
    #[must_use]
    pub const fn has_shell(self) -> bool {
        !matches!(self, Self::Scratch | Self::Distroless)
    }
}

/// A service built from the root of its workspace (npm, yarn or pnpm workspace; `go.work`;
/// Cargo workspace).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceBuild {
    /// The service's directory, relative to the context.
    pub dir: RelPath,
    /// The workspace packages it uses, relative to the context, dependencies first.
    pub packages: Vec<RelPath>,
    /// Every member of the workspace, relative to the context.
    pub members: Vec<RelPath>,
    /// The service's package name, for Cargo (`cargo build -p`).
    pub package: Option<String>,
    /// Go: the modules from outside the workspace that the build needs, `path@version`.
    pub external: Vec<String>,
}

impl WorkspaceBuild {
    /// The directories whose sources the build copies: the workspace packages the service
    /// uses, dependencies first, then the service's own.
    pub fn source_dirs(&self) -> impl Iterator<Item = &RelPath> {
        self.packages.iter().chain(std::iter::once(&self.dir))
    }
}

/// Where the Dockerfile template comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Template {
    /// The stack's built-in template (or the project's template of that name).
    Stack,
    /// A template `template` names: in the project's templates directory, or a built-in as
    /// `mbgen/<name>`. A failure in it is the user's to fix.
    Chosen(String),
}

/// Extra Dockerfile lines at fixed points, one instruction each.
#[derive(Debug, Clone, Default)]
pub struct Instructions {
    pub before_install: Vec<String>,
    pub after_install: Vec<String>,
    pub runtime: Vec<String>,
}

/// Extra system packages per stage.
#[derive(Debug, Clone, Default)]
pub struct SystemPackages {
    pub build: Vec<String>,
    pub runtime: Vec<String>,
}

/// Extra CA certificates for the build stages.
#[derive(Debug, Clone, Default)]
pub struct CaCertificates {
    /// PEM files relative to the context.
    pub files: Vec<RelPath>,
    /// Whether the final image trusts them too.
    pub keep: bool,
}

/// How the image is named and built in `docker-bake.hcl` and `compose.yaml`.
#[derive(Debug, Clone)]
pub struct Publish {
    /// The image name, without tag.
    pub image: String,
    pub tags: Vec<String>,
    pub platforms: Vec<String>,
    /// BuildKit cache options, `{service}` replaced.
    pub cache_from: Vec<String>,
    /// The same, with `mode=max` added to an export that names no mode and can take one.
    pub cache_to: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lockfile {
    /// Relative to the context.
    pub path: RelPath,
    /// `go.sum` is absent in a module without dependencies.
    pub optional: bool,
}

/// The user the container runs as. `USER` names it by number, so that orchestrators can
/// verify it is not root (Kubernetes' `runAsNonRoot` needs a numeric user).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub uid: u32,
    /// Whether mbgen creates the user (the runtime image does not have it).
    pub create: bool,
}

#[derive(Debug, Clone)]
pub struct Healthcheck {
    pub cmd: Vec<String>,
    pub interval: String,
    pub timeout: String,
    pub start_period: String,
    pub retries: u8,
}

#[derive(Debug, Clone)]
pub struct Secret {
    pub id: String,
    pub target: Option<String>,
    pub env: Option<String>,
    pub required: bool,
}
