//! Pieces every stack shares: header, escaping, mounts, packages, users, the final stage.

use std::fmt::Write as _;

use super::{
    BuilderSetup, CaTrust, DockerfileContext, ExtraInstructions, InstructionLines, Run,
    RuntimeStage, TEMPLATE_API,
};
use crate::model::{dir_or_dot, join, Project, Service, WorkspaceBuild};
use crate::spec::{Family, PackageManager, Stack};

/// Quotes a value for `ENV`, `LABEL` or `ARG`: inside double quotes, `\`, `"` and `$` are
/// escaped so the value is taken literally.
#[must_use]
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if matches!(c, '\\' | '"' | '$') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// An exec-form argument list as a JSON array.
#[must_use]
pub fn exec_form(args: &[String]) -> String {
    let items: Vec<String> = args
        .iter()
        .map(|a| serde_json::to_string(a).expect("a string always serialises"))
        .collect();
    format!("[{}]", items.join(", "))
}

pub fn cache_mount(service: &Service, target: &str) -> Option<String> {
    service
        .cache_mounts
        .then(|| format!("--mount=type=cache,target={target}"))
}

/// The secret mounts of the dependency install step, and the environment prefix that exposes
/// secrets to the command.
pub fn secret_mounts(service: &Service) -> (Vec<String>, String) {
    let mut mounts = Vec::new();
    let mut prefix = String::new();
    for secret in &service.secrets {
        let mut mount = format!("--mount=type=secret,id={}", secret.id);
        if let Some(target) = &secret.target {
            let _ = write!(mount, ",target={target}");
        }
        if secret.required {
            mount.push_str(",required=true");
        }
        mounts.push(mount);
        if let Some(env) = &secret.env {
            let file = secret
                .target
                .clone()
                .unwrap_or_else(|| format!("/run/secrets/{}", secret.id));
            let _ = write!(prefix, "{env}=\"$(cat {file} 2>/dev/null)\" ");
        }
    }
    (mounts, prefix)
}

/// An apt-get or apk step installing `packages`.
pub fn install_packages(
    service: &Service,
    family: Family,
    packages: &[String],
    stage: &str,
) -> Option<Run> {
    if packages.is_empty() {
        return None;
    }
    let list = packages.join(" ");
    let mut run = Run::default();
    match family {
        Family::Debian => {
            if service.cache_mounts {
                run.mounts = vec![
                    "--mount=type=cache,target=/var/cache/apt,sharing=locked".into(),
                    "--mount=type=cache,target=/var/lib/apt/lists,sharing=locked".into(),
                ];
                run.comments.push(format!(
                    "System packages for the {stage} stage; apt's caches stay in cache mounts, out of the image."
                ));
                run.commands = vec![
                    "rm -f /etc/apt/apt.conf.d/docker-clean".into(),
                    "apt-get update".into(),
                    format!("apt-get install -y --no-install-recommends {list}"),
                ];
            } else {
                run.comments
                    .push(format!("System packages for the {stage} stage."));
                run.commands = vec![
                    "apt-get update".into(),
                    format!("apt-get install -y --no-install-recommends {list}"),
                    "rm -rf /var/lib/apt/lists/*".into(),
                ];
            }
        }
        Family::Alpine => {
            run.comments
                .push(format!("System packages for the {stage} stage."));
            run.commands = vec![format!("apk add --no-cache {list}")];
        }
    }
    if packages.iter().any(|p| !p.contains('=')) {
        run.comments.push(
            "Unpinned packages come from the pinned base image's release; pin one as `name=version` in mbgen.toml to freeze it.".into(),
        );
        // hadolint's "pin versions in apt-get install" / "in apk add".
        run.hadolint_ignore.push(match family {
            Family::Debian => "DL3008",
            Family::Alpine => "DL3018",
        });
    }
    Some(run)
}

fn ca_trust(service: &Service) -> Option<CaTrust> {
    if service.ca_certificates.is_empty() {
        return None;
    }
    let dir = "/usr/local/share/ca-certificates/mbgen";
    let mut copies = Vec::new();
    for (i, cert) in service.ca_certificates.iter().enumerate() {
        copies.push(format!("{cert} {dir}/extra-{i}.crt"));
    }
    let node = matches!(service.stack, Stack::NodeStatic | Stack::NodeServer);
    let (run, env) = if node {
        // Node images lack the ca-certificates package; Node adds this bundle to its own.
        (
            Run {
                comments: vec!["Trust the extra CA certificates during the build only.".into()],
                commands: vec![format!("cat {dir}/*.crt > {dir}/bundle.pem")],
                ..Run::default()
            },
            vec![format!("NODE_EXTRA_CA_CERTS={dir}/bundle.pem")],
        )
    } else {
        let bundle = "/etc/ssl/certs/ca-certificates.crt";
        let mut env = vec![format!("SSL_CERT_FILE={bundle}")];
        match service.stack {
            Stack::Python => {
                env.push(format!("PIP_CERT={bundle}"));
                env.push(format!("REQUESTS_CA_BUNDLE={bundle}"));
            }
            Stack::Rust => env.push(format!("CARGO_HTTP_CAINFO={bundle}")),
            _ => {}
        }
        (
            Run {
                comments: vec!["Trust the extra CA certificates during the build only.".into()],
                commands: vec!["update-ca-certificates".into()],
                ..Run::default()
            },
            env,
        )
    };
    Some(CaTrust { copies, run, env })
}

fn header(project: &Project, service: &Service, what: &str) -> Vec<String> {
    vec![
        format!(
            "{what} generated by mbgen from {}, service \"{}\" (stack {}).",
            project.config_name,
            service.name,
            service.stack.as_str()
        ),
        format!(
            "Do not edit: change {} and run `mbgen render`.",
            project.config_name
        ),
    ]
}

/// The first header line of every generated file; a file without it was written by hand.
pub const HEADER_MARK: &str = "generated by mbgen from ";

pub fn base_context(project: &Project, service: &Service) -> DockerfileContext {
    let mut header = header(project, service, "Dockerfile");
    if let Some(ws) = &service.workspace {
        header.push(format!(
            "Built from the workspace root: `docker build -f {} {}` (in the project directory).",
            join(&service.context, &service.dockerfile),
            dir_or_dot(&service.context)
        ));
        if !ws.packages.is_empty() {
            header.push(format!(
                "Workspace packages used: {}.",
                ws.packages.join(", ")
            ));
        }
    }
    header.push(format!(
        "Stages: {}. Build one alone with `docker build --target <stage>`.",
        stages(service).join(", ")
    ));
    DockerfileContext {
        template_api: TEMPLATE_API,
        header,
        service: service.name.clone(),
        stack: service.stack.as_str(),
        stages: stages(service),
        builder_image: service.builder_image.clone(),
        builder: BuilderSetup {
            workdir: match service.stack {
                Stack::Go | Stack::Rust => "/src".into(),
                _ => "/app".into(),
            },
            packages: install_packages(service, service.family, &service.build_packages, "build"),
            ca: ca_trust(service),
        },
        build_args: service
            .build_args
            .iter()
            .map(|(k, v)| format!("{k}={}", quote(v)))
            .collect(),
        runtime: runtime_stage(service),
        instructions: extra_instructions(project, service),
        node: None,
        go: None,
        python: None,
        rust: None,
        nginx: None,
    }
}

fn extra_instructions(project: &Project, service: &Service) -> ExtraInstructions {
    let lines = |key: &str, lines: &[String]| {
        (!lines.is_empty()).then(|| InstructionLines {
            comments: vec![format!("From {}: instructions.{key}.", project.config_name)],
            lines: lines.to_vec(),
        })
    };
    let i = &service.instructions;
    ExtraInstructions {
        before_install: lines("before-install", &i.before_install),
        after_install: lines("after-install", &i.after_install),
        runtime: lines("runtime", &i.runtime),
    }
}

/// The stage names of a service's Dockerfile, in file order.
#[must_use]
pub fn stages(service: &Service) -> Vec<&'static str> {
    match service.stack {
        Stack::NodeServer if service.build.is_some() => {
            vec!["deps", "prod-deps", "build", "runtime"]
        }
        Stack::NodeServer => vec!["prod-deps", "runtime"],
        Stack::Go
            if service.go.vendor
                || service
                    .workspace
                    .as_ref()
                    .is_some_and(|w| w.external.is_empty()) =>
        {
            vec!["build", "runtime"]
        }
        Stack::NodeStatic | Stack::Go | Stack::Rust => vec!["deps", "build", "runtime"],
        Stack::Python => vec!["build", "runtime"],
        Stack::Static => vec!["runtime"],
    }
}

fn runtime_family(service: &Service) -> Family {
    if service.runtime_image.contains("alpine") {
        Family::Alpine
    } else {
        Family::Debian
    }
}

fn runtime_stage(service: &Service) -> RuntimeStage {
    let family = runtime_family(service);
    let create_user = service.user.create.then(|| {
        let name = &service.user.name;
        let uid = service.user.uid;
        let commands = match family {
            Family::Debian => vec![
                format!("groupadd --system --gid {uid} {name}"),
                format!("useradd --system --uid {uid} --gid {name} --no-create-home --shell /usr/sbin/nologin {name}"),
            ],
            Family::Alpine => vec![
                format!("addgroup -S -g {uid} {name}"),
                format!("adduser -S -D -H -u {uid} -G {name} -s /sbin/nologin {name}"),
            ],
        };
        Run {
            comments: vec![format!("An unprivileged user to run as (uid {uid}).")],
            commands,
            ..Run::default()
        }
    });
    let (ca_bundle, ca_env) = runtime_ca(service);
    let mut expose = vec![service.port];
    expose.extend(&service.extra_ports);
    let healthcheck = service.healthcheck.as_ref().map(|h| {
        format!(
            "--interval={} --timeout={} --start-period={} --retries={} CMD {}",
            h.interval,
            h.timeout,
            h.start_period,
            h.retries,
            exec_form(&h.cmd)
        )
    });
    let mut env: Vec<String> = Vec::new();
    match service.stack {
        Stack::NodeServer => env.push("NODE_ENV=production".into()),
        Stack::Python => {
            env.push("PYTHONDONTWRITEBYTECODE=1".into());
            env.push("PYTHONUNBUFFERED=1".into());
        }
        _ => {}
    }
    env.extend(ca_env);
    env.extend(service.env.iter().map(|(k, v)| format!("{k}={}", quote(v))));
    let binary = format!("/usr/local/bin/{}", binary_name(service));
    let (entrypoint, cmd) = match service.stack {
        Stack::Go | Stack::Rust => (Some(exec_form(&[binary])), None),
        Stack::NodeStatic | Stack::Static => (
            None,
            Some(exec_form(&[
                "nginx".into(),
                "-g".into(),
                "daemon off;".into(),
            ])),
        ),
        Stack::NodeServer | Stack::Python => (None, Some(exec_form(&service.start))),
    };
    RuntimeStage {
        image: service.runtime_image.clone(),
        workdir: matches!(service.stack, Stack::NodeServer | Stack::Python).then(|| "/app".into()),
        env,
        labels: service
            .labels
            .iter()
            .map(|(k, v)| format!("{}={}", quote(k), quote(v)))
            .collect(),
        packages: install_packages(service, family, &service.runtime_packages, "runtime")
            .filter(|_| service.runtime.has_shell()),
        create_user,
        ca_bundle,
        user: format!("{uid}:{uid}", uid = service.user.uid),
        user_name: service.user.name.clone(),
        expose,
        healthcheck,
        entrypoint,
        cmd,
    }
}

/// With `keep-ca-certificates`, the bundle the build stages trust, copied from the first of
/// them, and the environment that points the runtime at it.
fn runtime_ca(service: &Service) -> (Option<String>, Vec<String>) {
    if !service.keep_ca_certificates {
        return (None, Vec::new());
    }
    let source = stages(service)[0];
    if matches!(service.stack, Stack::NodeStatic | Stack::NodeServer) {
        let bundle = "/usr/local/share/ca-certificates/mbgen/bundle.pem";
        (
            Some(format!("--from={source} {bundle} {bundle}")),
            vec![format!("NODE_EXTRA_CA_CERTS={bundle}")],
        )
    } else {
        let bundle = "/etc/ssl/certs/ca-certificates.crt";
        let mut env = vec![format!("SSL_CERT_FILE={bundle}")];
        if service.stack == Stack::Python {
            env.push(format!("REQUESTS_CA_BUNDLE={bundle}"));
        }
        (Some(format!("--from={source} {bundle} {bundle}")), env)
    }
}

/// The name of the built binary for compiled stacks.
#[must_use]
pub fn binary_name(service: &Service) -> &str {
    match service.stack {
        Stack::Rust => &service.rust_bin,
        _ => &service.name,
    }
}

/// `path` relative to the directory `context`, when it lies inside it.
fn inside(context: &str, path: &str) -> Option<String> {
    if context.is_empty() {
        return Some(path.to_owned());
    }
    path.strip_prefix(context)?
        .strip_prefix('/')
        .filter(|rest| !rest.is_empty())
        .map(ToOwned::to_owned)
}

/// `COPY` arguments, one instruction each, for the sources of a build: the whole context
/// (`. .`), or from a workspace root each directory of [`WorkspaceBuild::source_dirs`] to the
/// same place under the work directory.
#[must_use]
pub fn copy_sources(service: &Service) -> Vec<String> {
    match &service.workspace {
        None => vec![". .".to_owned()],
        Some(ws) => ws
            .source_dirs()
            .map(|d| {
                let d = dir_or_dot(d);
                format!("{d} {d}")
            })
            .collect(),
    }
}

/// The member manifests a dependency step from a workspace root copies.
struct MemberManifests<'a> {
    dirs: Vec<&'a String>,
    /// The manifests' names; one ending in `*` is a glob that may match nothing.
    names: &'static [&'static str],
    /// Whether `dirs` is every member, not just the directories whose sources are copied.
    every_member: bool,
}

/// From a workspace root: the manifests of the service and of its workspace packages, or with
/// yarn, go.work and Cargo, whose tools check or load the whole workspace, every member's.
fn member_manifests(service: &Service) -> Option<MemberManifests<'_>> {
    let ws = service.workspace.as_ref()?;
    let names: &'static [&'static str] = match service.stack {
        Stack::Go => &["go.mod", "go.sum*"],
        Stack::Rust => &["Cargo.toml"],
        _ => &["package.json"],
    };
    let every_member = matches!(service.stack, Stack::Go | Stack::Rust)
        || service.package_manager == PackageManager::Yarn;
    let dirs = if every_member {
        ws.members.iter().collect()
    } else {
        ws.source_dirs().collect()
    };
    Some(MemberManifests {
        dirs,
        names,
        every_member,
    })
}

/// `COPY` arguments, one instruction each, for the member manifests of
/// [`member_manifests`]; none outside a workspace build. A member at the root itself is left
/// to the root's own `COPY` when `root_copied` holds.
#[must_use]
pub fn copy_member_manifests(service: &Service, root_copied: bool) -> Vec<String> {
    let Some(MemberManifests { dirs, names, .. }) = member_manifests(service) else {
        return Vec::new();
    };
    dirs.into_iter()
        .filter(|d| !(root_copied && d.is_empty()))
        .map(|d| {
            let files: Vec<String> = names.iter().map(|n| join(d, n)).collect();
            let to = if d.is_empty() {
                "./".to_owned()
            } else {
                format!("{d}/")
            };
            format!("{} {to}", files.join(" "))
        })
        .collect()
}

/// The files at a workspace root that a service's dependency step reads.
fn workspace_root_files(service: &Service) -> Vec<String> {
    match service.stack {
        Stack::Go => return vec!["go.work".to_owned(), "go.work.sum".to_owned()],
        Stack::Rust => return vec!["Cargo.toml".to_owned(), service.lockfile.path.clone()],
        _ => {}
    }
    let mut files = vec![
        "package.json".to_owned(),
        service.lockfile.path.clone(),
        ".npmrc".to_owned(),
    ];
    match service.package_manager {
        PackageManager::Yarn => files.push(".yarnrc.yml".into()),
        PackageManager::Pnpm => files.push("pnpm-workspace.yaml".into()),
        _ => {}
    }
    files.dedup();
    files
}

/// The `.dockerignore` of a service built from a workspace root: everything is left out but
/// the root manifests, the manifests the dependency step reads, and the directories of the
/// service and of the workspace packages it uses; then the usual exclusions inside those.
fn workspace_dockerignore(project: &Project, service: &Service, ws: &WorkspaceBuild) -> String {
    let mut lines: Vec<String> = header(project, service, ".dockerignore")
        .into_iter()
        .map(|l| format!("# {l}"))
        .collect();
    lines.push(String::new());
    lines.push(
        "# The build context is the workspace root: only what this service's build reads".into(),
    );
    lines.push("# is let in, so changes elsewhere in the workspace never reach its build.".into());
    lines.push("*".into());
    for f in workspace_root_files(service) {
        lines.push(format!("!{f}"));
    }
    // Otherwise the manifests are those of the directories let in whole below.
    if let Some(m) = member_manifests(service).filter(|m| m.every_member) {
        for dir in m.dirs {
            for name in m.names {
                lines.push(format!("!{}", join(dir, name.trim_end_matches('*'))));
            }
        }
    }
    for dir in ws.source_dirs() {
        lines.push(format!("!{dir}"));
    }
    lines
        .push("# Version control, editors, local environment files (they may hold secrets)".into());
    for p in [
        ".git",
        ".idea",
        ".vscode",
        ".DS_Store",
        ".env",
        ".env.*",
        "*.log",
    ] {
        lines.push(format!("**/{p}"));
    }
    lines.push("# Docker and mbgen files: not needed inside the image".into());
    lines.push(service.dockerfile.clone());
    lines.push(service.dockerignore_file.clone());
    lines.push("# Dependencies and build output are made inside the build".into());
    if service.stack == Stack::Rust {
        lines.push("**/target".into());
    } else if service.stack == Stack::Go {
        for dir in ws.source_dirs() {
            for p in ["*.test", "*.out", "bin"] {
                lines.push(join(dir, p));
            }
        }
    } else {
        lines.push("**/node_modules".into());
        lines.push("**/npm-debug.log*".into());
        lines.push(join(&ws.dir, "coverage"));
        if !service.output_dir.is_empty() {
            lines.push(service.output_dir.clone());
        }
    }
    if !service.dockerignore.is_empty() {
        lines.push("# From mbgen.toml (relative to the workspace root)".into());
        lines.extend(service.dockerignore.iter().cloned());
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// The `.dockerignore` of a service: the stack's defaults, then the user's patterns.
#[must_use]
pub fn dockerignore(project: &Project, service: &Service) -> String {
    if let Some(ws) = &service.workspace {
        return workspace_dockerignore(project, service, ws);
    }
    let mut lines: Vec<String> = header(project, service, ".dockerignore")
        .into_iter()
        .map(|l| format!("# {l}"))
        .collect();
    lines.push(String::new());
    lines
        .push("# Version control, editors, local environment files (they may hold secrets)".into());
    for p in [
        ".git",
        ".gitignore",
        ".dockerignore",
        ".idea",
        ".vscode",
        "**/.DS_Store",
        ".env",
        ".env.*",
        "*.log",
    ] {
        lines.push(p.into());
    }
    lines.push("# Docker and mbgen files: not needed inside the image".into());
    let dockerfile = &service.dockerfile;
    lines.push(dockerfile.clone());
    lines.push(project.config_name.clone());
    lines.push("docker-compose*.yml".into());
    lines.push("compose*.yaml".into());
    lines.push("docker-bake*.hcl".into());
    // mbgen's own directory (project templates, the schema copy `init` writes).
    if let Some(own) = inside(&service.context, ".mbgen") {
        lines.push(own);
    }
    if let Some(templates) = inside(&service.context, &project.templates_dir) {
        if !templates.starts_with(".mbgen/") {
            lines.push(templates);
        }
    }
    lines.push("# Dependencies and build output are made inside the build".into());
    let stack_patterns: Vec<String> = match service.stack {
        Stack::NodeStatic | Stack::NodeServer => {
            let mut p = vec![
                "**/node_modules".into(),
                "npm-debug.log*".into(),
                "coverage".into(),
            ];
            if !service.output_dir.is_empty() {
                p.push(service.output_dir.clone());
            }
            if service.package_manager == PackageManager::Yarn {
                p.push(".yarn/cache".into());
            }
            p
        }
        Stack::Python => vec![
            "**/__pycache__".into(),
            "**/*.py[cod]".into(),
            ".venv".into(),
            "venv".into(),
            ".pytest_cache".into(),
            ".mypy_cache".into(),
            ".ruff_cache".into(),
            ".tox".into(),
            "*.egg-info".into(),
        ],
        Stack::Go => vec!["*.test".into(), "*.out".into(), "bin".into()],
        Stack::Rust => vec!["target".into()],
        Stack::Static => vec![],
    };
    lines.extend(stack_patterns);
    if !service.dockerignore.is_empty() {
        lines.push("# From mbgen.toml".into());
        lines.extend(service.dockerignore.iter().cloned());
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote(r#"a "b" $HOME \n"#), r#""a \"b\" \$HOME \\n""#);
        assert_eq!(
            exec_form(&["a\"b".into(), "c d".into()]),
            r#"["a\"b", "c d"]"#
        );
    }
}
