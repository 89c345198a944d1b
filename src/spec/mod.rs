//! What the user wrote in `mbgen.toml`: strict serde types, documented for the JSON Schema.
//!
//! Every table rejects unknown keys and every value is parsed into a validated type, so a
//! typo fails here with a location. Defaults are not applied here: see [`crate::model`].

mod keys;
mod load;
pub(crate) mod value;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use crate::relpath::RelPath;
pub(crate) use keys::ServiceKey;
pub(crate) use load::{load, parse, LoadedConfig};
use value::{
    CacheOption, Duration, ExecCommand, Ident, IgnorePattern, ImageName, ImagePath, ImageRef,
    Instruction, LabelKey, LineValue, PackageName, Platform, Port, ServiceName, ShellCommand, Tag,
    TemplateName, UrlPath, VarName, Version,
};

/// The name of the file mbgen reads.
pub(crate) const CONFIG_FILE: &str = "mbgen.toml";

/// `mbgen.toml`: the services of a project and how to build their container images.
///
/// Each service is a table `[services.<name>]`. Only `stack` is required: every other key has
/// a default suited to the stack.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[schemars(title = "mbgen.toml")]
pub struct ConfigSpec {
    /// The services to build, keyed by service name (lowercase letters, digits and `-`).
    ///
    /// ```toml
    /// [services.web]
    /// stack = "node-static"
    /// ```
    #[serde(default)]
    pub services: BTreeMap<ServiceName, ServiceSpec>,

    /// Defaults shared by every service, and the build files of the whole workspace
    /// (`docker-bake.hcl`, `compose.yaml`). A service's own value replaces the workspace's;
    /// tables (`labels`, `env`, `build-args`) are merged key by key, the service's entry
    /// winning; lists (`tags`, `platforms`, `cache-from`, `cache-to`, `dockerignore`,
    /// `secrets`) are replaced whole, never appended. A default that does not apply to a
    /// service's stack (`secrets` for `static`) is left out for that service.
    ///
    /// ```toml
    /// [workspace]
    /// registry = "ghcr.io/acme"
    /// labels = { "org.opencontainers.image.vendor" = "Acme" }
    /// ```
    pub workspace: Option<WorkspaceSpec>,

    /// The project's templates directory, relative to `mbgen.toml`: a template there is used
    /// instead of the built-in template of the same name, and a service's `template` is looked
    /// up there first. The built-ins stay reachable as `mbgen/<name>`. See
    /// `docs/templates.md`. Default: `.mbgen/templates`.
    ///
    /// `templates-dir = "docker/templates"`
    pub templates_dir: Option<RelPath>,
}

/// One service: one Dockerfile and one `.dockerignore`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ServiceSpec {
    /// What kind of application this is; it selects the Dockerfile template.
    ///
    /// `stack = "node-server"`
    pub stack: Stack,

    /// The service's directory, relative to `mbgen.toml`: its sources and manifests, and the
    /// build context unless `context` says otherwise. Default: `.`.
    ///
    /// `path = "services/api"`
    pub path: Option<RelPath>,

    /// The build context, relative to `mbgen.toml`, when it is not `path`: the root of the
    /// npm, yarn or pnpm workspace, the `go.work` or the Cargo workspace that `path` is a
    /// member of, usually `.`.
    /// The dependency step then copies the root lockfile with only the manifests of this
    /// service and of the workspace packages it uses, the build copies only their sources,
    /// and the `.dockerignore` next to the Dockerfile keeps everything else out of the
    /// context. Default: `path`.
    ///
    /// `context = "."`
    pub context: Option<RelPath>,

    /// The workspace packages this service uses (directories relative to `mbgen.toml`), when
    /// `context` is a workspace root. Default: found from the manifests: the workspace
    /// packages named in the service's `dependencies` and `devDependencies` (node) or
    /// `require`d from the `go.work` modules (go), and theirs in turn.
    ///
    /// `workspace-packages = ["packages/ui", "packages/config"]`
    pub workspace_packages: Option<Vec<RelPath>>,

    /// Where to write the Dockerfile, relative to `path`. Default: `Dockerfile`. The
    /// `.dockerignore` goes next to it (`<name>.dockerignore` when the name is not
    /// `Dockerfile`, which BuildKit reads for that Dockerfile).
    ///
    /// `dockerfile = "docker/api.Dockerfile"`
    pub dockerfile: Option<RelPath>,

    /// The toolchain version, as used in the official image tags. Defaults: node `22`,
    /// python `3.13`, go `1.24`, rust `1.91`. Ignored by `static`.
    ///
    /// `version = "20"`
    pub version: Option<Version>,

    /// The Linux distribution family of the images, which decides between `apt-get` and
    /// `apk`. Default: taken from the builder image name (`alpine` in it means alpine),
    /// otherwise `debian`.
    ///
    /// `family = "alpine"`
    pub family: Option<Family>,

    /// Base images per stage, replacing the defaults derived from `stack`, `version`,
    /// `family` and `runtime`.
    ///
    /// ```toml
    /// [services.api.images]
    /// builder = "node:22.12-trixie-slim"
    /// runtime = "node:22.12-trixie-slim"
    /// ```
    pub images: Option<ImagesSpec>,

    /// The kind of final image for compiled stacks (`go`, `rust`). Default: `distroless` for
    /// go, `slim` for rust.
    ///
    /// `runtime = "scratch"`
    pub runtime: Option<RuntimeBase>,

    /// The package manager. Default: inferred from `lockfile` (`package-lock.json` → npm,
    /// `yarn.lock` → yarn, `pnpm-lock.yaml` → pnpm, `uv.lock` → uv, `poetry.lock` → poetry,
    /// `pdm.lock` → pdm, `Pipfile.lock` → pipenv, `requirements*.txt` → pip), otherwise the
    /// stack's own (npm, pip, go, cargo).
    ///
    /// `package-manager = "pnpm"`
    pub package_manager: Option<PackageManager>,

    /// The lockfile, relative to the build context (`path`, or `context` when set), copied
    /// before the sources so that dependencies are installed in their own cached layer.
    /// Defaults: `package-lock.json`, `yarn.lock` or
    /// `pnpm-lock.yaml` (per package manager), `requirements.txt` (pip), `uv.lock` (uv),
    /// `poetry.lock` (poetry), `pdm.lock` (pdm), `Pipfile.lock` (pipenv),
    /// `go.sum` (go, optional), `Cargo.lock` (rust).
    ///
    /// `lockfile = "requirements/prod.txt"`
    pub lockfile: Option<RelPath>,

    /// The dependency install command, replacing the frozen-lockfile default (for example
    /// `npm ci`). Runs with the package manager's cache mounted.
    ///
    /// `install = "npm ci --ignore-scripts"`
    pub install: Option<ShellCommand>,

    /// The build command. Default for `node-static`: `npm run build` (or the yarn/pnpm
    /// equivalent). For `node-server` there is no build step unless this is set.
    ///
    /// `build = "npm run build"`
    pub build: Option<ShellCommand>,

    /// The container's command, in exec form. Required for `node-server` and `python`;
    /// `go` and `rust` run the built binary; nginx serves the static stacks.
    ///
    /// `start = ["gunicorn", "--bind", "0.0.0.0:8080", "app:app"]`
    pub start: Option<ExecCommand>,

    /// The directory the build writes, relative to `path`. `node-static`: the site to serve
    /// (default `dist`). `node-server`: copied into the final image when there is a build
    /// step (default `dist`). `static`: the directory to serve (default `.`).
    ///
    /// `output-dir = "build"`
    pub output_dir: Option<RelPath>,

    /// For static sites: answer unknown paths with `/index.html`, as single-page
    /// applications with client-side routing need. Default: `false`.
    ///
    /// `spa = true`
    pub spa: Option<bool>,

    /// Go: the main package to build, relative to `path`. Default: `.`.
    ///
    /// `main = "cmd/api"`
    pub main: Option<RelPath>,

    /// Go: build from the committed `vendor/` directory (`-mod=vendor`) instead of
    /// downloading modules. Default: `false`.
    ///
    /// `vendor = true`
    pub vendor: Option<bool>,

    /// Go: build with cgo. The runtime must then provide a C library, so `scratch` and
    /// `distroless` are refused. Default: `false` (a static binary).
    ///
    /// `cgo = true`
    pub cgo: Option<bool>,

    /// Rust: the binary target to build and run. Default: the service name.
    ///
    /// `bin = "api-server"`
    pub bin: Option<Ident>,

    /// The port the application listens on: exposed, and used by nginx for the static
    /// stacks. Default: `8080`.
    ///
    /// `port = 3000`
    pub port: Option<Port>,

    /// What the service speaks on `port`. `http` (the default): a web server or API, probed
    /// over HTTP by `healthcheck.path`. `grpc` and `tcp`: servers of another protocol, which
    /// keep their `EXPOSE` but get no HTTP probe (give `healthcheck.cmd` instead). `none`: a
    /// worker, queue consumer or scheduler that listens on no port, so nothing is exposed.
    ///
    /// `protocol = "none"`
    pub protocol: Option<Protocol>,

    /// More ports to expose besides `port`. Default: none.
    ///
    /// `extra-ports = [9090]`
    #[serde(default)]
    pub extra_ports: Vec<Port>,

    /// Environment variables of the final image. Values may contain any character but line
    /// breaks; they are quoted for you. Not for secrets: use `secrets`.
    ///
    /// `env = { LOG_LEVEL = "info" }`
    #[serde(default)]
    pub env: BTreeMap<VarName, LineValue>,

    /// Build arguments declared (with these default values) in the build stages, to be
    /// overridden with `docker build --build-arg`. Not for secrets: use `secrets`.
    ///
    /// `build-args = { APP_VERSION = "dev" }`
    #[serde(default)]
    pub build_args: BTreeMap<VarName, LineValue>,

    /// Extra system packages, installed with apt-get or apk per image family.
    ///
    /// ```toml
    /// [services.api.system-packages]
    /// build = ["gcc", "libpq-dev"]
    /// runtime = ["libpq5"]
    /// ```
    pub system_packages: Option<SystemPackagesSpec>,

    /// The user the container runs as. Default: the image's own unprivileged user (`node`,
    /// `nginx`, `nonroot`) or `app`, which mbgen creates. Running as root is not offered.
    ///
    /// `user = "svc"`
    pub user: Option<Ident>,

    /// A `HEALTHCHECK` for the final image. Default: none (orchestrators usually probe for
    /// themselves).
    ///
    /// `healthcheck = { path = "/healthz", interval = "30s" }`
    pub healthcheck: Option<HealthcheckSpec>,

    /// Labels of the final image.
    ///
    /// `labels = { "org.opencontainers.image.source" = "https://github.com/acme/api" }`
    #[serde(default)]
    pub labels: BTreeMap<LabelKey, LineValue>,

    /// Extra `.dockerignore` patterns, after the stack's defaults, relative to the build
    /// context.
    ///
    /// `dockerignore = ["coverage/", "*.log"]`
    pub dockerignore: Option<Vec<IgnorePattern>>,

    /// Build secrets, mounted only into the dependency install step with
    /// `RUN --mount=type=secret`; never stored in a layer, an `ARG` or an `ENV`. Pass them
    /// with `docker build --secret id=<id>,src=<file>`.
    ///
    /// ```toml
    /// [[services.web.secrets]]
    /// id = "npmrc"
    /// target = "/root/.npmrc"
    /// ```
    pub secrets: Option<Vec<SecretSpec>>,

    /// Extra CA certificates (PEM files relative to `path`) trusted by the build stages, for
    /// networks behind a TLS-intercepting proxy. They are not copied into the final image.
    ///
    /// `ca-certificates = ["certs/corp-root.crt"]`
    #[serde(default)]
    pub ca_certificates: Vec<RelPath>,

    /// Also trust the `ca-certificates` in the final image, for applications that call
    /// services behind the same proxy. Default: `false`.
    ///
    /// `keep-ca-certificates = true`
    pub keep_ca_certificates: Option<bool>,

    /// Use BuildKit cache mounts for package-manager caches. Default: `true`.
    ///
    /// `cache-mounts = false`
    pub cache_mounts: Option<bool>,

    /// Write every `COPY` of the Dockerfile as `COPY --link`: the copied files become layers
    /// of their own, independent of the layers below them, so that when a base image changes
    /// BuildKit keeps them (no copy runs again, no layer is pushed again) and only the base is
    /// replaced. Needs the Dockerfile frontend 1.4 or later (BuildKit 0.10, Docker 23): Docker
    /// 20.10's built-in frontend cannot parse it. A `COPY --link` destination is not resolved
    /// through symbolic links of the base image. Default: `false`.
    ///
    /// `copy-link = true`
    pub copy_link: Option<bool>,

    /// Extra Dockerfile instructions at fixed points of the generated file, for what the other
    /// keys do not cover. Each is one line starting with `RUN`, `COPY`, `ENV`, `ARG` or
    /// `LABEL`, written as it should appear. Default: none.
    ///
    /// ```toml
    /// [services.api.instructions]
    /// before-install = ["ENV PIP_DEFAULT_TIMEOUT=60"]
    /// runtime = ["COPY config/prod.toml /etc/api/config.toml"]
    /// ```
    pub instructions: Option<InstructionsSpec>,

    /// The image name, without tag, used by `docker-bake.hcl` and `compose.yaml`. Default:
    /// `<registry>/<service name>` with the workspace `registry`, otherwise the service name.
    ///
    /// `image = "ghcr.io/acme/storefront"`
    pub image: Option<ImageName>,

    /// The image tags written in `docker-bake.hcl`; `compose.yaml` names the image by the
    /// first. At least one. Default: the workspace's `tags`, otherwise `["latest"]`.
    ///
    /// `tags = ["latest", "1.4"]`
    #[schemars(length(min = 1))]
    pub tags: Option<Vec<Tag>>,

    /// The platforms to build for in `docker-bake.hcl` (`docker buildx bake`). Default: the
    /// workspace's, otherwise none (the builder's own platform).
    ///
    /// `platforms = ["linux/amd64", "linux/arm64"]`
    pub platforms: Option<Vec<Platform>>,

    /// BuildKit caches to import, for `docker-bake.hcl` and `compose.yaml`. Default: the
    /// workspace's. `{service}` is replaced by the service name.
    ///
    /// `cache-from = ["type=registry,ref=ghcr.io/acme/cache:{service}"]`
    pub cache_from: Option<Vec<CacheOption>>,

    /// BuildKit caches to export, for `docker-bake.hcl`. Default: the workspace's.
    /// `{service}` is replaced by the service name.
    ///
    /// `cache-to = ["type=registry,ref=ghcr.io/acme/cache:{service},mode=max"]`
    pub cache_to: Option<Vec<CacheOption>>,

    /// The template that renders this service's Dockerfile, instead of the stack's built-in
    /// one: a file in the project's templates directory (`.mbgen/templates`, or
    /// `templates-dir`), or a built-in as `mbgen/<name>`. It reads the same context as the
    /// built-ins (`docs/templates.md`). Default: the stack's template, such as
    /// `go.Dockerfile.j2`.
    ///
    /// `template = "api.Dockerfile.j2"`
    pub template: Option<TemplateName>,
}

/// What kind of application a service is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Stack {
    /// A front end built with Node (Vite, React, Angular...) and served by nginx.
    NodeStatic,
    /// A Node.js server (Express, Fastify, Next.js standalone...).
    NodeServer,
    /// A Go program, built into a static binary.
    Go,
    /// A Python web application (Flask, Django, FastAPI...) with its dependencies as wheels.
    Python,
    /// A Rust binary.
    Rust,
    /// Plain files served by nginx, with no build step.
    Static,
}

impl Stack {
    /// Every stack, in the order of the documentation.
    pub const ALL: &'static [Self] = &[
        Self::NodeStatic,
        Self::NodeServer,
        Self::Go,
        Self::Python,
        Self::Rust,
        Self::Static,
    ];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NodeStatic => "node-static",
            Self::NodeServer => "node-server",
            Self::Go => "go",
            Self::Python => "python",
            Self::Rust => "rust",
            Self::Static => "static",
        }
    }
}

/// What a service speaks on its port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Protocol {
    /// HTTP: a web server or API.
    Http,
    /// gRPC, over HTTP/2.
    Grpc,
    /// Another protocol over TCP.
    Tcp,
    /// No port at all: a worker, queue consumer or scheduler.
    None,
}

impl Protocol {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Grpc => "grpc",
            Self::Tcp => "tcp",
            Self::None => "none",
        }
    }
}

/// The Linux distribution family of the images.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    /// Debian-based images, packages installed with `apt-get`.
    Debian,
    /// Alpine-based images, packages installed with `apk`.
    Alpine,
}

/// The kind of final image for compiled stacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RuntimeBase {
    /// An empty image holding only the binary and CA certificates (go only).
    Scratch,
    /// Google's distroless images: no shell, no package manager, a `nonroot` user.
    Distroless,
    /// A slim distribution image (`debian:trixie-slim` or `alpine`, per `family`).
    Slim,
}

/// A package manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PackageManager {
    /// npm, with `npm ci`.
    Npm,
    /// Yarn (classic or berry, through corepack).
    Yarn,
    /// pnpm, through corepack.
    Pnpm,
    /// pip, with a requirements file.
    Pip,
    /// uv, with `uv.lock`.
    Uv,
    /// Poetry, with `poetry.lock`: the locked main dependencies are exported and built as
    /// wheels.
    Poetry,
    /// PDM, with `pdm.lock`: the locked production dependencies are exported and built as
    /// wheels.
    Pdm,
    /// Pipenv, with `Pipfile.lock`: the locked default packages are exported and built as
    /// wheels.
    Pipenv,
    /// Go modules.
    Go,
    /// Cargo.
    Cargo,
}

impl PackageManager {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Npm => "npm",
            Self::Yarn => "yarn",
            Self::Pnpm => "pnpm",
            Self::Pip => "pip",
            Self::Uv => "uv",
            Self::Poetry => "poetry",
            Self::Pdm => "pdm",
            Self::Pipenv => "pipenv",
            Self::Go => "go",
            Self::Cargo => "cargo",
        }
    }
}

/// Base images per stage.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ImagesSpec {
    /// The image of the dependency and build stages.
    ///
    /// `builder = "golang:1.24-trixie"`
    pub builder: Option<ImageRef>,
    /// The image of the final stage.
    ///
    /// `runtime = "gcr.io/distroless/static-debian13:nonroot"`
    pub runtime: Option<ImageRef>,
}

/// Extra system packages per stage.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SystemPackagesSpec {
    /// Installed in the builder stages (compilers, headers).
    ///
    /// `build = ["gcc", "libpq-dev"]`
    #[serde(default)]
    pub build: Vec<PackageName>,
    /// Installed in the final image (shared libraries, tools the app runs).
    ///
    /// `runtime = ["libpq5"]`
    #[serde(default)]
    pub runtime: Vec<PackageName>,
}

/// A container health check: either an HTTP `path` probed with the runtime's own tools, or
/// an explicit `cmd`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct HealthcheckSpec {
    /// The HTTP path to probe on `port`; the probe uses node, python or curl from the
    /// runtime image.
    ///
    /// `path = "/healthz"`
    pub path: Option<UrlPath>,
    /// The probe command, in exec form, instead of `path`.
    ///
    /// `cmd = ["/app", "healthcheck"]`
    pub cmd: Option<ExecCommand>,
    /// Time between probes. Default: `30s`.
    pub interval: Option<Duration>,
    /// How long one probe may take. Default: `5s`.
    pub timeout: Option<Duration>,
    /// Grace period after start. Default: `10s`.
    pub start_period: Option<Duration>,
    /// Failures in a row before the container is unhealthy. Default: `3`.
    #[schemars(range(min = 1, max = 100))]
    pub retries: Option<u8>,
}

/// Extra instructions, each one line, at fixed points of the Dockerfile.
///
/// Allowed: `RUN`, `COPY`, `ENV`, `ARG` and `LABEL`. `FROM`, `USER`, `WORKDIR`, `CMD`,
/// `ENTRYPOINT`, `EXPOSE`, `HEALTHCHECK` and the rest are refused: mbgen owns the stages, the
/// user, the working directory and the command, and the other keys set the rest. For anything
/// else, use a project template (`docs/templates.md`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct InstructionsSpec {
    /// In the builder stage, after the manifests are copied and just before the dependency
    /// install step (for `node-server`, before both installs). Not for `static`, nor for go
    /// with `vendor = true`, which have no install step.
    ///
    /// `before-install = ["ENV NPM_CONFIG_FETCH_RETRIES=5"]`
    #[serde(default)]
    pub before_install: Vec<Instruction>,
    /// In the builder stage, just after the dependency install step (for `node-server`,
    /// after both installs). Not for `static`, nor for go with `vendor = true`.
    ///
    /// `after-install = ["RUN npm rebuild sharp"]`
    #[serde(default)]
    pub after_install: Vec<Instruction>,
    /// In the final stage, after the application is copied and before `ENV`, `LABEL` and
    /// `USER`: they run as root.
    ///
    /// `runtime = ["COPY config/prod.toml /etc/api/config.toml"]`
    #[serde(default)]
    pub runtime: Vec<Instruction>,
}

/// A build secret, mounted with `RUN --mount=type=secret` into the dependency install step.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SecretSpec {
    /// The secret's id, as in `docker build --secret id=<id>,src=<file>`.
    ///
    /// `id = "npmrc"`
    pub id: Ident,
    /// Where the secret file appears during the install step. Default:
    /// `/run/secrets/<id>`.
    ///
    /// `target = "/root/.npmrc"`
    pub target: Option<ImagePath>,
    /// Also expose the secret's contents to the install command as this environment
    /// variable (only for that command; it is never stored).
    ///
    /// `env = "PIP_INDEX_URL"`
    pub env: Option<VarName>,
    /// Fail the build when the secret is not passed. Default: `false`.
    pub required: Option<bool>,
}

/// `[workspace]`: defaults for every service, and the workspace's build files.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct WorkspaceSpec {
    /// The registry and namespace images are named under: a service's image is
    /// `<registry>/<service name>` unless it sets `image`. Default: none (the image is
    /// named after the service).
    ///
    /// `registry = "ghcr.io/acme"`
    pub registry: Option<ImageName>,

    /// The image tags of every service, at least one. Default: `["latest"]`.
    ///
    /// `tags = ["latest"]`
    #[schemars(length(min = 1))]
    pub tags: Option<Vec<Tag>>,

    /// The platforms every service is built for by `docker buildx bake`. Default: none (the
    /// builder's own platform).
    ///
    /// `platforms = ["linux/amd64", "linux/arm64"]`
    pub platforms: Option<Vec<Platform>>,

    /// BuildKit caches to import, for every service; `{service}` is replaced by the service
    /// name. Registry caches (`type=registry`) let remote or CI builders share layers;
    /// `type=local` keeps them in a directory.
    ///
    /// `cache-from = ["type=registry,ref=ghcr.io/acme/cache:{service}"]`
    pub cache_from: Option<Vec<CacheOption>>,

    /// BuildKit caches to export, for every service; `{service}` is replaced by the service
    /// name.
    ///
    /// `cache-to = ["type=registry,ref=ghcr.io/acme/cache:{service},mode=max"]`
    pub cache_to: Option<Vec<CacheOption>>,

    /// Attestations BuildKit adds to the image index of every service that `docker buildx
    /// bake` pushes (a builder of the `docker-container`, `kubernetes` or `remote` driver):
    /// a software bill of materials and SLSA provenance, in the Bake file's `attest`.
    /// Default: none written, which leaves BuildKit's own default (`min` provenance).
    ///
    /// `attest = { sbom = true, provenance = "max" }`
    pub attest: Option<AttestSpec>,

    /// Reproducible images: the time, in seconds since 1970, that BuildKit writes into every
    /// image instead of the build's (the image's creation date, its history, and the
    /// timestamps of every file in its layers), so that two builds of the same commit give
    /// the same image digest. The Bake file declares the variable `SOURCE_DATE_EPOCH` with
    /// this default, passes it to every build and rewrites layer timestamps
    /// (`rewrite-timestamp=true`, BuildKit 0.13 or later). Keep it fixed: BuildKit keys every
    /// step's cache on it, so a time that changes with each commit (`git log -1
    /// --format=%ct`) runs every step again, dependency installs included. Default: none
    /// (the build's own time).
    ///
    /// `source-date-epoch = 0`
    pub source_date_epoch: Option<u64>,

    /// The Bake file written for the workspace, relative to `mbgen.toml`, or `false` for
    /// none. It has a target per service (build context, Dockerfile, the final stage
    /// `runtime`, tags, platforms, caches and build arguments) and a `default` group with all
    /// of them. Its paths are relative to its own directory: `docker buildx bake` run there
    /// builds every service. Default: `docker-bake.hcl`.
    ///
    /// `bake = "docker/docker-bake.hcl"`
    pub bake: Option<OutputFile>,

    /// The Compose file written for the workspace, relative to `mbgen.toml`, or `false` for
    /// none. Each service gets its `image` (the first tag) and a `build` section (build
    /// context, Dockerfile, the final stage `runtime`, build arguments, `cache-from`), with
    /// paths relative to the file's own directory. Default: `compose.yaml`; name another file
    /// (`compose.build.yaml`) to keep a hand-written `compose.yaml` beside it and combine
    /// both with `docker compose -f compose.yaml -f compose.build.yaml`.
    ///
    /// `compose = "compose.build.yaml"`
    pub compose: Option<OutputFile>,

    /// Toolchain versions for every service of that language, as in the official image tags.
    ///
    /// `versions = { node = "22", go = "1.24" }`
    pub versions: Option<VersionsSpec>,

    /// The image family of every service: see the service key `family`.
    ///
    /// `family = "debian"`
    pub family: Option<Family>,

    /// Base images per stack, for every service of that stack, for example to pull from a
    /// mirror.
    ///
    /// ```toml
    /// [workspace.images.node-server]
    /// builder = "registry.example.com/node:22-trixie-slim"
    /// runtime = "registry.example.com/node:22-trixie-slim"
    /// ```
    pub images: Option<StackImagesSpec>,

    /// The user every container runs as: see the service key `user`.
    ///
    /// `user = "svc"`
    pub user: Option<Ident>,

    /// Labels of every final image; a service's `labels` add to them.
    ///
    /// `labels = { "org.opencontainers.image.vendor" = "Acme" }`
    #[serde(default)]
    pub labels: BTreeMap<LabelKey, LineValue>,

    /// Environment variables of every final image; a service's `env` adds to them.
    ///
    /// `env = { TZ = "UTC" }`
    #[serde(default)]
    pub env: BTreeMap<VarName, LineValue>,

    /// Build arguments of every service; a service's `build-args` add to them.
    ///
    /// `build-args = { GIT_SHA = "unknown" }`
    #[serde(default)]
    pub build_args: BTreeMap<VarName, LineValue>,

    /// Extra `.dockerignore` patterns for every service.
    ///
    /// `dockerignore = ["*.log", "coverage/"]`
    pub dockerignore: Option<Vec<IgnorePattern>>,

    /// Build secrets of every service that installs dependencies: see the service key
    /// `secrets`.
    ///
    /// ```toml
    /// [[workspace.secrets]]
    /// id = "npmrc"
    /// target = "/root/.npmrc"
    /// ```
    pub secrets: Option<Vec<SecretSpec>>,

    /// Use BuildKit cache mounts for package-manager caches in every service.
    ///
    /// `cache-mounts = true`
    pub cache_mounts: Option<bool>,

    /// `COPY --link` in every service's Dockerfile: see the service key `copy-link`.
    ///
    /// `copy-link = true`
    pub copy_link: Option<bool>,

    /// A health check for every service: see the service key `healthcheck`.
    ///
    /// `healthcheck = { path = "/healthz" }`
    pub healthcheck: Option<HealthcheckSpec>,
}

/// `attest` of `[workspace]`: the attestations of every image Bake pushes.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AttestSpec {
    /// An SPDX software bill of materials of each final image, made by BuildKit's SBOM
    /// scanner (the image `docker/buildkit-syft-scanner`), attached as an attestation.
    /// Default: `false`.
    ///
    /// `sbom = true`
    pub sbom: Option<bool>,

    /// SLSA provenance: `min` records the build's sources and its frontend, `max` adds the
    /// build arguments, the Dockerfile and the steps that ran (build secrets are never
    /// recorded), `off` attaches none. Default: BuildKit's, which is `min`.
    ///
    /// `provenance = "max"`
    pub provenance: Option<Provenance>,
}

/// How much SLSA provenance an image carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Provenance {
    /// No provenance attestation.
    Off,
    /// The sources and the frontend of the build.
    Min,
    /// Also the build arguments, the Dockerfile and every step.
    Max,
}

/// A generated file of the workspace: a path, or `false` for none.
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
// For the schema only: the two forms, one beside the other. Deserialising says which form
// was expected, and passes a bad path's own error on.
#[serde(untagged)]
pub enum OutputFile {
    /// Where to write the file, relative to `mbgen.toml`.
    Path(RelPath),
    /// `false`: do not write the file; `true`: write it under its default name.
    Enabled(bool),
}

impl<'de> Deserialize<'de> for OutputFile {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = OutputFile;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a file path relative to mbgen.toml, or `false` for no file")
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<OutputFile, E> {
                Ok(OutputFile::Enabled(v))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<OutputFile, E> {
                RelPath::parse(v).map(OutputFile::Path).map_err(E::custom)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// Toolchain versions per language.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct VersionsSpec {
    /// Node.js, for `node-static` and `node-server`.
    pub node: Option<Version>,
    /// Python.
    pub python: Option<Version>,
    /// Go.
    pub go: Option<Version>,
    /// Rust.
    pub rust: Option<Version>,
}

/// Base images per stack.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct StackImagesSpec {
    /// For `node-static` services.
    pub node_static: Option<ImagesSpec>,
    /// For `node-server` services.
    pub node_server: Option<ImagesSpec>,
    /// For `go` services.
    pub go: Option<ImagesSpec>,
    /// For `python` services.
    pub python: Option<ImagesSpec>,
    /// For `rust` services.
    pub rust: Option<ImagesSpec>,
    /// For `static` services.
    #[serde(rename = "static")]
    pub static_: Option<ImagesSpec>,
}

impl ServiceSpec {
    /// Whether `key` is written for this service (an empty list of `secrets` or
    /// `ca-certificates` counts as not written).
    #[must_use]
    pub fn is_set(&self, key: ServiceKey) -> bool {
        match key {
            ServiceKey::Stack => true,
            ServiceKey::Path => self.path.is_some(),
            ServiceKey::Context => self.context.is_some(),
            ServiceKey::WorkspacePackages => self.workspace_packages.is_some(),
            ServiceKey::Dockerfile => self.dockerfile.is_some(),
            ServiceKey::Version => self.version.is_some(),
            ServiceKey::Family => self.family.is_some(),
            ServiceKey::Images => self.images.is_some(),
            ServiceKey::PackageManager => self.package_manager.is_some(),
            ServiceKey::Lockfile => self.lockfile.is_some(),
            ServiceKey::Install => self.install.is_some(),
            ServiceKey::Build => self.build.is_some(),
            ServiceKey::Start => self.start.is_some(),
            ServiceKey::OutputDir => self.output_dir.is_some(),
            ServiceKey::Spa => self.spa.is_some(),
            ServiceKey::Main => self.main.is_some(),
            ServiceKey::Vendor => self.vendor.is_some(),
            ServiceKey::Cgo => self.cgo.is_some(),
            ServiceKey::Runtime => self.runtime.is_some(),
            ServiceKey::Bin => self.bin.is_some(),
            ServiceKey::Port => self.port.is_some(),
            ServiceKey::Protocol => self.protocol.is_some(),
            ServiceKey::ExtraPorts => !self.extra_ports.is_empty(),
            ServiceKey::Env => !self.env.is_empty(),
            ServiceKey::BuildArgs => !self.build_args.is_empty(),
            ServiceKey::SystemPackages => self.system_packages.is_some(),
            ServiceKey::User => self.user.is_some(),
            ServiceKey::Healthcheck => self.healthcheck.is_some(),
            ServiceKey::Labels => !self.labels.is_empty(),
            ServiceKey::Dockerignore => self.dockerignore.is_some(),
            ServiceKey::Secrets => self.secrets.as_ref().is_some_and(|s| !s.is_empty()),
            ServiceKey::CaCertificates => !self.ca_certificates.is_empty(),
            ServiceKey::KeepCaCertificates => self.keep_ca_certificates.is_some(),
            ServiceKey::CacheMounts => self.cache_mounts.is_some(),
            ServiceKey::CopyLink => self.copy_link.is_some(),
            ServiceKey::Instructions => self.instructions.is_some(),
            ServiceKey::Image => self.image.is_some(),
            ServiceKey::Tags => self.tags.is_some(),
            ServiceKey::Platforms => self.platforms.is_some(),
            ServiceKey::CacheFrom => self.cache_from.is_some(),
            ServiceKey::CacheTo => self.cache_to.is_some(),
            ServiceKey::Template => self.template.is_some(),
        }
    }
}
