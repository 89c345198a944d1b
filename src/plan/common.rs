//! Pieces every stack shares: the header, the builder stages' set-up (system packages, extra
//! CA certificates), cache and secret mounts, and the `instructions` of `mbgen.toml`.

use std::fmt::Write as _;

use super::escape::{comment, copy_args, quote, shell_word};
use super::stages::{Stage, Stages};
use super::{
    BuilderSetup, CaTrust, DockerfileContext, ExtraInstructions, InstructionLines, Run,
    TEMPLATE_API,
};
use crate::model::{Project, Service, StackModel};
use crate::relpath::RelPath;
use crate::spec::Family;

/// The first header line of every generated file; a file without it was written by hand.
pub(crate) use crate::spec::HEADER_MARK;

/// The first lines of a generated file's header, naming mbgen, the configuration file and
/// the service.
pub(super) fn header(project: &Project, service: &Service, what: &str) -> Vec<String> {
    // The configuration file is named as the file system names it: escaped for a comment.
    vec![
        format!(
            "{what} {HEADER_MARK}{}, service \"{}\" (stack {}).",
            comment(&project.config_name),
            service.name,
            service.stack_name().as_str()
        ),
        format!(
            "Do not edit: change {} and run `mbgen render`.",
            comment(&project.config_name)
        ),
    ]
}

/// What every Dockerfile context has; the planners add their stack's section.
pub(super) fn base_context(
    project: &Project,
    service: &Service,
    layout: &[Stage],
) -> DockerfileContext {
    let mut header = header(project, service, "Dockerfile");
    if let Some(ws) = &service.workspace {
        header.push(comment(&format!(
            "Built from the workspace root: `docker build -f {} {}` (in the project directory).",
            shell_word(service.dockerfile_path().as_str()),
            shell_word(service.context.display())
        )));
        if !ws.packages.is_empty() {
            let packages: Vec<&str> = ws.packages.iter().map(RelPath::as_str).collect();
            header.push(comment(&format!(
                "Workspace packages used: {}.",
                packages.join(", ")
            )));
        }
    }
    for p in &service.processes {
        header.push(comment(&format!(
            "Also runs from this image as `{}`: {}",
            p.name,
            p.command.join(" ")
        )));
    }
    if let Some(release) = &service.release {
        header.push(comment(&format!(
            "Release command, run once before each deployment starts, never at build time: {}",
            release.join(" ")
        )));
    }
    let names: Vec<&'static str> = layout.iter().map(|s| s.name).collect();
    header.push(format!(
        "Stages: {}. Build one alone with `docker build --target <stage>`.",
        names.join(", ")
    ));
    DockerfileContext {
        template_api: TEMPLATE_API,
        header,
        service: service.name.clone(),
        stack: service.stack_name().as_str(),
        stages: names,
        stage: Stages::of(layout),
        copy_flags: if service.copy_link { "--link " } else { "" },
        // `static` has no builder: its one stage is the nginx image.
        builder_image: service
            .builder_image()
            .unwrap_or(&service.runtime_image)
            .to_owned(),
        builder: BuilderSetup {
            workdir: match service.stack {
                StackModel::Go(_) | StackModel::Rust(_) => "/src".into(),
                _ => "/app".into(),
            },
            packages: install_packages(
                service,
                service.family,
                &service.system_packages.build,
                "build",
            ),
            ca: ca_trust(service),
        },
        build_args: service
            .build_args
            .iter()
            .map(|(k, v)| format!("{k}={}", quote(v)))
            .collect(),
        runtime: super::runtime::stage(service, layout),
        instructions: extra_instructions(project, service),
        init: super::init::plan(service),
        node: None,
        go: None,
        python: None,
        rust: None,
        java: None,
        nginx: None,
    }
}

fn extra_instructions(project: &Project, service: &Service) -> ExtraInstructions {
    let lines = |key: &str, lines: &[String]| {
        (!lines.is_empty()).then(|| InstructionLines {
            comments: vec![format!(
                "From {}: instructions.{key}.",
                comment(&project.config_name)
            )],
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

/// A cache mount at `target`, unless `cache-mounts = false`.
pub(super) fn cache_mount(service: &Service, target: &str) -> Option<String> {
    service
        .cache_mounts
        .then(|| format!("--mount=type=cache,target={target}"))
}

/// The secret mounts of the dependency install step, and the environment prefix that exposes
/// secrets to the command.
pub(super) fn secret_mounts(service: &Service) -> (Vec<String>, String) {
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
pub(super) fn install_packages(
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
        Family::Debian if service.cache_mounts => {
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
        }
        Family::Debian => {
            run.comments
                .push(format!("System packages for the {stage} stage."));
            run.commands = vec![
                "apt-get update".into(),
                format!("apt-get install -y --no-install-recommends {list}"),
                "rm -rf /var/lib/apt/lists/*".into(),
            ];
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

/// Where the extra CA certificates go in a builder stage.
const CA_DIR: &str = "/usr/local/share/ca-certificates/mbgen";
/// The CA bundle of Debian and Alpine images, extra certificates included after
/// `update-ca-certificates`.
pub(super) const SYSTEM_CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";
/// The bundle of the extra certificates alone, which Node adds to its own.
pub(super) const NODE_CA_BUNDLE: &str = "/usr/local/share/ca-certificates/mbgen/bundle.pem";

fn ca_trust(service: &Service) -> Option<CaTrust> {
    if service.ca.files.is_empty() {
        return None;
    }
    let copies = service
        .ca
        .files
        .iter()
        .enumerate()
        .map(|(i, cert)| copy_args(&[cert.display(), &format!("{CA_DIR}/extra-{i}.crt")]))
        .collect();
    let comments = vec!["Trust the extra CA certificates during the build only.".into()];
    let (run, env) = match &service.stack {
        // Node images lack the ca-certificates package; Node adds this bundle to its own.
        StackModel::NodeStatic(_) | StackModel::NodeServer(_) => (
            Run {
                comments,
                commands: vec![format!("cat {CA_DIR}/*.crt > {NODE_CA_BUNDLE}")],
                ..Run::default()
            },
            vec![format!("NODE_EXTRA_CA_CERTS={NODE_CA_BUNDLE}")],
        ),
        stack => {
            let mut env = vec![format!("SSL_CERT_FILE={SYSTEM_CA_BUNDLE}")];
            match stack {
                StackModel::Python(_) => {
                    env.push(format!("PIP_CERT={SYSTEM_CA_BUNDLE}"));
                    env.push(format!("REQUESTS_CA_BUNDLE={SYSTEM_CA_BUNDLE}"));
                }
                StackModel::Rust(_) => env.push(format!("CARGO_HTTP_CAINFO={SYSTEM_CA_BUNDLE}")),
                _ => {}
            }
            let mut commands = vec!["update-ca-certificates".to_owned()];
            // The JVM trusts its own keystore, not the system's bundle.
            if matches!(stack, StackModel::Java(_)) {
                commands.push(format!(
                    "for cert in {CA_DIR}/*.crt; do keytool -importcert -noprompt -cacerts -storepass changeit -alias \"mbgen-$(basename \"$cert\")\" -file \"$cert\"; done"
                ));
            }
            (
                Run {
                    comments,
                    commands,
                    ..Run::default()
                },
                env,
            )
        }
    };
    Some(CaTrust { copies, run, env })
}
