//! The services of a project's mbgen.toml as the suite builds them: read from the file,
//! built from their own context, run on the port their Dockerfile exposes, and checked for an
//! unprivileged user. Shared by the cases that build several services (the workspace, the
//! realistic fixtures, the starters).

use fs_err as fs;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::progress::Step;
use super::report::{round1, CaseReport};
use super::{
    base_images, check_stop, container_name, exposed_port, is_root_user, stop_limit, BuildSpec,
    Suite, GRACEFUL_STOP_LIMIT_S, SHORT,
};

#[derive(Debug, Deserialize)]
struct Config {
    services: BTreeMap<String, ServiceConfig>,
}

#[derive(Debug, Deserialize)]
struct ServiceConfig {
    path: Option<String>,
    context: Option<String>,
    dockerfile: Option<String>,
    protocol: Option<String>,
    #[serde(default)]
    processes: BTreeMap<String, Vec<String>>,
    release: Option<Vec<String>>,
}

/// One service, as the suite builds it.
pub(crate) struct Service {
    pub name: String,
    pub context: PathBuf,
    pub dockerfile: PathBuf,
    /// The rendered Dockerfile.
    pub text: String,
    /// The tag its builds get: `mbgen-e2e/<case>-<service>:mbgen`.
    pub tag: String,
    /// The port its Dockerfile exposes.
    pub port: u16,
    /// What it speaks on the port (`protocol` in mbgen.toml): `http`, `grpc`, `tcp` or
    /// `none`.
    pub protocol: String,
    /// Other commands run from its image (`processes`), by name.
    pub processes: BTreeMap<String, Vec<String>>,
    /// The command run once before it starts (`release`).
    pub release: Option<Vec<String>>,
}

/// How a case probes its services.
#[derive(Clone, Copy)]
pub(crate) struct Probe<'a> {
    /// The path that must answer 200.
    pub path: &'a str,
    /// Services that are built but not run: command-line tools, which exit at once.
    pub build_only: &'a [&'a str],
}

impl Default for Probe<'_> {
    fn default() -> Self {
        Self {
            path: "/",
            build_only: &[],
        }
    }
}

/// The names of the services of an mbgen.toml text.
pub(crate) fn names(text: &str) -> Vec<String> {
    toml::from_str::<Config>(text)
        .map(|c| c.services.into_keys().collect())
        .unwrap_or_default()
}

/// The services of `dir/mbgen.toml`, each with its context and rendered Dockerfile.
pub(crate) fn read(case: &str, dir: &Path) -> Result<Vec<Service>, String> {
    let text =
        fs::read_to_string(dir.join("mbgen.toml")).map_err(|e| format!("mbgen.toml: {e}"))?;
    let config: Config = toml::from_str(&text).map_err(|e| format!("mbgen.toml: {e}"))?;
    let mut out = Vec::new();
    for (name, s) in config.services {
        let path = s.path.unwrap_or_else(|| ".".into());
        let dockerfile = dir
            .join(&path)
            .join(s.dockerfile.as_deref().unwrap_or("Dockerfile"));
        let text = fs::read_to_string(&dockerfile)
            .map_err(|e| format!("mbgen render wrote no {}: {e}", dockerfile.display()))?;
        out.push(Service {
            context: dir.join(s.context.as_deref().unwrap_or(&path)),
            tag: format!("mbgen-e2e/{case}-{name}:mbgen"),
            port: exposed_port(&text),
            protocol: s.protocol.unwrap_or_else(|| "http".into()),
            processes: s.processes,
            release: s.release,
            name,
            dockerfile,
            text,
        });
    }
    if out.is_empty() {
        return Err("mbgen.toml has no service".into());
    }
    Ok(out)
}

/// Builds a service (log `<case>-<service>-<step>.log`) and returns its steps.
pub(crate) fn build(
    suite: &mut Suite,
    case: &str,
    s: &Service,
    step: &str,
    no_cache: bool,
) -> Result<Vec<Step>, String> {
    let step = format!("{}-{step}", s.name);
    let built = suite.build(&BuildSpec {
        case,
        step: &step,
        context: &s.context,
        dockerfile: Some(&s.dockerfile),
        tag: Some(&s.tag),
        target: None,
        no_cache,
        build_args: &[],
    })?;
    Ok(built.steps)
}

/// Runs a service's image: it must answer 200 at the probe's path; a failure fails the case.
pub(crate) fn serve(
    suite: &mut Suite,
    rep: &mut CaseReport,
    case: &str,
    s: &Service,
    path: &str,
    step: &str,
) {
    let container = container_name(&format!("{case}-{}", s.name), false);
    if !suite.containers.contains(&container) {
        suite.containers.push(container.clone());
    }
    let label = format!("{case}-{}-{step}", s.name);
    let result = match s.protocol.as_str() {
        "http" => suite.serve_at(&container, &s.tag, s.port, path, &label),
        // A gRPC or TCP server must accept connections; a worker must keep running.
        "none" => suite.keep_up(&container, &s.tag, None, &label),
        _ => suite.keep_up(&container, &s.tag, Some(s.port), &label),
    };
    match result {
        Ok(served) => {
            rep.mbgen.served(true);
            rep.mbgen.ready_s.get_or_insert(served.ready_s);
            let what = format!("{} ({step})", s.name);
            check_stop(rep, &what, served.stopped, stop_limit(&s.text));
        }
        Err(e) => {
            rep.mbgen.served(false);
            rep.failures.push(format!("{} ({step}): {e}", s.name));
        }
    }
}

/// How cold a case's first build of its services is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cold {
    /// `--no-cache`: nothing from an earlier build, not even the package managers' cache
    /// mounts, which Docker 20.10's BuildKit also starts empty then: a fresh CI runner. The
    /// examples' own cases build so, one or more per stack.
    Fresh,
    /// The layers the case's own changes rebuild are not in the cache (the case pruned it, or
    /// its Dockerfiles are new), but the cache mounts of Go, npm, pip, cargo and Maven are kept,
    /// as on a runner or a laptop that has built other projects: a fixture proves that init's
    /// Dockerfile builds and serves, and the Go standard library or the npm tarballs fetched
    /// again for each of them would prove nothing more.
    Warm,
}

impl Cold {
    /// Whether the build passes `--no-cache`.
    pub(crate) fn no_cache(self) -> bool {
        self == Cold::Fresh
    }
}

/// Builds every service (see [`Cold`]), runs each (unless the probe says it is only built)
/// and checks its user; the report gets the summed build time and size.
pub(crate) fn build_all_cold(
    suite: &mut Suite,
    case: &str,
    services: &[Service],
    rep: &mut CaseReport,
    probe: Probe<'_>,
    cold: Cold,
) -> Result<(), String> {
    let mut secs = 0.0;
    let mut size = 0.0;
    let mut users = Vec::new();
    for s in services {
        check_base_images(suite, s)?;
        let started = std::time::Instant::now();
        build(suite, case, s, "cold", cold.no_cache())?;
        secs += started.elapsed().as_secs_f64();
        if probe.build_only.contains(&s.name.as_str()) {
            println!(
                "e2e: {case}: {} is a command-line tool: built, not run",
                s.name
            );
        } else {
            serve(suite, rep, case, s, probe.path, "cold");
        }
        let user = suite.image_user(&s.tag)?;
        if is_root_user(&user) {
            rep.failures.push(format!(
                "{}: the image runs as root (Config.User = {user:?}); expected an unprivileged \
                 user",
                s.name
            ));
        }
        users.push(if user.is_empty() { "root".into() } else { user });
        size += suite.image_mb(&s.tag)?;
    }
    rep.mbgen.cold_s = Some(round1(secs));
    rep.mbgen.image_mb = Some(round1(size));
    rep.mbgen.user = Some(users.join(", "));
    Ok(())
}

/// The images a service's Dockerfile starts from must be stand-ins in the engine: a version
/// that a project pins (`.python-version`, go.mod, rust-toolchain.toml...) picks the tag.
fn check_base_images(suite: &mut Suite, s: &Service) -> Result<(), String> {
    for image in base_images(&s.text) {
        match suite
            .docker
            .ok(&["image", "inspect", "-f", "{{.Id}}", &image], SHORT)
        {
            Ok(id) => {
                suite.base_ids.insert(id);
            }
            Err(_) => {
                return Err(format!(
                    "{}: its Dockerfile starts from {image}, which is not one of the stand-in \
                     base images (tests/e2e/images.sh --list): the engine cannot pull it",
                    s.name
                ))
            }
        }
    }
    Ok(())
}

/// The release command of every service runs once from its image and succeeds; every
/// process starts from the same image and keeps running (those in `needs_broker`, which
/// exit without a broker the suite does not run, only start).
pub(crate) fn run_processes(
    suite: &mut Suite,
    case: &str,
    _dir: &Path,
    services: &[Service],
    needs_broker: &[&str],
    rep: &mut CaseReport,
) -> Result<(), String> {
    for s in services {
        if let Some(release) = &s.release {
            let mut args = vec!["run", "--rm", "--network", "host", s.tag.as_str()];
            args.extend(release.iter().map(String::as_str));
            let out = suite.docker.output(&args, SHORT)?;
            if out.ok {
                println!(
                    "e2e: {case}: {} release `{}` ran and succeeded",
                    s.name,
                    release.join(" ")
                );
            } else {
                rep.failures.push(format!(
                    "{}: the release command `{}` failed: {}",
                    s.name,
                    release.join(" "),
                    out.text()
                ));
            }
        }
        for (name, command) in &s.processes {
            let label = format!("{case}-{}-{name}", s.name);
            let container = container_name(&label, false);
            if needs_broker.contains(&format!("{}.{name}", s.name).as_str()) {
                let mut args = vec!["run", "--rm", "--network", "host", s.tag.as_str()];
                args.extend(command.iter().map(String::as_str));
                args.push("--help");
                let out = suite.docker.output(&args, SHORT)?;
                if out.ok {
                    println!("e2e: {label}: `{}` starts from the image (it needs its broker to keep running)", command.join(" "));
                } else {
                    rep.failures.push(format!(
                        "{label}: `{} --help` failed: {}",
                        command.join(" "),
                        out.text()
                    ));
                }
                continue;
            }
            match suite.keep_up_with(&container, &s.tag, command, None, &label) {
                // a worker of its own may stop gracefully, as gunicorn does
                Ok(served) => check_stop(rep, &label, served.stopped, GRACEFUL_STOP_LIMIT_S),
                Err(e) => rep.failures.push(format!("{label}: {e}")),
            }
        }
    }
    Ok(())
}
