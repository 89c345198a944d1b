//! Spec → model: defaults, cross-key checks, and every problem reported at once.

use std::collections::BTreeMap;
use std::path::Path;

use super::defaults::{
    self, APP_UID, DEFAULT_PORT, DEFAULT_TEMPLATES_DIR, NGINX_UID, NODE_UID, NONROOT_UID,
};
use super::inherit::{inherit, Inherited};
use super::{
    GoOptions, Healthcheck, Instructions, Lockfile, Project, Runtime, Secret, Service, User,
    WorkspaceBuild,
};
use crate::diagnostic::Diagnostics;
use crate::spec::value::{Port, RelPath};
use crate::spec::{
    Family, LoadedConfig, OutputFile, PackageManager, RuntimeBase, ServiceSpec, Stack, CONFIG_FILE,
};
use crate::workspace::{self, Tree};

use Stack::{Go, NodeServer, NodeStatic, Python, Rust, Static};

/// Which stacks each stack-specific key applies to.
const APPLIES_TO: &[(&str, &[Stack])] = &[
    ("version", &[NodeStatic, NodeServer, Go, Python, Rust]),
    ("runtime", &[Go, Rust]),
    (
        "package-manager",
        &[NodeStatic, NodeServer, Go, Python, Rust],
    ),
    ("lockfile", &[NodeStatic, NodeServer, Go, Python, Rust]),
    ("install", &[NodeStatic, NodeServer, Python]),
    ("build", &[NodeStatic, NodeServer]),
    ("start", &[NodeServer, Python]),
    ("output-dir", &[NodeStatic, NodeServer, Static]),
    ("spa", &[NodeStatic, Static]),
    ("main", &[Go]),
    ("vendor", &[Go]),
    ("cgo", &[Go]),
    ("bin", &[Rust]),
    ("secrets", &[NodeStatic, NodeServer, Go, Python, Rust]),
    (
        "ca-certificates",
        &[NodeStatic, NodeServer, Go, Python, Rust],
    ),
    ("keep-ca-certificates", &[NodeServer, Go, Python, Rust]),
];

/// Resolves a loaded `mbgen.toml` into the model. `tree` is the project directory, read for
/// the members of workspaces that services are built from.
pub fn resolve(loaded: &LoadedConfig, tree: &Tree) -> Result<Project, Diagnostics> {
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
    let mut outputs: BTreeMap<String, &str> = BTreeMap::new();
    for service in &services {
        let path = join(&service.context, &service.dockerfile);
        if let Some(other) = outputs.insert(path.clone(), &service.name) {
            diagnostics.push(
                loaded
                    .error_at(
                        &["services", &service.name],
                        format!(
                            "services `{other}` and `{}` would both write {path}",
                            service.name
                        ),
                    )
                    .help("give one of them another `path` or `dockerfile`"),
            );
        }
    }
    let config_name = loaded.source.path.file_name().map_or_else(
        || CONFIG_FILE.to_owned(),
        |n| n.to_string_lossy().into_owned(),
    );
    let templates_dir = loaded
        .spec
        .templates_dir
        .as_ref()
        .map_or_else(|| DEFAULT_TEMPLATES_DIR.to_owned(), RelPath::normalized);
    if templates_dir.is_empty() {
        diagnostics.push(
            loaded
                .error_at_value(
                    &["templates-dir"],
                    "`templates-dir` cannot be the project directory itself",
                )
                .help("name a directory of its own, for example `docker/templates`"),
        );
    }
    let (bake, compose) = workspace_files(loaded, &services, &config_name, &mut diagnostics);
    diagnostics.into_result(Project {
        config_name,
        templates_dir,
        templates_dir_set: loaded.spec.templates_dir.is_some(),
        services,
        bake,
        compose,
    })
}

/// Where the workspace's Bake and Compose files go, checked against each other, the
/// configuration file and the files of the services.
fn workspace_files(
    loaded: &LoadedConfig,
    services: &[Service],
    config_name: &str,
    diagnostics: &mut Diagnostics,
) -> (Option<String>, Option<String>) {
    let output = |file: Option<&OutputFile>, default: &str| match file {
        None | Some(OutputFile::Enabled(true)) => Some(default.to_owned()),
        Some(OutputFile::Enabled(false)) => None,
        Some(OutputFile::Path(p)) => Some(p.normalized()),
    };
    let workspace = loaded.spec.workspace.as_ref();
    let (bake, compose) = workspace.map_or((None, None), |ws| {
        (
            output(ws.bake.as_ref(), DEFAULT_BAKE_FILE),
            output(ws.compose.as_ref(), DEFAULT_COMPOSE_FILE),
        )
    });
    for (key, file) in [("bake", &bake), ("compose", &compose)] {
        let Some(file) = file else { continue };
        if key == "compose" && bake.as_ref() == Some(file) {
            // At the key written: a default names no line.
            let written = if workspace.is_some_and(|ws| ws.compose.is_some()) {
                "compose"
            } else {
                "bake"
            };
            diagnostics.push(
                loaded
                    .error_at_value(
                        &["workspace", written],
                        format!("`bake` and `compose` both name {file}"),
                    )
                    .help("give each its own file, such as `docker-bake.hcl` and `compose.yaml`"),
            );
        } else if file == config_name {
            diagnostics.push(
                loaded
                    .error_at_value(
                        &["workspace", key],
                        format!("`{key}` names {config_name} itself"),
                    )
                    .help("name another file"),
            );
        } else if file.is_empty() {
            diagnostics.push(
                loaded
                    .error_at_value(&["workspace", key], format!("`{key}` names a directory"))
                    .help("name the file, for example `docker-bake.hcl`"),
            );
        } else if let Some(service) = services.iter().find(|s| {
            join(&s.context, &s.dockerfile) == *file
                || join(&s.context, &s.dockerignore_file) == *file
        }) {
            diagnostics.push(
                loaded
                    .error_at_value(
                        &["workspace", key],
                        format!("service `{}` already writes {file}", service.name),
                    )
                    .help("name another file"),
            );
        }
    }
    (bake, compose)
}

/// Joins two normalised relative paths.
pub(crate) fn join(base: &str, rest: &str) -> String {
    match (base.is_empty(), rest.is_empty()) {
        (true, _) => rest.to_owned(),
        (false, true) => base.to_owned(),
        (false, false) => format!("{base}/{rest}"),
    }
}

/// The Bake file a `[workspace]` gets unless `bake` names another.
pub const DEFAULT_BAKE_FILE: &str = "docker-bake.hcl";
/// The Compose file a `[workspace]` gets unless `compose` names another.
pub const DEFAULT_COMPOSE_FILE: &str = "compose.yaml";

struct Resolver<'a> {
    loaded: &'a LoadedConfig,
    name: &'a str,
    /// The service with the workspace defaults filled in.
    spec: &'a ServiceSpec,
    /// Keys that came from `[workspace]`, and where they are written there.
    origins: &'a BTreeMap<&'static str, Vec<String>>,
    tree: &'a Tree,
    /// Workspaces read so far, by kind (go or not) and root: each is read once.
    graphs: &'a mut Graphs,
    diagnostics: &'a mut Diagnostics,
}

type Graphs = BTreeMap<
    (workspace::Kind, String),
    Result<workspace::Graph, Box<crate::diagnostic::Diagnostic>>,
>;

impl Resolver<'_> {
    /// An error at a key of this service, or at the `[workspace]` default it inherited.
    fn error(&mut self, key: &[&str], message: impl Into<String>, help: impl Into<String>) {
        let inherited = key.first().and_then(|k| self.origins.get(k));
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

    fn is_set(&self, key: &str) -> bool {
        let s = self.spec;
        match key {
            "version" => s.version.is_some(),
            "runtime" => s.runtime.is_some(),
            "package-manager" => s.package_manager.is_some(),
            "lockfile" => s.lockfile.is_some(),
            "install" => s.install.is_some(),
            "build" => s.build.is_some(),
            "start" => s.start.is_some(),
            "output-dir" => s.output_dir.is_some(),
            "spa" => s.spa.is_some(),
            "main" => s.main.is_some(),
            "vendor" => s.vendor.is_some(),
            "cgo" => s.cgo.is_some(),
            "bin" => s.bin.is_some(),
            "secrets" => s.secrets.as_ref().is_some_and(|v| !v.is_empty()),
            "ca-certificates" => !s.ca_certificates.is_empty(),
            "keep-ca-certificates" => s.keep_ca_certificates.is_some(),
            _ => unreachable!("unknown key {key}"),
        }
    }

    fn check_applicable(&mut self) {
        let stack = self.spec.stack;
        for (key, stacks) in APPLIES_TO {
            if self.is_set(key) && !stacks.contains(&stack) {
                let list = stacks
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                self.error(
                    &[key],
                    format!("`{key}` does not apply to stack `{}`", stack.as_str()),
                    format!("remove it; it applies to: {list}"),
                );
            }
        }
        if stack == Static
            && self
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
        if stack == Static
            && self
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

    fn runtime(&mut self) -> Runtime {
        let stack = self.spec.stack;
        match stack {
            NodeStatic | Static => Runtime::Nginx,
            NodeServer | Python => Runtime::Language,
            Go | Rust => match self.spec.runtime {
                Some(RuntimeBase::Scratch) if stack == Rust => {
                    self.error(
                        &["runtime"],
                        "a Rust binary needs the C library, which `scratch` lacks",
                        "use `runtime = \"distroless\"` (the smallest with a C library) or `\"slim\"`",
                    );
                    Runtime::Distroless
                }
                Some(RuntimeBase::Scratch) => Runtime::Scratch,
                Some(RuntimeBase::Distroless) => Runtime::Distroless,
                None if stack == Go => Runtime::Distroless,
                Some(RuntimeBase::Slim) | None => Runtime::Slim,
            },
        }
    }

    fn package_manager(&mut self, lockfile: Option<&str>) -> PackageManager {
        let stack = self.spec.stack;
        let allowed: &[PackageManager] = match stack {
            NodeStatic | NodeServer => &[
                PackageManager::Npm,
                PackageManager::Yarn,
                PackageManager::Pnpm,
            ],
            Python => &[
                PackageManager::Pip,
                PackageManager::Uv,
                PackageManager::Poetry,
                PackageManager::Pdm,
                PackageManager::Pipenv,
            ],
            Go => &[PackageManager::Go],
            Rust => &[PackageManager::Cargo],
            Static => &[PackageManager::Npm],
        };
        if let Some(pm) = self.spec.package_manager {
            if !allowed.contains(&pm) {
                let list = allowed
                    .iter()
                    .map(|p| p.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                self.error(
                    &["package-manager"],
                    format!(
                        "package manager `{}` does not fit stack `{}`",
                        pm.as_str(),
                        stack.as_str()
                    ),
                    format!("use one of: {list}"),
                );
            }
            return pm;
        }
        let inferred = lockfile.and_then(|l| {
            let file = l.rsplit('/').next().unwrap_or(l);
            match file {
                "package-lock.json" | "npm-shrinkwrap.json" => Some(PackageManager::Npm),
                "yarn.lock" => Some(PackageManager::Yarn),
                "pnpm-lock.yaml" => Some(PackageManager::Pnpm),
                "uv.lock" => Some(PackageManager::Uv),
                "poetry.lock" => Some(PackageManager::Poetry),
                "pdm.lock" => Some(PackageManager::Pdm),
                "Pipfile.lock" => Some(PackageManager::Pipenv),
                f if Path::new(f)
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("txt")) =>
                {
                    Some(PackageManager::Pip)
                }
                _ => None,
            }
        });
        match inferred {
            Some(pm) if allowed.contains(&pm) => pm,
            Some(pm) => {
                self.error(
                    &["lockfile"],
                    format!(
                        "lockfile `{}` belongs to {}, which does not fit stack `{}`",
                        lockfile.unwrap_or_default(),
                        pm.as_str(),
                        stack.as_str()
                    ),
                    "name the lockfile of the service's own package manager",
                );
                allowed[0]
            }
            None => {
                if lockfile.is_some() && matches!(stack, NodeStatic | NodeServer | Python) {
                    self.error(
                        &["lockfile"],
                        "cannot tell the package manager from the lockfile's name",
                        "set `package-manager` too",
                    );
                }
                allowed[0]
            }
        }
    }

    fn lockfile(&self, pm: PackageManager) -> Lockfile {
        if let Some(path) = &self.spec.lockfile {
            return Lockfile {
                path: path.normalized(),
                optional: false,
            };
        }
        let (path, optional) = match pm {
            PackageManager::Npm => ("package-lock.json", false),
            PackageManager::Yarn => ("yarn.lock", false),
            PackageManager::Pnpm => ("pnpm-lock.yaml", false),
            PackageManager::Pip => ("requirements.txt", false),
            PackageManager::Uv => ("uv.lock", false),
            PackageManager::Poetry => ("poetry.lock", false),
            PackageManager::Pdm => ("pdm.lock", false),
            PackageManager::Pipenv => ("Pipfile.lock", false),
            PackageManager::Go => ("go.sum", true),
            PackageManager::Cargo => ("Cargo.lock", false),
        };
        Lockfile {
            path: path.to_owned(),
            optional,
        }
    }

    fn user(&mut self, runtime: Runtime) -> User {
        let user = |name: &str, uid: u32, create: bool| User {
            name: name.to_owned(),
            uid,
            create,
        };
        let default = match (self.spec.stack, runtime) {
            (NodeServer, _) => user("node", NODE_UID, false),
            (_, Runtime::Nginx) => user("nginx", NGINX_UID, false),
            (_, Runtime::Distroless | Runtime::Scratch) => user("nonroot", NONROOT_UID, false),
            _ => user("app", APP_UID, true),
        };
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
        user(wanted, APP_UID, true)
    }

    fn healthcheck(&mut self, runtime: Runtime, port: u16) -> Option<Healthcheck> {
        let spec = self.spec.healthcheck.as_ref()?;
        let cmd = match (&spec.path, &spec.cmd) {
            (Some(_), Some(_)) => {
                self.error(
                    &["healthcheck"],
                    "`healthcheck` sets both `path` and `cmd`",
                    "keep one: `path` for an HTTP probe, or `cmd` for your own command",
                );
                return None;
            }
            (None, None) => {
                self.error(
                    &["healthcheck"],
                    "`healthcheck` needs `path` or `cmd`",
                    "add `path = \"/healthz\"` for an HTTP probe, or `cmd = [...]`",
                );
                return None;
            }
            (None, Some(cmd)) => cmd.args().to_vec(),
            (Some(path), None) => {
                let url = format!("http://127.0.0.1:{port}{path}");
                match (self.spec.stack, runtime) {
                    (NodeServer, _) => vec![
                        "node".into(),
                        "-e".into(),
                        format!("fetch('{url}').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"),
                    ],
                    (Python, _) => vec![
                        "python".into(),
                        "-c".into(),
                        format!("import urllib.request; urllib.request.urlopen('{url}', timeout=4)"),
                    ],
                    (_, Runtime::Nginx) => vec![
                        "curl".into(),
                        "--fail".into(),
                        "--silent".into(),
                        "--output".into(),
                        "/dev/null".into(),
                        url,
                    ],
                    _ => {
                        self.error(
                            &["healthcheck", "path"],
                            "the runtime image has no HTTP client to probe `path` with",
                            "use `cmd` with a command your binary provides, for example `cmd = [\"/app\", \"--healthcheck\"]`",
                        );
                        return None;
                    }
                }
            }
        };
        Some(Healthcheck {
            cmd,
            interval: spec
                .interval
                .as_ref()
                .map_or("30s", |d| d.as_str())
                .to_owned(),
            timeout: spec
                .timeout
                .as_ref()
                .map_or("5s", |d| d.as_str())
                .to_owned(),
            start_period: spec
                .start_period
                .as_ref()
                .map_or("10s", |d| d.as_str())
                .to_owned(),
            retries: match spec.retries {
                Some(0) => {
                    self.error(
                        &["healthcheck", "retries"],
                        "`retries` must be at least 1",
                        "use 1 or more",
                    );
                    3
                }
                Some(n) => n,
                None => 3,
            },
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
    fn instructions(&mut self) -> Instructions {
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
        let no_install = match self.spec.stack {
            Static => Some("stack `static` has no dependency install step"),
            Go if self.spec.vendor == Some(true) => {
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

    /// The stack's start command, required where the stack has no default.
    fn start(&mut self) -> Vec<String> {
        let stack = self.spec.stack;
        let start = self
            .spec
            .start
            .as_ref()
            .map(|c| c.args().to_vec())
            .unwrap_or_default();
        if start.is_empty() && matches!(stack, NodeServer | Python) {
            let example = match stack {
                NodeServer => "start = [\"node\", \"dist/server.js\"]",
                _ => "start = [\"gunicorn\", \"--bind\", \"0.0.0.0:8080\", \"app:app\"]",
            };
            self.error(
                &[],
                format!("stack `{}` needs a `start` command", stack.as_str()),
                format!("add the command that starts the app, for example `{example}`"),
            );
        }
        start
    }

    /// The service directory, the build context, the Dockerfile and the `.dockerignore`, as
    /// normalised paths, and for a workspace build what it needs of the workspace.
    fn paths(&mut self) -> Paths {
        let spec = self.spec;
        let path = spec
            .path
            .as_ref()
            .map_or_else(String::new, RelPath::normalized);
        let context = spec
            .context
            .as_ref()
            .map_or_else(|| path.clone(), RelPath::normalized);
        let mut dockerfile = spec
            .dockerfile
            .as_ref()
            .map_or_else(|| "Dockerfile".to_owned(), RelPath::normalized);
        if dockerfile.is_empty() {
            self.error(
                &["dockerfile"],
                "`dockerfile` names a directory",
                "name the file, for example `Dockerfile`",
            );
        }
        let mut workspace = None;
        if context == path {
            if spec.workspace_packages.is_some() {
                self.error(
                    &["workspace-packages"],
                    "`workspace-packages` applies only to a service built from its workspace root",
                    "set `context` to the workspace root (for example `context = \".\"`), or remove `workspace-packages`",
                );
            }
        } else {
            workspace = self.workspace(&context, &path);
            dockerfile = join(&workspace::relative(&context, &path), &dockerfile);
        }
        // BuildKit reads `<Dockerfile>.dockerignore` beside a Dockerfile before the context's
        // `.dockerignore`; a workspace root is shared, so each service there gets its own.
        let dockerignore_file = if dockerfile == "Dockerfile" {
            ".dockerignore".to_owned()
        } else {
            format!("{dockerfile}.dockerignore")
        };
        Paths {
            path,
            context,
            dockerfile,
            dockerignore_file,
            workspace,
        }
    }

    /// What a service built from the root of its workspace needs of it.
    fn workspace(&mut self, context: &str, path: &str) -> Option<WorkspaceBuild> {
        let stack = self.spec.stack;
        let inside = context.is_empty() || path.starts_with(&format!("{context}/"));
        if !inside {
            self.error(
                &["context"],
                format!(
                    "the build context `{}` does not contain the service directory `{}`",
                    dir_or_dot(context),
                    dir_or_dot(path)
                ),
                "set `context` to the workspace root above `path`, or remove it",
            );
            return None;
        }
        let kind = match stack {
            NodeStatic | NodeServer => workspace::Kind::Node,
            Go => workspace::Kind::Go,
            Rust => workspace::Kind::Cargo,
            _ => {
                self.error(
                    &["context"],
                    format!(
                        "a build context above `path` is supported for node, go and Cargo workspaces, not for stack `{}`",
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
            .entry((kind, context.to_owned()))
            .or_insert_with(|| kind.read(tree, context));
        let found = match graph {
            Ok(g) => g.members(context, path),
            Err(e) => Err(e.clone()),
        };
        let members = match found {
            Ok(m) => m,
            Err(e) => {
                // `context` differs from `path` only when it is written.
                let path = ["services", self.name, "context"];
                let mut d = *e;
                if d.location.is_none() && d.path.is_none() {
                    d.location = self.loaded.error_at(&path, "").location;
                }
                // One broken workspace file is reported once, not per service.
                if !self.diagnostics.0.contains(&d) {
                    self.diagnostics.push(d);
                }
                return None;
            }
        };
        let packages = match &self.spec.workspace_packages {
            None => members.used,
            Some(list) => {
                let mut out = Vec::new();
                for p in list {
                    let p = p.normalized();
                    let rel = workspace::relative(context, &p);
                    if !members.all.contains(&rel) || p == path {
                        self.error(
                            &["workspace-packages"],
                            format!(
                                "`{}` is not another member of the workspace",
                                dir_or_dot(&p)
                            ),
                            format!(
                                "members: {}",
                                members
                                    .all
                                    .iter()
                                    .map(|m| join(context, m))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        );
                    } else if !out.contains(&rel) {
                        out.push(rel);
                    }
                }
                out
            }
        };
        Some(WorkspaceBuild {
            dir: workspace::relative(context, path),
            packages,
            members: members.all,
            package: members.package,
            external: members.external,
        })
    }

    /// The builder and runtime images: explicit ones, or the defaults for the stack.
    fn images(&self, family: Family, runtime: Runtime) -> (String, String) {
        let spec = self.spec;
        let stack = spec.stack;
        let version = spec
            .version
            .as_ref()
            .map_or_else(|| defaults::version(stack).to_owned(), ToString::to_string);
        let images = spec.images.as_ref();
        let builder_image = images.and_then(|i| i.builder.as_ref()).map_or_else(
            || defaults::builder_image(stack, family, &version),
            ToString::to_string,
        );
        let runtime_image = images.and_then(|i| i.runtime.as_ref()).map_or_else(
            || defaults::runtime_image(stack, family, runtime, &builder_image),
            ToString::to_string,
        );

        (builder_image, runtime_image)
    }

    // One line or so per model field: splitting it further would scatter the defaults.
    #[allow(clippy::too_many_lines)]
    fn service(&mut self) -> Option<Service> {
        let spec = self.spec;
        let stack = spec.stack;
        let before = self.diagnostics.0.len();
        self.check_applicable();

        let family = self.family();
        let runtime = self.runtime();
        let (builder_image, runtime_image) = self.images(family, runtime);

        if stack == Go && spec.cgo == Some(true) && !runtime.has_shell() {
            self.error(
                &["cgo"],
                "a cgo binary needs the C library, which the `scratch` and `distroless` runtimes lack",
                "set `runtime = \"slim\"`, or remove `cgo` to build a static binary",
            );
        }

        let pm = self.package_manager(spec.lockfile.as_ref().map(RelPath::as_str));
        let lockfile = self.lockfile(pm);

        let start = self.start();

        let port = spec.port.map_or(DEFAULT_PORT, Port::get);
        let extra_ports = spec.extra_ports.iter().map(|p| p.get()).collect::<Vec<_>>();
        if extra_ports.contains(&port) {
            self.error(
                &["extra-ports"],
                format!("port {port} is already `port`"),
                "remove it from `extra-ports`",
            );
        }

        let (build_packages, runtime_packages) = spec.system_packages.as_ref().map_or_else(
            || (Vec::new(), Vec::new()),
            |p| {
                (
                    p.build.iter().map(ToString::to_string).collect(),
                    p.runtime.iter().map(ToString::to_string).collect(),
                )
            },
        );
        if !runtime_packages.is_empty() && !runtime.has_shell() {
            self.error(
                &["system-packages", "runtime"],
                "the runtime image has no package manager",
                "use `runtime = \"slim\"`, or remove `system-packages.runtime`",
            );
        }

        let user = self.user(runtime);
        let healthcheck = self.healthcheck(runtime, port);

        let secrets = self.secrets();
        let keep_ca_certificates = spec.keep_ca_certificates.unwrap_or(false);
        if keep_ca_certificates && spec.ca_certificates.is_empty() {
            self.error(
                &["keep-ca-certificates"],
                "`keep-ca-certificates` is set but `ca-certificates` lists no certificate",
                "list the certificates in `ca-certificates`, or remove `keep-ca-certificates`",
            );
        }

        let Paths {
            path,
            context,
            dockerfile,
            dockerignore_file,
            workspace,
        } = self.paths();

        let output_dir = spec.output_dir.as_ref().map_or_else(
            || {
                if stack == Static {
                    String::new()
                } else {
                    "dist".to_owned()
                }
            },
            RelPath::normalized,
        );
        if output_dir.is_empty() && stack != Static {
            self.error(
                &["output-dir"],
                "`output-dir` cannot be the service directory itself",
                "name the directory the build writes, for example `dist`",
            );
        }
        let build =
            spec.build.as_ref().map(ToString::to_string).or_else(|| {
                (stack == NodeStatic).then(|| default_node_build(pm, workspace.as_ref()))
            });
        // Paths the user wrote relative to `path` become relative to the build context.
        let in_context = |p: String| match &workspace {
            Some(ws) => join(&ws.dir, &p),
            None => p,
        };
        let output_dir = in_context(output_dir);
        let ca_certificates: Vec<String> = spec
            .ca_certificates
            .iter()
            .map(|c| in_context(c.normalized()))
            .collect();
        if stack == Go && spec.vendor == Some(true) && workspace.is_some() {
            self.error(
                &["vendor"],
                "`vendor = true` is not supported for a service built from its `go.work` root",
                "remove `vendor` to download modules, or remove `context` to build the module alone",
            );
        }

        let go_main = join(
            workspace.as_ref().map_or("", |w| w.dir.as_str()),
            &spec
                .main
                .as_ref()
                .map(RelPath::normalized)
                .unwrap_or_default(),
        );
        let go = GoOptions {
            main: if go_main.is_empty() {
                ".".to_owned()
            } else {
                format!("./{go_main}")
            },
            vendor: spec.vendor.unwrap_or(false),
            cgo: spec.cgo.unwrap_or(false),
        };

        let instructions = self.instructions();
        if spec.tags.as_ref().is_some_and(Vec::is_empty) {
            self.error(
                &["tags"],
                "`tags` is empty: the Bake and Compose files name the image by its tags",
                "list at least one tag, such as `[\"latest\"]`, or remove `tags` for that default",
            );
        }

        if self.diagnostics.0.len() > before {
            return None;
        }
        let image = spec.image.as_ref().map_or_else(
            || match self
                .loaded
                .spec
                .workspace
                .as_ref()
                .and_then(|w| w.registry.as_ref())
            {
                Some(registry) => format!("{registry}/{}", self.name),
                None => self.name.to_owned(),
            },
            ToString::to_string,
        );
        let strings = |list: Option<&Vec<_>>| -> Vec<String> {
            list.into_iter()
                .flatten()
                .map(|v: &_| format!("{v}"))
                .collect()
        };
        let tags = spec.tags.as_ref().map_or_else(
            || vec!["latest".to_owned()],
            |t| t.iter().map(ToString::to_string).collect(),
        );
        // A crate's binary is named after its package unless it says otherwise.
        let rust_bin = spec.bin.as_ref().map_or_else(
            || {
                workspace
                    .as_ref()
                    .and_then(|w| w.package.clone())
                    .unwrap_or_else(|| self.name.to_owned())
            },
            ToString::to_string,
        );
        Some(Service {
            name: self.name.to_owned(),
            stack,
            path,
            context,
            workspace,
            image,
            tags,
            platforms: strings(spec.platforms.as_ref()),
            cache_from: spec
                .cache_from
                .iter()
                .flatten()
                .map(|c| c.for_service(self.name))
                .collect(),
            cache_to: spec
                .cache_to
                .iter()
                .flatten()
                .map(|c| c.for_service(self.name))
                .collect(),
            dockerfile,
            dockerignore_file,
            family,
            builder_image,
            runtime_image,
            runtime,
            package_manager: pm,
            lockfile,
            install: spec.install.as_ref().map(ToString::to_string),
            build,
            start,
            output_dir,
            spa: spec.spa.unwrap_or(false),
            go,
            rust_bin,
            port,
            extra_ports,
            env: string_map(&spec.env),
            build_args: string_map(&spec.build_args),
            build_packages,
            runtime_packages,
            user,
            healthcheck,
            labels: string_map(&spec.labels),
            dockerignore: spec
                .dockerignore
                .iter()
                .flatten()
                .map(ToString::to_string)
                .collect(),
            secrets,
            ca_certificates,
            keep_ca_certificates,
            cache_mounts: spec.cache_mounts.unwrap_or(true),
            template: spec.template.as_ref().map_or_else(
                || crate::plan::dockerfile_template(stack).to_owned(),
                ToString::to_string,
            ),
            custom_template: spec.template.is_some(),
            instructions,
        })
    }
}

/// The default build command of `node-static`. From a workspace root with npm, the
/// workspace packages the service uses are built first, where they have a `build` script.
fn default_node_build(pm: PackageManager, workspace: Option<&WorkspaceBuild>) -> String {
    let own = format!("{} run build", pm.as_str());
    let Some(ws) = workspace.filter(|_| pm == PackageManager::Npm) else {
        return own;
    };
    // The build runs in the service's directory, and npm takes `--workspace` relative to it.
    let up = "../".repeat(ws.dir.split('/').filter(|s| !s.is_empty()).count());
    let mut steps: Vec<String> = ws
        .packages
        .iter()
        .map(|p| format!("npm run build --if-present --workspace={up}{p}"))
        .collect();
    steps.push(own);
    steps.join(" && ")
}

/// The paths of a service.
struct Paths {
    path: String,
    context: String,
    dockerfile: String,
    dockerignore_file: String,
    workspace: Option<WorkspaceBuild>,
}

/// A normalised relative directory as shown and as written in commands: `.` for the root.
pub(crate) fn dir_or_dot(dir: &str) -> &str {
    if dir.is_empty() {
        "."
    } else {
        dir
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
