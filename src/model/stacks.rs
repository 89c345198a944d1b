//! The part of a service only its stack has: one builder per stack, each reading only the
//! keys that apply to it (the others were refused by the applicability check).

use std::path::Path;

use super::defaults::{self, CARGO_LOCKFILE, DEFAULT_NODE_OUTPUT, GO_LOCKFILE};
use super::resolve::{Paths, Resolver};
use super::{
    BinaryRuntime, Go, Java, JavaTool, Lockfile, NodeDeps, NodePm, NodeServer, NodeStatic, Python,
    PythonPm, Runtime, Rust, Skeleton, SpringBoot, StackModel, StaticSite,
};
use crate::manifest::cargo;
use crate::relpath::RelPath;
use crate::spec::{PackageManager, RuntimeBase, Stack};

/// What the stack's part needs that is checked before the service's paths: the package
/// manager, the lockfile and the command.
pub(super) struct StackInputs {
    pub(super) pm: PackageManager,
    lockfile: Lockfile,
    start: Vec<String>,
    runtime: Runtime,
}

/// The package managers a stack can use, its own first.
fn package_managers(stack: Stack) -> &'static [PackageManager] {
    match stack {
        Stack::NodeStatic | Stack::NodeServer => &[
            PackageManager::Npm,
            PackageManager::Yarn,
            PackageManager::Pnpm,
            PackageManager::Bun,
        ],
        Stack::Python => &[
            PackageManager::Pip,
            PackageManager::Uv,
            PackageManager::Poetry,
            PackageManager::Pdm,
            PackageManager::Pipenv,
        ],
        Stack::Go => &[PackageManager::Go],
        Stack::Rust => &[PackageManager::Cargo],
        Stack::Java => &[PackageManager::Maven, PackageManager::Gradle],
        Stack::Static => &[PackageManager::Npm],
    }
}

/// The package manager a lockfile belongs to, by its name.
fn lockfile_owner(lockfile: &RelPath) -> Option<PackageManager> {
    match lockfile.file_name() {
        "package-lock.json" | "npm-shrinkwrap.json" => Some(PackageManager::Npm),
        "yarn.lock" => Some(PackageManager::Yarn),
        "pnpm-lock.yaml" => Some(PackageManager::Pnpm),
        "bun.lock" | "bun.lockb" => Some(PackageManager::Bun),
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
}

impl Resolver<'_> {
    /// The final image of the stack: nginx, the language's image, or for compiled stacks
    /// what `runtime` says.
    pub(super) fn stack_runtime(&mut self) -> Runtime {
        let stack = self.stack();
        match stack {
            Stack::NodeStatic | Stack::Static => Runtime::Nginx,
            Stack::Python => self.python_runtime(),
            Stack::Java => self.java_runtime(),
            Stack::NodeServer => self.node_runtime(),
            Stack::Go | Stack::Rust => match self.spec.runtime {
                Some(RuntimeBase::Bun) => {
                    self.error(
                        &["runtime"],
                        "`runtime = \"bun\"` is for node-server",
                        "use `scratch` (go), `distroless` or `slim`",
                    );
                    Runtime::Slim
                }
                Some(RuntimeBase::Scratch) if stack == Stack::Rust => {
                    self.error(
                        &["runtime"],
                        "a Rust binary needs the C library, which `scratch` lacks",
                        "use `runtime = \"distroless\"` (the smallest with a C library) or `\"slim\"`",
                    );
                    Runtime::Distroless
                }
                Some(RuntimeBase::Scratch) => Runtime::Scratch,
                Some(RuntimeBase::Distroless) => Runtime::Distroless,
                Some(RuntimeBase::Slim) => Runtime::Slim,
                None => defaults::binary_runtime(stack).into(),
            },
        }
    }

    /// java: a JRE image, or (`slim`) a runtime of the modules the application uses, made by
    /// `jlink`, on the slim distribution image.
    fn java_runtime(&mut self) -> Runtime {
        match self.spec.runtime {
            None => Runtime::Language,
            Some(RuntimeBase::Slim) => Runtime::Slim,
            Some(other) => {
                self.error(
                    &["runtime"],
                    format!("`runtime = \"{}\"` does not apply to java", other.as_str()),
                    "remove it for the JRE image, or use `slim` for a runtime made by jlink",
                );
                Runtime::Language
            }
        }
    }

    /// node-server: Node's image, distroless (no shell: `start` must run `node`), or Bun.
    fn node_runtime(&mut self) -> Runtime {
        match self.spec.runtime {
            None => Runtime::Language,
            Some(RuntimeBase::Bun) => Runtime::Bun,
            Some(RuntimeBase::Distroless) => {
                let start = self.spec.start.as_ref().map(|c| c.args().to_vec());
                if let Some(first) = start.as_ref().and_then(|s| s.first()) {
                    if first != "node" {
                        self.error(
                            &["start"],
                            format!("the distroless Node image has no shell and runs only `node`, and `start` runs `{first}`"),
                            "start the server with `node`, for example `start = [\"node\", \"node_modules/next/dist/bin/next\", \"start\"]`, or remove `runtime`",
                        );
                    }
                }
                Runtime::Distroless
            }
            Some(other) => {
                self.error(
                    &["runtime"],
                    format!(
                        "`runtime = \"{}\"` does not apply to node-server",
                        other.as_str()
                    ),
                    "remove it for Node's own image, or use `distroless` or `bun`",
                );
                Runtime::Language
            }
        }
    }

    /// The checks of the stack's own keys that come before the service's paths.
    pub(super) fn stack_inputs(&mut self, runtime: Runtime) -> StackInputs {
        if self.stack() == Stack::Go && self.spec.cgo == Some(true) && !runtime.has_shell() {
            self.error(
                &["cgo"],
                "a cgo binary needs the C library, which the `scratch` and `distroless` runtimes lack",
                "set `runtime = \"slim\"`, or remove `cgo` to build a static binary",
            );
        }
        let pm = self.package_manager();
        let lockfile = self.lockfile(pm);
        let start = self.start();
        StackInputs {
            pm,
            lockfile,
            start,
            runtime,
        }
    }

    fn package_manager(&mut self) -> PackageManager {
        let stack = self.stack();
        let allowed = package_managers(stack);
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
        let lockfile = self.spec.lockfile.clone();
        match lockfile.as_ref().and_then(lockfile_owner) {
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
                let installs =
                    matches!(stack, Stack::NodeStatic | Stack::NodeServer | Stack::Python);
                if lockfile.is_some() && installs {
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

    /// The lockfile as written, relative to the service's directory: `lockfile`, or the
    /// package manager's own.
    fn lockfile(&self, pm: PackageManager) -> Lockfile {
        if let Some(path) = &self.spec.lockfile {
            return Lockfile {
                path: path.clone(),
                optional: false,
            };
        }
        let (path, optional) = if let Some(node) = NodePm::from_spec(pm) {
            (defaults::node_lockfile(node), false)
        } else if let Some(python) = PythonPm::from_spec(pm) {
            (defaults::python_lockfile(python), false)
        } else if pm == PackageManager::Go {
            (RelPath::from_normal(GO_LOCKFILE), true)
        } else if matches!(pm, PackageManager::Maven | PackageManager::Gradle) {
            // Maven and Gradle lock nothing; the build files stand in, for messages only.
            (RelPath::from_normal("pom.xml"), true)
        } else {
            (RelPath::from_normal(CARGO_LOCKFILE), false)
        };
        Lockfile { path, optional }
    }

    /// The stack's start command, required where the stack has no default.
    fn start(&mut self) -> Vec<String> {
        let stack = self.stack();
        let start = self
            .spec
            .start
            .as_ref()
            .map(|c| c.args().to_vec())
            .unwrap_or_default();
        if start.is_empty() && matches!(stack, Stack::NodeServer | Stack::Python) {
            let example = match stack {
                Stack::NodeServer => "start = [\"node\", \"dist/server.js\"]",
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

    /// The build output: `output-dir`, or the stack's default, relative to the context.
    fn output_dir(&mut self, paths: &Paths) -> RelPath {
        let stack = self.stack();
        let written = self.spec.output_dir.clone();
        let dir = written.unwrap_or_else(|| {
            if stack == Stack::Static {
                RelPath::root()
            } else {
                RelPath::from_normal(DEFAULT_NODE_OUTPUT)
            }
        });
        if dir.is_root() && stack != Stack::Static {
            self.error(
                &["output-dir"],
                "`output-dir` cannot be the service directory itself",
                "name the directory the build writes, for example `dist`",
            );
        }
        paths.in_context(&dir)
    }

    /// The part of the service only its stack has.
    // One arm per stack, each building its model from the spec: the match is the table of stacks.
    #[allow(clippy::too_many_lines)]
    pub(super) fn stack_model(
        &mut self,
        inputs: StackInputs,
        builder_image: String,
        paths: &Paths,
    ) -> Option<StackModel> {
        let StackInputs {
            pm,
            lockfile,
            start,
            runtime,
        } = inputs;
        let stack = self.stack();
        let output_dir = matches!(stack, Stack::NodeStatic | Stack::NodeServer | Stack::Static)
            .then(|| self.output_dir(paths));
        let binary_runtime = match runtime {
            Runtime::Scratch => BinaryRuntime::Scratch,
            Runtime::Distroless => BinaryRuntime::Distroless,
            _ => BinaryRuntime::Slim,
        };
        match stack {
            Stack::NodeStatic | Stack::NodeServer => {
                let pm = NodePm::from_spec(pm)?;
                let yarn_berry = pm == NodePm::Yarn
                    && self
                        .tree
                        .is_yarn_berry_lockfile(&paths.context.join(&lockfile.path));
                let deps = NodeDeps {
                    pm,
                    yarn_berry,
                    lockfile,
                    install: self.spec.install.as_ref().map(ToString::to_string),
                    prisma_schema: self
                        .spec
                        .prisma_schema
                        .as_ref()
                        .map(|p| paths.in_context(p)),
                };
                let output_dir = output_dir?;
                let build = self.spec.build.as_ref().map(ToString::to_string);
                if self.spec.standalone == Some(true) && build.is_none() {
                    self.error(
                        &["standalone"],
                        "`standalone = true` keeps only the build output, and there is no `build`",
                        "add the `build` command that writes `output-dir`, or remove `standalone`",
                    );
                }
                Some(if stack == Stack::NodeStatic {
                    StackModel::NodeStatic(NodeStatic {
                        build: build.unwrap_or_else(|| {
                            defaults::node_build(deps.pm, paths.workspace.as_ref())
                        }),
                        builder_image,
                        deps,
                        output_dir,
                        spa: self.spec.spa.unwrap_or(false),
                    })
                } else {
                    StackModel::NodeServer(NodeServer {
                        builder_image,
                        deps,
                        build,
                        output_dir,
                        start,
                        runtime,
                        standalone: self.spec.standalone.unwrap_or(false),
                    })
                })
            }
            Stack::Go => Some(self.go(builder_image, lockfile, binary_runtime, paths)),
            Stack::Python => {
                let distroless = (runtime == Runtime::Distroless).then(|| self.distroless_minor());
                let start = if distroless.is_some() {
                    self.distroless_python_command(&["start"], start)
                } else {
                    start
                };
                Some(StackModel::Python(Python {
                    builder_image,
                    pm: PythonPm::from_spec(pm)?,
                    lockfile,
                    install: self.spec.install.as_ref().map(ToString::to_string),
                    start,
                    distroless,
                }))
            }
            Stack::Rust => Some(StackModel::Rust(Rust {
                builder_image,
                lockfile,
                // A crate's binary is named after its package unless it says otherwise.
                bin: self.spec.bin.as_ref().map_or_else(
                    || {
                        paths
                            .workspace
                            .as_ref()
                            .and_then(|w| w.package.clone())
                            .unwrap_or_else(|| self.name.to_owned())
                    },
                    ToString::to_string,
                ),
                runtime: binary_runtime,
                skeleton: self.skeleton(paths),
            })),
            Stack::Java => Some(self.java(pm, builder_image, start, runtime, paths)),
            Stack::Static => Some(StackModel::Static(StaticSite {
                site: output_dir?,
                spa: self.spec.spa.unwrap_or(false),
            })),
        }
    }

    fn go(
        &mut self,
        builder_image: String,
        lockfile: Lockfile,
        runtime: BinaryRuntime,
        paths: &Paths,
    ) -> StackModel {
        let vendor = self.spec.vendor.unwrap_or(false);
        if vendor && paths.workspace.is_some() {
            self.error(
                &["vendor"],
                "`vendor = true` is not supported for a service built from its `go.work` root",
                "remove `vendor` to download modules, or remove `context` to build the module alone",
            );
        }
        let main = paths.in_context(&self.spec.main.clone().unwrap_or_default());
        StackModel::Go(Go {
            builder_image,
            lockfile,
            main: if main.is_root() {
                ".".to_owned()
            } else {
                format!("./{}", main.as_str())
            },
            vendor,
            cgo: self.spec.cgo.unwrap_or(false),
            strip: self.spec.strip.unwrap_or(true),
            runtime,
        })
    }

    fn java(
        &mut self,
        pm: PackageManager,
        builder_image: String,
        start: Vec<String>,
        runtime: Runtime,
        paths: &Paths,
    ) -> StackModel {
        let tool = if pm == PackageManager::Gradle {
            JavaTool::Gradle
        } else {
            JavaTool::Maven
        };
        let spring_boot = self.spring_boot();
        let output_dir = self
            .spec
            .output_dir
            .clone()
            .unwrap_or_else(|| defaults::java_output_dir(tool));
        if output_dir.is_root() {
            self.error(
                &["output-dir"],
                "`output-dir` cannot be the service directory itself",
                "name the directory the build writes the jar into, for example `target`",
            );
        }
        StackModel::Java(Java {
            builder_image,
            tool,
            install: self.spec.install.as_ref().map_or_else(
                || defaults::java_install(tool).to_owned(),
                ToString::to_string,
            ),
            build: self.spec.build.as_ref().map_or_else(
                || defaults::java_build(tool, spring_boot).to_owned(),
                ToString::to_string,
            ),
            output_dir: paths.in_context(&output_dir),
            spring_boot,
            start,
            jlink: (runtime == Runtime::Slim).then(|| self.jlink_release()),
        })
    }

    /// The Java feature release a runtime made by jlink is for: the first number of `version`.
    /// jlink's options differ from one release to another, and Java 8 has no jlink.
    fn jlink_release(&mut self) -> u32 {
        let version = self.version();
        match version
            .split('.')
            .next()
            .and_then(|v| v.parse::<u32>().ok())
        {
            Some(release) if release >= 11 => release,
            _ => {
                self.error(
                    &["runtime"],
                    format!("a runtime made by jlink needs Java 11 or later, and `version` is \"{version}\""),
                    "set `version` to the Java release the application targets, or remove `runtime` for the JRE image",
                );
                defaults::version(Stack::Java).parse().unwrap_or(21)
            }
        }
    }

    /// The stand-ins of the crate, or from a Cargo workspace root of every member, read
    /// from their manifests. A manifest that cannot be read gets the default binary: the
    /// build reports the real problem.
    fn skeleton(&mut self, paths: &Paths) -> Skeleton {
        let crates: Vec<(RelPath, RelPath)> = match &paths.workspace {
            None => vec![(paths.dir.clone(), RelPath::root())],
            Some(ws) => ws
                .members
                .iter()
                .map(|m| (paths.context.join(m), m.clone()))
                .collect(),
        };
        let mut out = Skeleton::default();
        for (dir, in_context) in crates {
            let tree = self.tree();
            let manifest = tree
                .read(&dir.join_str("Cargo.toml"))
                .ok()
                .flatten()
                .and_then(|f| f.text.parse::<toml::Table>().ok())
                .unwrap_or_default();
            let stubs = cargo::stubs(&manifest, &|f| tree.exists(&dir.join_str(f)));
            let place = |f: &String| RelPath::normalize(f).map(|p| in_context.join(&p));
            out.mains.extend(stubs.mains.iter().filter_map(place));
            out.libs.extend(stubs.libs.iter().filter_map(place));
        }
        out
    }

    /// `spring-boot` as numbers: `3.5` → 3, 5.
    fn spring_boot(&mut self) -> Option<SpringBoot> {
        let written = self.spec.spring_boot.as_ref()?.to_string();
        let mut parts = written.split('.').map(str::parse::<u32>);
        if let (Some(Ok(major)), Some(Ok(minor))) = (parts.next(), parts.next()) {
            if major >= 2 {
                return Some(SpringBoot { major, minor });
            }
        }
        self.error(
            &["spring-boot"],
            format!("`spring-boot = \"{written}\"` is not a Spring Boot version of 2.3 or later"),
            "write its `major.minor`, as in the version of `spring-boot-starter-parent`: `spring-boot = \"3.5\"`",
        );
        None
    }
}
