//! The final stage every stack shares: its user, environment, labels, ports, health check,
//! the CA bundle it may keep, and the command.

use super::common::{install_packages, NODE_CA_BUNDLE, SYSTEM_CA_BUNDLE};
use super::escape::{exec_form, quote, shell_word};
use super::init::command_prefix;
use super::stages::{has_init, Stage};
use super::{Run, RuntimeStage, StopSignal};
use crate::model::{Runtime, Service, StackModel};
use crate::spec::{Family, Protocol};

/// The node binary of the distroless Node images.
const DISTROLESS_NODE: &str = "/nodejs/bin/node";

/// The JDK's and the JRE's keystore in the eclipse-temurin images.
const JAVA_CACERTS: &str = "/opt/java/openjdk/lib/security/cacerts";

/// Where the build stage lays out the directories of `writable-dirs`.
const WRITABLE: &str = "/out/workdir";

/// The command of the build stage that makes the directories of `writable-dirs` under
/// [`WRITABLE`], for the final image to copy with its user as owner.
pub(super) fn writable_dirs_command(service: &Service) -> Option<String> {
    let dirs: Vec<String> = service
        .writable_dirs
        .iter()
        .map(|d| shell_word(format!("{WRITABLE}/{}", d.as_str()).trim_end_matches('/')))
        .collect();
    (!dirs.is_empty()).then(|| format!("mkdir -p {}", dirs.join(" ")))
}

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
            if python.pm == crate::model::PythonPm::Uv && python.distroless.is_none() {
                // The virtual environment uv made in the build stage comes first.
                env.push(format!("PATH={}/bin:$PATH", super::python::UV_VENV));
            }
        }
        _ => {}
    }
    env.extend(ca_env);
    env.extend(service.env.iter().map(|(k, v)| format!("{k}={}", quote(v))));
    let (entrypoint, cmd) = command(service);
    let workdir = (matches!(
        service.stack,
        StackModel::NodeServer(_) | StackModel::Python(_) | StackModel::Java(_)
    ) || !service.runtime_files.is_empty()
        || !service.writable_dirs.is_empty())
    .then(|| "/app".into());
    // Made by the build stage (`writable_dirs_command`); copying creates /app with them.
    // (Python's final stage has a shell and makes them itself, after its sources.)
    let compiled = matches!(service.stack, StackModel::Go(_) | StackModel::Rust(_));
    let writable = (compiled && !service.writable_dirs.is_empty()).then(|| {
        format!(
            "--from=build --chown={uid}:{uid} {WRITABLE}/ /app/",
            uid = service.user.uid
        )
    });
    RuntimeStage {
        image: service.runtime_image.clone(),
        writable,
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
        files: service
            .runtime_files
            .iter()
            .map(|f| {
                // where the code finds it: relative to the service's own directory
                let own = service
                    .workspace
                    .as_ref()
                    .and_then(|w| f.strip_prefix(&w.dir))
                    .unwrap_or_else(|| f.clone());
                format!("{f} ./{own}")
            })
            .collect(),
        expose,
        healthcheck,
        stop_signal: stop_signal(service),
        entrypoint,
        cmd,
    }
}

/// `ENTRYPOINT` and `CMD`: a compiled binary is the entrypoint (arguments of `docker run`
/// reach it), a language's command is `CMD` (`docker run` may replace it), and with an init
/// tini starts the entrypoint, so that replacing `CMD` keeps it.
fn command(service: &Service) -> (Option<String>, Option<String>) {
    let mut entrypoint = if has_init(service) {
        command_prefix()
    } else {
        Vec::new()
    };
    let cmd = match &service.stack {
        StackModel::Go(_) | StackModel::Rust(_) => {
            entrypoint.push(binary_path(service));
            None
        }
        StackModel::NodeStatic(_) | StackModel::Static(_) => {
            Some(vec!["nginx".into(), "-g".into(), "daemon off;".into()])
        }
        // The distroless image runs node as its entrypoint and has no `node` on the PATH.
        StackModel::NodeServer(node) if node.runtime == Runtime::Distroless => {
            entrypoint.push(DISTROLESS_NODE.to_owned());
            Some(node.start.get(1..).unwrap_or_default().to_vec())
        }
        StackModel::NodeServer(node) => Some(node.start.clone()),
        StackModel::Python(python) => Some(python.start.clone()),
        StackModel::Java(java) => Some(super::java::command(java)),
    };
    (
        (!entrypoint.is_empty()).then(|| exec_form(&entrypoint)),
        cmd.map(|c| exec_form(&c)),
    )
}

/// The signal `docker stop` sends, when the process stops gracefully on another than
/// SIGTERM: nginx's SIGTERM is a fast stop that drops the requests in flight.
fn stop_signal(service: &Service) -> Option<StopSignal> {
    (service.runtime() == Runtime::Nginx).then(|| StopSignal {
        comments: vec![
            "nginx stops gracefully on SIGQUIT: the requests in flight finish (SIGTERM would \
             drop them). As PID 1 it reaps its children itself, so it runs without an init."
                .into(),
        ],
        signal: "SIGQUIT",
    })
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
        // The JVM reads its own keystore, where the build stage imported the certificates;
        // the builder and the JRE images keep it at the same path.
        StackModel::Java(_) => (
            Some(format!("--from={source} {JAVA_CACERTS} {JAVA_CACERTS}")),
            Vec::new(),
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
