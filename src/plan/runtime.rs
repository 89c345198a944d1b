//! The final stage every stack shares: its user, environment, labels, ports, health check,
//! the CA bundle it may keep, and the command.

use super::common::{install_packages, NODE_CA_BUNDLE, SYSTEM_CA_BUNDLE};
use super::escape::{exec_form, quote};
use super::stages::Stage;
use super::{Run, RuntimeStage};
use crate::model::{Runtime, Service, StackModel};

/// The node binary of the distroless Node images.
const DISTROLESS_NODE: &str = "/nodejs/bin/node";
use crate::spec::{Family, Protocol};

/// Where compiled stacks put the binary, in the build stage and the final image.
pub(super) fn binary_path(service: &Service) -> String {
    let name = match &service.stack {
        StackModel::Rust(rust) => &rust.bin,
        _ => &service.name,
    };
    format!("/usr/local/bin/{name}")
}

fn runtime_family(service: &Service) -> Family {
    if service.runtime_image.contains("alpine") {
        Family::Alpine
    } else {
        Family::Debian
    }
}

fn create_user(service: &Service, family: Family) -> Option<Run> {
    let user = &service.user;
    if !user.create {
        return None;
    }
    let (name, uid) = (&user.name, user.uid);
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
    Some(Run {
        comments: vec![format!("An unprivileged user to run as (uid {uid}).")],
        commands,
        ..Run::default()
    })
}

/// The final stage of a service; `layout` is its stage layout.
pub(super) fn stage(service: &Service, layout: &[Stage]) -> RuntimeStage {
    let family = runtime_family(service);
    let (ca_bundle, ca_env) = runtime_ca(service, layout);
    let mut expose = Vec::new();
    if service.protocol != Protocol::None {
        expose.push(service.port);
        expose.extend(&service.extra_ports);
    }
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
    match &service.stack {
        StackModel::NodeServer(_) => env.push("NODE_ENV=production".into()),
        StackModel::Python(python) => {
            env.push("PYTHONDONTWRITEBYTECODE=1".into());
            env.push("PYTHONUNBUFFERED=1".into());
            if python.pm == crate::model::PythonPm::Uv {
                // The virtual environment uv made in the build stage comes first.
                env.push(format!("PATH={}/bin:$PATH", super::python::UV_VENV));
            }
        }
        _ => {}
    }
    env.extend(ca_env);
    env.extend(service.env.iter().map(|(k, v)| format!("{k}={}", quote(v))));
    let (entrypoint, cmd) = match &service.stack {
        StackModel::Go(_) | StackModel::Rust(_) => (Some(exec_form(&[binary_path(service)])), None),
        StackModel::NodeStatic(_) | StackModel::Static(_) => (
            None,
            Some(exec_form(&[
                "nginx".into(),
                "-g".into(),
                "daemon off;".into(),
            ])),
        ),
        // The distroless image runs node as its entrypoint and has no `node` on the PATH.
        StackModel::NodeServer(node) if node.runtime == Runtime::Distroless => (
            Some(exec_form(&[DISTROLESS_NODE.to_owned()])),
            Some(exec_form(node.start.get(1..).unwrap_or_default())),
        ),
        StackModel::NodeServer(node) => (None, Some(exec_form(&node.start))),
        StackModel::Python(python) => (None, Some(exec_form(&python.start))),
    };
    let workdir = matches!(
        service.stack,
        StackModel::NodeServer(_) | StackModel::Python(_)
    )
    .then(|| "/app".into());
    RuntimeStage {
        image: service.runtime_image.clone(),
        workdir,
        env,
        labels: service
            .labels
            .iter()
            .map(|(k, v)| format!("{}={}", quote(k), quote(v)))
            .collect(),
        packages: install_packages(service, family, &service.system_packages.runtime, "runtime")
            .filter(|_| service.runtime().has_shell()),
        create_user: create_user(service, family),
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
fn runtime_ca(service: &Service, layout: &[Stage]) -> (Option<String>, Vec<String>) {
    if !service.ca.keep {
        return (None, Vec::new());
    }
    let source = layout[0].name;
    match &service.stack {
        StackModel::NodeStatic(_) | StackModel::NodeServer(_) => (
            Some(format!("--from={source} {NODE_CA_BUNDLE} {NODE_CA_BUNDLE}")),
            vec![format!("NODE_EXTRA_CA_CERTS={NODE_CA_BUNDLE}")],
        ),
        stack => {
            let mut env = vec![format!("SSL_CERT_FILE={SYSTEM_CA_BUNDLE}")];
            if matches!(stack, StackModel::Python(_)) {
                env.push(format!("REQUESTS_CA_BUNDLE={SYSTEM_CA_BUNDLE}"));
            }
            (
                Some(format!(
                    "--from={source} {SYSTEM_CA_BUNDLE} {SYSTEM_CA_BUNDLE}"
                )),
                env,
            )
        }
    }
}
