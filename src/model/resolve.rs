//! Spec → model: the checks every service shares, the project's own files, and every
//! problem reported at once. The per-stack part of a service is built in [`super::stacks`].

use std::collections::BTreeMap;

use super::defaults::{
    self, CACHE_TYPES_WITH_MODE, DEFAULT_BAKE_FILE, DEFAULT_CACHE_MODE, DEFAULT_CACHE_MOUNTS,
    DEFAULT_COMPOSE_FILE, DEFAULT_COPY_LINK, DEFAULT_DOCKERFILE, DEFAULT_DOCKERIGNORE,
    DEFAULT_INIT, DEFAULT_PORT, DEFAULT_TAG, DEFAULT_TEMPLATES_DIR, HEALTHCHECK_INTERVAL,
    HEALTHCHECK_RETRIES, HEALTHCHECK_START_PERIOD, HEALTHCHECK_TIMEOUT,
};
use super::inherit::{inherit, Inherited};
use super::workspace::{self, Tree};
use super::{
    CaCertificates, Healthcheck, Instructions, JavaTool, Process, Project, Publish, Runtime,
    Secret, Service, SupplyChain, SystemPackages, Template, User, WorkspaceBuild,
};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::relpath::RelPath;
use crate::spec::value::Port;
use crate::spec::{
    Family, LoadedConfig, OutputFile, PackageManager, Protocol, ServiceKey, ServiceSpec, Stack,
    WorkspaceSpec, CONFIG_FILE,
};

/// Resolves a loaded `mbgen.toml` into the model. `tree` is the project directory, read for
/// the members of workspaces that services are built from.
pub(crate) fn resolve(loaded: &LoadedConfig, tree: &Tree) -> Result<Project, Diagnostics> {
    let mut diagnostics = Diagnostics::default();
    if loaded.spec.services.is_empty() {
        diagnostics.push(
            loaded
                .error_at(&["services"], "no services are defined")
                .help(
                "add a service, for example:\n\n    [services.web]\n    stack = \"node-static\"\n",
            ),
        );
    }
    let mut services = Vec::new();
    let workspace = loaded.spec.workspace.as_ref();
    let mut graphs = Graphs::new();
    for (name, spec) in &loaded.spec.services {
        let Inherited { spec, origins } = inherit(workspace, spec);
        let mut cx = Resolver {
            loaded,
            name: name.as_str(),
            spec: &spec,
            origins: &origins,
            tree,
            graphs: &mut graphs,
            diagnostics: &mut diagnostics,
        };
        if let Some(service) = cx.service() {
            services.push(service);
        }
    }
    check_cache_exports_differ(loaded, &services, &mut diagnostics);
    let config_name = loaded.source.path.file_name().map_or_else(
        || CONFIG_FILE.to_owned(),
        |n| n.to_string_lossy().into_owned(),
    );
    let templates_dir = loaded
        .spec
        .templates_dir
        .clone()
        .unwrap_or_else(|| RelPath::from_normal(DEFAULT_TEMPLATES_DIR));
    if templates_dir.is_root() {
        diagnostics.push(
            loaded
                .error_at_value(
                    &["templates-dir"],
                    "`templates-dir` cannot be the project directory itself",
                )
                .help("name a directory of its own, for example `docker/templates`"),
        );
    }
    let (bake, compose) = workspace_files(loaded, &mut diagnostics);
    let files = ProjectFiles {
        config_name: &config_name,
        templates_dir: &templates_dir,
        inputs: inputs(&services),
    };
    let problems = check_outputs(
        loaded,
        &outputs(&services, bake.as_ref(), compose.as_ref()),
        &files,
    );
    diagnostics.0.extend(problems.0);
    diagnostics.into_result(Project {
        config_name,
        templates_dir,
        templates_dir_set: loaded.spec.templates_dir.is_some(),
        services,
        bake,
        compose,
        supply_chain: supply_chain(workspace),
    })
}

/// `attest` and `source-date-epoch` of `[workspace]`.
fn supply_chain(workspace: Option<&WorkspaceSpec>) -> SupplyChain {
    let Some(ws) = workspace else {
        return SupplyChain::default();
    };
    let WorkspaceSpec {
        attest,
        source_date_epoch,
        ..
    } = ws;
    SupplyChain {
        sbom: attest.as_ref().and_then(|a| a.sbom).unwrap_or(false),
        provenance: attest.as_ref().and_then(|a| a.provenance),
        source_date_epoch: *source_date_epoch,
    }
}

/// A cache export with [`DEFAULT_CACHE_MODE`] added when it names no mode and its exporter
/// takes one.
fn with_default_mode(option: String) -> String {
    let kind = option
        .split(',')
        .next()
        .and_then(|p| p.strip_prefix("type="));
    let has_mode = option.split(',').any(|p| p.starts_with("mode="));
    match kind {
        Some(kind) if CACHE_TYPES_WITH_MODE.contains(&kind) && !has_mode => {
            format!("{option},mode={DEFAULT_CACHE_MODE}")
        }
        _ => option,
    }
}

/// Where a cache export writes: the `ref` of a registry cache, the `dest` of a local one.
fn cache_destination(option: &str) -> Option<&str> {
    let mut pairs = option.split(',');
    let key = match pairs.next()? {
        "type=registry" => "ref=",
        "type=local" => "dest=",
        _ => return None,
    };
    pairs.find_map(|p| p.strip_prefix(key))
}

/// Two services may not export their build cache to the same place: each export replaces
/// the other's, and a fresh builder then finds one service's cache only.
fn check_cache_exports_differ(
    loaded: &LoadedConfig,
    services: &[Service],
    diagnostics: &mut Diagnostics,
) {
    let mut exports: BTreeMap<&str, &str> = BTreeMap::new();
    let mut reported = Vec::new();
    for service in services {
        for destination in service
            .publish
            .cache_to
            .iter()
            .filter_map(|c| cache_destination(c))
        {
            let Some(other) = exports.insert(destination, &service.name) else {
                continue;
            };
            if reported.contains(&destination) {
                continue;
            }
            reported.push(destination);
            let own = loaded
                .spec
                .services
                .iter()
                .find(|(name, _)| name.as_str() == service.name)
                .is_some_and(|(_, spec)| spec.cache_to.is_some());
            let at: &[&str] = if own {
                &["services", &service.name, "cache-to"]
            } else {
                &["workspace", "cache-to"]
            };
            diagnostics.push(
                loaded
                    .error_at_value(
                        at,
                        format!(
                            "services `{other}` and `{}` export their build cache to the same \
                             place, `{destination}`: each export replaces the other's, and a \
                             builder importing it finds one service's cache only",
                            service.name
                        ),
                    )
                    .help(
                        "write `{service}` in it, which names each service's own cache: \
                         `type=registry,ref=ghcr.io/acme/cache:{service}`",
                    ),
            );
        }
    }
}

/// One file `mbgen render` writes, and the key of `mbgen.toml` that names it.
struct Output<'a> {
    path: RelPath,
    /// What it is, for messages: "the Dockerfile of service `api`".
    what: String,
    /// The key naming it (or naming what it derives from).
    key: Vec<&'a str>,
}

/// The files whose name decides nothing but that mbgen must never write over them, even with
/// `--force`: manifests, lockfiles and the tools' own configuration.
const PROTECTED_NAMES: &[&str] = &[
    "mbgen.toml",
    "package.json",
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "pnpm-workspace.yaml",
    "bun.lock",
    "bun.lockb",
    ".npmrc",
    ".yarnrc.yml",
    ".nvmrc",
    ".node-version",
    "go.mod",
    "go.sum",
    "go.work",
    "go.work.sum",
    "cargo.toml",
    "cargo.lock",
    "rust-toolchain.toml",
    "pyproject.toml",
    "uv.lock",
    "poetry.lock",
    "pdm.lock",
    "pipfile",
    "pipfile.lock",
    "setup.py",
    "setup.cfg",
    ".python-version",
];

/// Why `path` is a file of the project's that no generated file may replace, if it is.
fn protected(path: &RelPath, project: &ProjectFiles<'_>) -> Option<String> {
    let name = path.file_name().to_lowercase();
    if path.as_str() == project.config_name {
        return Some(format!("{}, the configuration itself", project.config_name));
    }
    if PROTECTED_NAMES.contains(&name.as_str())
        || (name.starts_with("requirements") || name.starts_with("constraints"))
            && std::path::Path::new(&name)
                .extension()
                .is_some_and(|e| e == "txt")
    {
        return Some(format!("{path}, a manifest or lockfile"));
    }
    if path.components().any(|c| c == ".git") {
        return Some(format!("{path}, inside the git repository's own directory"));
    }
    if path.starts_with(project.templates_dir) || path.starts_with(&RelPath::from_normal(".mbgen"))
    {
        return Some(format!(
            "{path}, among mbgen's own files (templates, schema)"
        ));
    }
    project
        .inputs
        .iter()
        .find(|(input, _)| input == path)
        .map(|(_, what)| format!("{path}, {what}"))
}

/// What of the project the generated files may not replace.
struct ProjectFiles<'a> {
    config_name: &'a str,
    templates_dir: &'a RelPath,
    /// Files a build reads (lockfiles, certificates), with what they are.
    inputs: Vec<(RelPath, String)>,
}

/// Every generated file is checked against the files of the project it may not replace and
/// against the others: two outputs on one path (or on two paths that differ only in case,
/// one file on macOS and Windows) would overwrite each other.
fn check_outputs(
    loaded: &LoadedConfig,
    outputs: &[Output<'_>],
    project: &ProjectFiles<'_>,
) -> Diagnostics {
    let mut diagnostics = Diagnostics::default();
    let at = |o: &Output<'_>, message: String, help: &str| {
        loaded.error_at_value(&o.key, message).help(help.to_owned())
    };
    for (i, o) in outputs.iter().enumerate() {
        if let Some(why) = protected(&o.path, project) {
            diagnostics.push(at(
                o,
                format!("{} would be written over {why}", o.what),
                "mbgen never writes over mbgen.toml, a manifest, a lockfile or its own files, even with --force: name another file",
            ));
            continue;
        }
        let lower = o.path.as_str().to_lowercase();
        let Some(other) = outputs[..i]
            .iter()
            .find(|e| e.path.as_str().to_lowercase() == lower)
        else {
            continue;
        };
        // At the key that is written, where there is one.
        let here = if loaded.keys.contains(&o.key) || !loaded.keys.contains(&other.key) {
            o
        } else {
            other
        };
        let message = if other.path == o.path {
            format!(
                "{} and {} would both be written to {}",
                other.what, o.what, o.path
            )
        } else {
            format!(
                "{} ({}) and {} ({}) differ only in case: on macOS and Windows they are one file",
                other.what, other.path, o.what, o.path
            )
        };
        diagnostics.push(at(here, message, "give each its own file (`path`, `dockerfile`, or `bake` and `compose` in `[workspace]`)"));
    }
    diagnostics
}

/// The files `mbgen render` writes, in the order it writes them.
fn outputs<'a>(
    services: &'a [Service],
    bake: Option<&RelPath>,
    compose: Option<&RelPath>,
) -> Vec<Output<'a>> {
    let mut out = Vec::new();
    for s in services {
        let key = vec!["services", s.name.as_str(), "dockerfile"];
        out.push(Output {
            path: s.dockerfile_path(),
            what: format!("the Dockerfile of service `{}`", s.name),
            key: key.clone(),
        });
        out.push(Output {
            path: s.dockerignore_path(),
            what: format!("the .dockerignore of service `{}`", s.name),
            key,
        });
    }
    for (file, what, key) in [
        (bake, "the Bake file", "bake"),
        (compose, "the Compose file", "compose"),
    ] {
        if let Some(path) = file {
            out.push(Output {
                path: path.clone(),
                what: what.to_owned(),
                key: vec!["workspace", key],
            });
        }
    }
    out
}

/// The files of the project that services read and that no output may replace.
fn inputs(services: &[Service]) -> Vec<(RelPath, String)> {
    let mut out = Vec::new();
    for s in services {
        if let Some(lockfile) = s.lockfile() {
            out.push((
                s.context.join(&lockfile.path),
                format!("the lockfile of service `{}`", s.name),
            ));
        }
        for cert in &s.ca.files {
            out.push((
                s.context.join(cert),
                format!("a CA certificate of service `{}`", s.name),
            ));
        }
    }
    out
}

/// Where the workspace's Bake and Compose files go.
fn workspace_files(
    loaded: &LoadedConfig,
    diagnostics: &mut Diagnostics,
) -> (Option<RelPath>, Option<RelPath>) {
    let output = |file: Option<&OutputFile>, default: &str| match file {
        None | Some(OutputFile::Enabled(true)) => Some(RelPath::from_normal(default)),
        Some(OutputFile::Enabled(false)) => None,
        Some(OutputFile::Path(p)) => Some(p.clone()),
    };
    let workspace = loaded.spec.workspace.as_ref();
    let (bake, compose) = workspace.map_or((None, None), |ws| {
        (
            output(ws.bake.as_ref(), DEFAULT_BAKE_FILE),
            output(ws.compose.as_ref(), DEFAULT_COMPOSE_FILE),
        )
    });
    for (key, file) in [("bake", &bake), ("compose", &compose)] {
        if file.as_ref().is_some_and(RelPath::is_root) {
            diagnostics.push(
                loaded
                    .error_at_value(&["workspace", key], format!("`{key}` names a directory"))
                    .help("name the file, for example `docker-bake.hcl`"),
            );
        }
    }
    (bake, compose)
}

/// The longest list of system packages, as the line of its install command.
const MAX_PACKAGES_LINE: usize = 32 * 1024;

pub(super) struct Resolver<'a> {
    loaded: &'a LoadedConfig,
    pub(super) name: &'a str,
    /// The service with the workspace defaults filled in.
    pub(super) spec: &'a ServiceSpec,
    /// Keys that came from `[workspace]`, and where they are written there.
    origins: &'a BTreeMap<ServiceKey, Vec<String>>,
    pub(super) tree: &'a Tree,
    /// Workspaces read so far, by kind and root: each is read once.
    graphs: &'a mut Graphs,
    diagnostics: &'a mut Diagnostics,
}

type Graphs = BTreeMap<(workspace::Kind, RelPath), Result<workspace::Graph, Box<Diagnostic>>>;

/// The paths of a service.
pub(super) struct Paths {
    pub dir: RelPath,
    pub context: RelPath,
    pub dockerfile: RelPath,
    pub dockerignore_file: RelPath,
    pub workspace: Option<WorkspaceBuild>,
}

impl Paths {
    /// A path written relative to the service's directory, relative to the build context.
    pub(super) fn in_context(&self, path: &RelPath) -> RelPath {
        match &self.workspace {
            Some(ws) => ws.dir.join(path),
            None => path.clone(),
        }
    }
}

impl Resolver<'_> {
    /// An error at a key of this service, or at the `[workspace]` default it inherited.
    pub(super) fn error(
        &mut self,
        key: &[&str],
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        let inherited = key
            .first()
            .and_then(|k| ServiceKey::ALL.iter().find(|s| s.as_str() == *k))
            .and_then(|k| self.origins.get(k));
        let path: Vec<&str> = if let Some(origin) = inherited {
            origin.iter().map(String::as_str).collect()
        } else {
            let mut path = vec!["services", self.name];
            path.extend_from_slice(key);
            path
        };
        let mut message = message.into();
        if inherited.is_some() {
            message = format!(
                "service `{}`: {message} (inherited from `[workspace]`)",
                self.name
            );
        }
        let d = self.loaded.error_at(&path, message).help(help);
        self.diagnostics.push(d);
    }

    /// The project's files.
    pub(super) fn tree(&self) -> &Tree {
        self.tree
    }

    /// The stack the service is of.
    pub(super) fn stack(&self) -> Stack {
        self.spec.stack
    }

    fn check_applicable(&mut self) {
        let stack = self.stack();
        for &key in ServiceKey::ALL {
            let Some(stacks) = key.stacks() else { continue };
            if self.spec.is_set(key) && !stacks.contains(&stack) {
                let list = stacks
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                self.error(
                    &[key.as_str()],
                    format!("`{key}` does not apply to stack `{}`", stack.as_str()),
                    format!("remove it; it applies to: {list}"),
                );
            }
        }
        if stack == Stack::Static {
            if self
                .spec
                .images
                .as_ref()
                .is_some_and(|i| i.builder.is_some())
            {
                self.error(
                    &["images", "builder"],
                    "stack `static` has no builder stage",
                    "remove `images.builder`; set `images.runtime` to change the nginx image",
                );
            }
            if self
                .spec
                .system_packages
                .as_ref()
                .is_some_and(|p| !p.build.is_empty())
            {
                self.error(
                    &["system-packages", "build"],
                    "stack `static` has no builder stage",
                    "remove `system-packages.build`",
                );
            }
        }
    }

    fn family(&mut self) -> Family {
        let images = self.spec.images.as_ref();
        let named = images
            .and_then(|i| i.builder.as_ref().or(i.runtime.as_ref()))
            .map(|image| {
                if image.tag().unwrap_or_default().contains("alpine")
                    || image.repository().ends_with("alpine")
                {
                    Family::Alpine
                } else {
                    Family::Debian
                }
            });
        match (self.spec.family, named) {
            (Some(explicit), Some(from_image)) if explicit != from_image => {
                self.error(
                    &["family"],
                    format!(
                        "`family = \"{}\"` conflicts with the image in `images`, which looks {}",
                        family_name(explicit),
                        family_name(from_image)
                    ),
                    "remove `family` (it is taken from the image name) or use an image of that family",
                );
                explicit
            }
            (Some(explicit), _) => explicit,
            (None, Some(from_image)) => from_image,
            (None, None) => Family::Debian,
        }
    }

    /// The toolchain version: `version`, or the stack's default.
    pub(super) fn version(&self) -> String {
        self.spec.version.as_ref().map_or_else(
            || defaults::version(self.spec.stack).to_owned(),
            ToString::to_string,
        )
    }

    /// The builder and runtime images: explicit ones, or the defaults for the stack.
    pub(super) fn images(
        &self,
        family: Family,
        runtime: Runtime,
        pm: PackageManager,
    ) -> (String, String) {
        let spec = self.spec;
        let stack = spec.stack;
        let version = self.version();
        let images = spec.images.as_ref();
        let builder = images.and_then(|i| i.builder.as_ref());
        // Bun's image builds a bun-installed service unless `images.builder` names another.
        let bun_builder = pm == PackageManager::Bun && builder.is_none();
        let builder_image = builder.map_or_else(
            || match (stack, pm) {
                (Stack::Java, PackageManager::Gradle) => {
                    defaults::java_builder_image(JavaTool::Gradle, family, &version)
                }
                _ => defaults::builder_image(stack, family, &version, bun_builder),
            },
            ToString::to_string,
        );
        let runtime_image = images.and_then(|i| i.runtime.as_ref()).map_or_else(
            || {
                defaults::runtime_image(
                    stack,
                    family,
                    runtime,
                    &builder_image,
                    &version,
                    bun_builder,
                )
            },
            ToString::to_string,
        );
        (builder_image, runtime_image)
    }

    fn user(&mut self, runtime: Runtime) -> User {
        let default = defaults::user(self.stack(), runtime);
        let Some(wanted) = &self.spec.user else {
            return default;
        };
        let wanted = wanted.as_str();
        if wanted == "root" {
            self.error(
                &["user"],
                "mbgen images do not run as root",
                "remove `user` to use an unprivileged user; listen on a port above 1024 instead of needing root",
            );
            return default;
        }
        if wanted == default.name {
            return default;
        }
        if !runtime.has_shell() {
            self.error(
                &["user"],
                "the runtime image has no shell to create a user with",
                "remove `user` to run as the image's `nonroot` user",
            );
            return default;
        }
        User {
            name: wanted.to_owned(),
            uid: defaults::APP_UID,
            create: true,
        }
    }

    fn healthcheck_command(
        &mut self,
        runtime: Runtime,
        port: u16,
        protocol: Protocol,
    ) -> Option<Vec<String>> {
        let spec = self.spec.healthcheck.as_ref()?;
        match (&spec.path, &spec.cmd) {
            (Some(_), Some(_)) => {
                self.error(
                    &["healthcheck"],
                    "`healthcheck` sets both `path` and `cmd`",
                    "keep one: `path` for an HTTP probe, or `cmd` for your own command",
                );
                None
            }
            (None, None) => {
                self.error(
                    &["healthcheck"],
                    "`healthcheck` needs `path` or `cmd`",
                    "add `path = \"/healthz\"` for an HTTP probe, or `cmd = [...]`",
                );
                None
            }
            (None, Some(cmd)) => Some(cmd.args().to_vec()),
            (Some(_), None) if protocol != Protocol::Http => {
                self.error(
                    &["healthcheck", "path"],
                    format!(
                        "`healthcheck.path` probes HTTP, and this service speaks {}",
                        protocol.as_str()
                    ),
                    "use `cmd` with a probe of the service's own protocol, for example `cmd = [\"grpc_health_probe\", \"-addr=:50051\"]`",
                );
                None
            }
            (Some(path), None) => {
                let url = format!("http://127.0.0.1:{port}{path}");
                let probe = http_probe(self.stack(), runtime, url);
                if probe.is_none() {
                    self.error(
                        &["healthcheck", "path"],
                        "the runtime image has no HTTP client to probe `path` with",
                        "use `cmd` with a command your binary provides, for example `cmd = [\"/app\", \"--healthcheck\"]`",
                    );
                }
                probe
            }
        }
    }

    fn healthcheck(
        &mut self,
        runtime: Runtime,
        port: u16,
        protocol: Protocol,
    ) -> Option<Healthcheck> {
        let cmd = self.healthcheck_command(runtime, port, protocol)?;
        let spec = self.spec.healthcheck.as_ref()?;
        let duration = |d: Option<&crate::spec::value::Duration>, default: &str| {
            d.map_or(default, |d| d.as_str()).to_owned()
        };
        let retries = match spec.retries {
            Some(0) => {
                self.error(
                    &["healthcheck", "retries"],
                    "`retries` must be at least 1",
                    "use 1 or more",
                );
                HEALTHCHECK_RETRIES
            }
            Some(n) => n,
            None => HEALTHCHECK_RETRIES,
        };
        Some(Healthcheck {
            cmd,
            interval: duration(spec.interval.as_ref(), HEALTHCHECK_INTERVAL),
            timeout: duration(spec.timeout.as_ref(), HEALTHCHECK_TIMEOUT),
            start_period: duration(spec.start_period.as_ref(), HEALTHCHECK_START_PERIOD),
            retries,
        })
    }

    fn secrets(&mut self) -> Vec<Secret> {
        let mut secrets: Vec<Secret> = Vec::new();
        for secret in self.spec.secrets.iter().flatten() {
            if secrets.iter().any(|s| s.id == secret.id.as_str()) {
                self.error(
                    &["secrets"],
                    format!("secret `{}` is listed twice", secret.id),
                    "give each secret its own `id`",
                );
                continue;
            }
            secrets.push(Secret {
                id: secret.id.to_string(),
                target: secret.target.as_ref().map(ToString::to_string),
                env: secret.env.as_ref().map(ToString::to_string),
                required: secret.required.unwrap_or(false),
            });
        }
        secrets
    }

    /// Extra instructions; the install points exist only where there is an install step.
    fn instructions(&mut self, runtime: Runtime) -> Instructions {
        let Some(spec) = &self.spec.instructions else {
            return Instructions::default();
        };
        let lines = |list: &[crate::spec::value::Instruction]| -> Vec<String> {
            list.iter().map(ToString::to_string).collect()
        };
        let instructions = Instructions {
            before_install: lines(&spec.before_install),
            after_install: lines(&spec.after_install),
            runtime: lines(&spec.runtime),
        };
        // A shell-form RUN needs /bin/sh, which distroless and scratch images lack.
        let shell_run = spec.runtime.iter().find(|i| i.runs_a_shell());
        if let (Some(line), false) = (shell_run, runtime.has_shell()) {
            let line = line.to_string();
            self.error(
                &["instructions", "runtime"],
                format!("`{line}` runs a shell, and the runtime image has none"),
                "write it in exec form (`RUN [\"program\", \"argument\"]`), or remove `runtime` for an image with a shell",
            );
        }
        let no_install = match self.stack() {
            Stack::Static => Some("stack `static` has no dependency install step"),
            Stack::Go if self.spec.vendor == Some(true) => {
                Some("with `vendor = true` there is no dependency install step")
            }
            _ => None,
        };
        if let Some(why) = no_install {
            for (key, list) in [
                ("before-install", &instructions.before_install),
                ("after-install", &instructions.after_install),
            ] {
                if !list.is_empty() {
                    self.error(
                        &["instructions", key],
                        format!("`instructions.{key}` does not apply: {why}"),
                        "remove it; `instructions.runtime` adds instructions to the final stage",
                    );
                }
            }
        }
        instructions
    }

    /// The service directory, the build context, the Dockerfile and the `.dockerignore`, and
    /// for a workspace build what it needs of the workspace.
    fn paths(&mut self) -> Paths {
        let spec = self.spec;
        let dir = spec.path.clone().unwrap_or_default();
        let context = spec.context.clone().unwrap_or_else(|| dir.clone());
        let mut dockerfile = spec
            .dockerfile
            .clone()
            .unwrap_or_else(|| RelPath::from_normal(DEFAULT_DOCKERFILE));
        if dockerfile.is_root() {
            self.error(
                &["dockerfile"],
                "`dockerfile` names a directory",
                "name the file, for example `Dockerfile`",
            );
        }
        let mut workspace = None;
        if context == dir {
            if spec.workspace_packages.is_some() {
                self.error(
                    &["workspace-packages"],
                    "`workspace-packages` applies only to a service built from its workspace root",
                    "set `context` to the workspace root (for example `context = \".\"`), or remove `workspace-packages`",
                );
            }
        } else {
            workspace = self.workspace(&context, &dir);
            let own = dir.strip_prefix(&context).unwrap_or_else(|| dir.clone());
            dockerfile = own.join(&dockerfile);
        }
        // BuildKit reads `<Dockerfile>.dockerignore` beside a Dockerfile before the context's
        // `.dockerignore`; a workspace root is shared, so each service there gets its own.
        let dockerignore_file = if dockerfile.as_str() == DEFAULT_DOCKERFILE {
            RelPath::from_normal(DEFAULT_DOCKERIGNORE)
        } else {
            RelPath::from_normal(&format!("{}.dockerignore", dockerfile.as_str()))
        };
        Paths {
            dir,
            context,
            dockerfile,
            dockerignore_file,
            workspace,
        }
    }

    /// What a service built from the root of its workspace needs of it.
    fn workspace(&mut self, context: &RelPath, dir: &RelPath) -> Option<WorkspaceBuild> {
        let stack = self.stack();
        if !dir.starts_with(context) {
            self.error(
                &["context"],
                format!(
                    "the build context `{context}` does not contain the service directory `{dir}`"
                ),
                "set `context` to the workspace root above `path`, or remove it",
            );
            return None;
        }
        let kind = match stack {
            Stack::NodeStatic | Stack::NodeServer => workspace::Kind::Node,
            Stack::Go => workspace::Kind::Go,
            Stack::Rust => workspace::Kind::Cargo,
            Stack::Python if self.uses_uv() => workspace::Kind::Uv,
            Stack::Python => {
                self.error(
                    &["context"],
                    "a Python service is built from its workspace root with uv only (a uv workspace)",
                    "remove `context`, or use `package-manager = \"uv\"` with the workspace's uv.lock",
                );
                return None;
            }
            Stack::Java | Stack::Static => {
                self.error(
                    &["context"],
                    format!(
                        "a build context above `path` is supported for node, go, Cargo and uv workspaces, not for stack `{}`",
                        stack.as_str()
                    ),
                    "remove `context`: the service is built from its own directory",
                );
                return None;
            }
        };
        let tree = self.tree;
        let graph = self
            .graphs
            .entry((kind, context.clone()))
            .or_insert_with(|| kind.read(tree, context));
        let found = match graph {
            Ok(g) => g.members(context, dir),
            Err(e) => Err(e.clone()),
        };
        let members = match found {
            Ok(m) => m,
            Err(e) => {
                self.workspace_error(*e);
                return None;
            }
        };
        let packages = match &self.spec.workspace_packages {
            None => members.used,
            Some(list) => self.listed_packages(list, context, dir, &members.all),
        };
        Some(WorkspaceBuild {
            dir: dir.strip_prefix(context).unwrap_or_default(),
            packages,
            members: members.all,
            package: members.package,
            external: members.external,
        })
    }

    /// Whether a Python service installs with uv, as `package-manager` or the lockfile's
    /// name says.
    fn uses_uv(&self) -> bool {
        self.spec.package_manager == Some(crate::spec::PackageManager::Uv)
            || self.spec.package_manager.is_none()
                && self
                    .spec
                    .lockfile
                    .as_ref()
                    .is_some_and(|l| l.file_name() == "uv.lock")
    }

    /// A problem with the workspace a service is built from: at `context`, and reported once
    /// however many services share the workspace.
    fn workspace_error(&mut self, mut d: Diagnostic) {
        // `context` differs from `path` only when it is written.
        let path = ["services", self.name, "context"];
        if d.location.is_none() && d.path.is_none() {
            d.location = self.loaded.error_at(&path, "").location;
        }
        if !self.diagnostics.0.contains(&d) {
            self.diagnostics.push(d);
        }
    }

    /// `workspace-packages`, checked against the members of the workspace.
    fn listed_packages(
        &mut self,
        list: &[RelPath],
        context: &RelPath,
        dir: &RelPath,
        all: &[RelPath],
    ) -> Vec<RelPath> {
        let mut out = Vec::new();
        for p in list {
            let rel = p.strip_prefix(context).unwrap_or_else(|| p.clone());
            if !all.contains(&rel) || p == dir {
                let members: Vec<String> =
                    all.iter().map(|m| context.join(m).to_string()).collect();
                self.error(
                    &["workspace-packages"],
                    format!("`{p}` is not another member of the workspace"),
                    format!("members: {}", members.join(", ")),
                );
            } else if !out.contains(&rel) {
                out.push(rel);
            }
        }
        out
    }

    fn port(&mut self) -> (u16, Vec<u16>, Protocol) {
        let port = self.spec.port.map_or(DEFAULT_PORT, Port::get);
        let extra_ports = self
            .spec
            .extra_ports
            .iter()
            .map(|p| p.get())
            .collect::<Vec<_>>();
        if extra_ports.contains(&port) {
            self.error(
                &["extra-ports"],
                format!("port {port} is already `port`"),
                "remove it from `extra-ports`",
            );
        }
        let protocol = self.spec.protocol.unwrap_or(Protocol::Http);
        if protocol == Protocol::None {
            for key in [ServiceKey::Port, ServiceKey::ExtraPorts] {
                if self.spec.is_set(key) {
                    self.error(
                        &[key.as_str()],
                        format!("a service with `protocol = \"none\"` listens on no port, so `{key}` does not apply"),
                        format!("remove `{key}`, or set `protocol` to what the service speaks on it"),
                    );
                }
            }
        }
        let nginx = matches!(self.stack(), Stack::NodeStatic | Stack::Static);
        if nginx && protocol != Protocol::Http {
            self.error(
                &["protocol"],
                format!(
                    "stack `{}` is served by nginx, which speaks HTTP",
                    self.stack().as_str()
                ),
                "remove `protocol`",
            );
        }
        (port, extra_ports, protocol)
    }

    fn system_packages(&mut self, runtime: Runtime) -> SystemPackages {
        let packages =
            self.spec
                .system_packages
                .as_ref()
                .map_or_else(SystemPackages::default, |p| SystemPackages {
                    build: p.build.iter().map(ToString::to_string).collect(),
                    runtime: p.runtime.iter().map(ToString::to_string).collect(),
                });
        // Each list is one line of the Dockerfile, which BuildKit reads up to 64 KiB.
        for (key, list) in [("build", &packages.build), ("runtime", &packages.runtime)] {
            let line: usize = list.iter().map(|p| p.len() + 1).sum();
            if line > MAX_PACKAGES_LINE {
                self.error(
                    &["system-packages", key],
                    format!("`system-packages.{key}` makes a line of {line} characters; at most {MAX_PACKAGES_LINE}"),
                    "install the long tail with a script of the project, or in a base image of your own",
                );
            }
        }
        if !packages.runtime.is_empty() && !runtime.has_shell() {
            let help = if self.stack() == Stack::Python {
                "remove `runtime` for Python's own image, or remove `system-packages.runtime`"
            } else {
                "use `runtime = \"slim\"`, or remove `system-packages.runtime`"
            };
            self.error(
                &["system-packages", "runtime"],
                "the runtime image has no package manager",
                help,
            );
        }
        packages
    }

    fn keep_ca_certificates(&mut self) -> bool {
        let keep = self.spec.keep_ca_certificates.unwrap_or(false);
        if keep && self.spec.ca_certificates.is_empty() {
            self.error(
                &["keep-ca-certificates"],
                "`keep-ca-certificates` is set but `ca-certificates` lists no certificate",
                "list the certificates in `ca-certificates`, or remove `keep-ca-certificates`",
            );
        }
        keep
    }

    /// How Bake and Compose name and build the image.
    fn publish(&mut self) -> Publish {
        let spec = self.spec;
        if spec.tags.as_ref().is_some_and(Vec::is_empty) {
            self.error(
                &["tags"],
                "`tags` is empty: the Bake and Compose files name the image by its tags",
                "list at least one tag, such as `[\"latest\"]`, or remove `tags` for that default",
            );
        }
        let registry = self
            .loaded
            .spec
            .workspace
            .as_ref()
            .and_then(|w| w.registry.as_ref());
        let image = match (&spec.image, registry) {
            (Some(image), _) => image.to_string(),
            (None, Some(registry)) => format!("{registry}/{}", self.name),
            (None, None) => self.name.to_owned(),
        };
        let strings = |list: Option<&Vec<_>>| -> Vec<String> {
            list.into_iter()
                .flatten()
                .map(|v: &_| format!("{v}"))
                .collect()
        };
        let caches = |list: Option<&Vec<crate::spec::value::CacheOption>>| -> Vec<String> {
            list.into_iter()
                .flatten()
                .map(|c| c.for_service(self.name))
                .collect()
        };
        Publish {
            image,
            tags: spec.tags.as_ref().map_or_else(
                || vec![DEFAULT_TAG.to_owned()],
                |t| t.iter().map(ToString::to_string).collect(),
            ),
            platforms: strings(spec.platforms.as_ref()),
            cache_from: caches(spec.cache_from.as_ref()),
            cache_to: caches(spec.cache_to.as_ref())
                .into_iter()
                .map(with_default_mode)
                .collect(),
        }
    }

    /// Resolves one service; `None` when it has errors, which are in the diagnostics. The
    /// checks run in the order of the keys in the documentation, so errors are reported in
    /// an order users can follow.
    // The option checks in the order of the documented keys, so that errors come in that order; the stack models and the publish step are functions of their own.
    #[allow(clippy::too_many_lines)]
    fn service(&mut self) -> Option<Service> {
        let before = self.diagnostics.0.len();
        self.check_applicable();
        let family = self.family();
        let runtime = self.stack_runtime();
        let inputs = self.stack_inputs(runtime);
        let (builder_image, runtime_image) = self.images(family, runtime, inputs.pm);
        let (port, extra_ports, protocol) = self.port();
        let system_packages = self.system_packages(runtime);
        let user = self.user(runtime);
        let healthcheck = self.healthcheck(runtime, port, protocol);
        let secrets = self.secrets();
        let keep_ca = self.keep_ca_certificates();
        let paths = self.paths();
        let ca = CaCertificates {
            files: self
                .spec
                .ca_certificates
                .iter()
                .map(|c| paths.in_context(c))
                .collect(),
            keep: keep_ca,
        };
        let runtime_files = spec_runtime_files(self.spec, &paths);
        let stack = self.stack_model(inputs, builder_image, &paths);
        let instructions = self.instructions(runtime);
        let publish = self.publish();
        let (processes, release) = self.commands(runtime);
        if self.spec.processes.keys().any(|k| k.as_str() == "release") {
            self.error(
                &["processes", "release"],
                "a process may not be named `release`: Compose names the release command's one-shot service `<service>-release`",
                "give the process another name, or use the key `release` for a command run once before the service starts",
            );
        }
        if self.diagnostics.0.len() > before {
            return None;
        }
        let Paths {
            dir,
            context,
            dockerfile,
            dockerignore_file,
            workspace,
        } = paths;
        let spec = self.spec;
        Some(Service {
            runtime_files,
            writable_dirs: spec.writable_dirs.clone(),
            name: self.name.to_owned(),
            dir,
            context,
            workspace,
            dockerfile,
            dockerignore_file,
            family,
            runtime_image,
            port,
            extra_ports,
            protocol,
            env: string_map(&spec.env),
            build_args: string_map(&spec.build_args),
            system_packages,
            user,
            healthcheck,
            init: spec.init.unwrap_or(DEFAULT_INIT),
            labels: string_map(&spec.labels),
            dockerignore: spec
                .dockerignore
                .iter()
                .flatten()
                .map(ToString::to_string)
                .collect(),
            secrets,
            ca,
            cache_mounts: spec.cache_mounts.unwrap_or(DEFAULT_CACHE_MOUNTS),
            copy_link: spec.copy_link.unwrap_or(DEFAULT_COPY_LINK),
            template: spec
                .template
                .as_ref()
                .map_or(Template::Stack, |t| Template::Chosen(t.to_string())),
            instructions,
            publish,
            processes,
            release,
            stack: stack?,
        })
    }
}

impl Resolver<'_> {
    /// The processes and the release command, as the runtime image runs them.
    fn commands(&mut self, runtime: Runtime) -> (Vec<Process>, Option<Vec<String>>) {
        let spec = self.spec;
        let distroless_python = spec.stack == Stack::Python && runtime == Runtime::Distroless;
        let mut processes = Vec::new();
        for (name, command) in &spec.processes {
            let mut command = command.args().to_vec();
            if distroless_python {
                command = self.distroless_python_command(&["processes", name.as_str()], command);
            }
            processes.push(Process {
                name: name.to_string(),
                command,
            });
        }
        let release = spec.release.as_ref().map(|c| {
            let command = c.args().to_vec();
            if distroless_python {
                self.distroless_python_command(&["release"], command)
            } else {
                command
            }
        });
        (processes, release)
    }
}

/// `runtime-files`, relative to the build context.
fn spec_runtime_files(spec: &ServiceSpec, paths: &Paths) -> Vec<RelPath> {
    spec.runtime_files
        .iter()
        .map(|f| paths.in_context(f))
        .collect()
}

/// An HTTP probe of `url` with what the runtime image has: node, python or curl. The URL is
/// an argument of its own, never part of the program text, so no character of `path` can
/// change what the probe runs.
fn http_probe(stack: Stack, runtime: Runtime, url: String) -> Option<Vec<String>> {
    match (stack, runtime) {
        (Stack::NodeServer, _) => Some(vec![
            match runtime {
                Runtime::Distroless => "/nodejs/bin/node".into(),
                Runtime::Bun => "bun".into(),
                _ => "node".into(),
            },
            "-e".into(),
            "fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
                .into(),
            url,
        ]),
        (Stack::Python, _) => Some(vec![
            if runtime == Runtime::Distroless {
                super::python_runtime::DISTROLESS_PYTHON_BIN.into()
            } else {
                "python".into()
            },
            "-c".into(),
            "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=4)".into(),
            url,
        ]),
        (_, Runtime::Nginx) => Some(vec![
            "curl".into(),
            "--fail".into(),
            "--silent".into(),
            "--output".into(),
            "/dev/null".into(),
            url,
        ]),
        _ => None,
    }
}

fn family_name(family: Family) -> &'static str {
    match family {
        Family::Debian => "debian",
        Family::Alpine => "alpine",
    }
}

fn string_map<K: ToString, V: ToString>(map: &BTreeMap<K, V>) -> BTreeMap<String, String> {
    map.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{cache_destination, with_default_mode};

    #[test]
    fn a_cache_export_without_a_mode_exports_every_stage() {
        let completed = |o: &str| with_default_mode(o.to_owned());
        assert_eq!(
            completed("type=registry,ref=ghcr.io/acme/cache:api"),
            "type=registry,ref=ghcr.io/acme/cache:api,mode=max"
        );
        assert_eq!(
            completed("type=local,dest=/tmp/c,mode=min"),
            "type=local,dest=/tmp/c,mode=min"
        );
        assert_eq!(completed("type=gha"), "type=gha,mode=max");
        // inline caches hold the final image's layers only: no mode to set
        assert_eq!(completed("type=inline"), "type=inline");
    }

    #[test]
    fn where_a_cache_export_writes() {
        assert_eq!(
            cache_destination("type=registry,ref=r/c:api,mode=max"),
            Some("r/c:api")
        );
        assert_eq!(cache_destination("type=local,dest=/tmp/c"), Some("/tmp/c"));
        assert_eq!(cache_destination("type=gha,scope=api"), None);
        assert_eq!(cache_destination("type=inline"), None);
    }
}
