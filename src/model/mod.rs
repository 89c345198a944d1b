//! What will be built: every service of `mbgen.toml` with its defaults applied.
//!
//! [`resolve`] turns the spec into the model, checking what one key cannot check alone
//! (options that conflict, keys that do not apply to the stack) and collecting every problem
//! with its location. Nothing in the model is "unset": the planners read final values.

mod defaults;
mod inherit;
mod resolve;

use std::collections::BTreeMap;

pub use defaults::DEFAULT_TEMPLATES_DIR;
pub use inherit::toolchain;
pub(crate) use resolve::{dir_or_dot, join};
pub use resolve::{resolve, DEFAULT_BAKE_FILE, DEFAULT_COMPOSE_FILE};

use crate::spec::{Family, PackageManager, Stack};

/// A resolved `mbgen.toml`.
#[derive(Debug, Clone)]
pub struct Project {
    /// How the configuration file is named in generated headers (`mbgen.toml`).
    pub config_name: String,
    /// The project's templates directory, relative to the project root and `/`-separated.
    pub templates_dir: String,
    /// Whether `templates-dir` named it; the default directory may be absent, a named one not.
    pub templates_dir_set: bool,
    /// Services in name order.
    pub services: Vec<Service>,
    /// Where to write the workspace's Bake file, relative to the project root.
    pub bake: Option<String>,
    /// Where to write the workspace's Compose file, relative to the project root.
    pub compose: Option<String>,
}

/// One service, ready to plan.
#[derive(Debug, Clone)]
pub struct Service {
    pub name: String,
    pub stack: Stack,
    /// The service's directory relative to the project root, `/`-separated; empty for the
    /// root.
    pub path: String,
    /// The build context relative to the project root: `path`, or the workspace root above
    /// it.
    pub context: String,
    /// With the workspace root as context: what the build needs of the workspace.
    pub workspace: Option<WorkspaceBuild>,
    /// The Dockerfile's path relative to the context.
    pub dockerfile: String,
    /// The `.dockerignore` path relative to the context.
    pub dockerignore_file: String,
    pub family: Family,
    pub builder_image: String,
    pub runtime_image: String,
    pub runtime: Runtime,
    pub package_manager: PackageManager,
    /// The lockfile relative to the context, and whether the build may go without it.
    pub lockfile: Lockfile,
    pub install: Option<String>,
    pub build: Option<String>,
    /// The container command in exec form; empty where the stack supplies it.
    pub start: Vec<String>,
    pub output_dir: String,
    pub spa: bool,
    pub go: GoOptions,
    pub rust_bin: String,
    pub port: u16,
    pub extra_ports: Vec<u16>,
    pub env: BTreeMap<String, String>,
    pub build_args: BTreeMap<String, String>,
    pub build_packages: Vec<String>,
    pub runtime_packages: Vec<String>,
    pub user: User,
    pub healthcheck: Option<Healthcheck>,
    pub labels: BTreeMap<String, String>,
    pub dockerignore: Vec<String>,
    pub secrets: Vec<Secret>,
    pub ca_certificates: Vec<String>,
    /// Whether the final image trusts `ca_certificates` too.
    pub keep_ca_certificates: bool,
    pub cache_mounts: bool,
    /// The template that renders the Dockerfile: the stack's built-in, or `template`.
    pub template: String,
    /// Whether `template` chose it: a failure of a chosen template is the user's to fix.
    pub custom_template: bool,
    /// Extra instructions from `instructions`, as written.
    pub instructions: Instructions,
    /// The image name, without tag, for Bake and Compose.
    pub image: String,
    pub tags: Vec<String>,
    pub platforms: Vec<String>,
    /// BuildKit cache options, `{service}` replaced.
    pub cache_from: Vec<String>,
    pub cache_to: Vec<String>,
}

/// A service built from the root of its workspace (npm, yarn or pnpm workspace; `go.work`;
/// Cargo workspace).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceBuild {
    /// The service's directory, relative to the context.
    pub dir: String,
    /// The workspace packages it uses, relative to the context, dependencies first.
    pub packages: Vec<String>,
    /// Every member of the workspace, relative to the context.
    pub members: Vec<String>,
    /// The service's package name, for Cargo (`cargo build -p`).
    pub package: Option<String>,
    /// Go: the modules from outside the workspace that the build needs, `path@version`.
    pub external: Vec<String>,
}

impl WorkspaceBuild {
    /// The directories whose sources the build copies: the workspace packages the service
    /// uses, dependencies first, then the service's own.
    pub fn source_dirs(&self) -> impl Iterator<Item = &String> {
        self.packages.iter().chain(std::iter::once(&self.dir))
    }
}

/// Extra Dockerfile lines at fixed points, one instruction each.
#[derive(Debug, Clone, Default)]
pub struct Instructions {
    pub before_install: Vec<String>,
    pub after_install: Vec<String>,
    pub runtime: Vec<String>,
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
}

impl Runtime {
    /// Whether the final image has a shell and a package manager.
    #[must_use]
    pub const fn has_shell(self) -> bool {
        !matches!(self, Self::Scratch | Self::Distroless)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lockfile {
    pub path: String,
    /// `go.sum` is absent in a module without dependencies.
    pub optional: bool,
}

#[derive(Debug, Clone, Default)]
pub struct GoOptions {
    /// The main package, relative to the context, as `./cmd/api` or `.`.
    pub main: String,
    pub vendor: bool,
    pub cgo: bool,
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
