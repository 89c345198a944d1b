//! The realistic repositories of tests/fixtures/init (cases `init-fixture-<name>`): what
//! `mbgen init` writes for each must build and serve, not only match its snapshot.
//!
//! In a scratch copy: `mbgen init --yes` writes mbgen.toml, which must be the committed
//! snapshot of tests/init.rs (`tests/snapshots/init__realistic_<name>.snap`); `mbgen render`
//! writes the Dockerfiles; then every service in that mbgen.toml builds cold from its context,
//! serves HTTP 200 on the port its Dockerfile exposes, at the path of [`FIXTURES`] (a
//! command-line tool is only built), and runs unprivileged. There is no source or dependency
//! change: the examples' cases check caching.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Deserialize;

use super::report::{round1, CaseReport};
use super::{
    base_images, builder_stage, container_name, copy_tree, exposed_port, first_difference,
    from_lines, is_root_user, prune_layer_cache, run_mbgen, BuildSpec, Case, Suite, SHORT,
};

/// A fixture that the suite builds, and the path its services answer 200 at.
#[derive(Debug)]
pub struct Fixture {
    pub name: &'static str,
    /// `/` unless the app answers it with 404 (an API with only its own routes).
    pub path: &'static str,
    /// Services that are built but not run: command-line tools, which exit at once.
    pub build_only: &'static [&'static str],
}

/// The fixtures that are built, in the order they run. Left out (see the README's Tests
/// section): `pnpm-workspace`, `sveltekit-static` and `vue-app`, which install with
/// pnpm or yarn through corepack, which checks registry signatures that the test machines' npm
/// registry does not serve; `next-app` and `next-standalone`, whose `next build` fetches the
/// Google Fonts of the scaffolded layout, and the test machines reach no other host than the
/// package registries.
pub const FIXTURES: &[Fixture] = &[
    Fixture {
        name: "angular-app",
        path: "/",
        build_only: &[],
    },
    Fixture {
        name: "cargo-workspace",
        path: "/",
        build_only: &["cli"],
    },
    Fixture {
        name: "django-gunicorn",
        path: "/polls/",
        build_only: &[],
    },
    Fixture {
        name: "express-app",
        path: "/",
        build_only: &[],
    },
    Fixture {
        name: "fastapi-uv",
        path: "/healthz",
        build_only: &[],
    },
    Fixture {
        name: "flask-gunicorn",
        path: "/",
        build_only: &[],
    },
    Fixture {
        name: "go-cmd-layout",
        path: "/healthz",
        build_only: &[],
    },
    Fixture {
        name: "nest-api",
        path: "/",
        build_only: &[],
    },
    Fixture {
        name: "rust-axum",
        path: "/healthz",
        build_only: &[],
    },
    Fixture {
        name: "static-site",
        path: "/",
        build_only: &[],
    },
    Fixture {
        name: "vite-react",
        path: "/",
        build_only: &[],
    },
];

/// The case name of a fixture.
pub fn case_name(fixture: &Fixture) -> String {
    format!("init-fixture-{}", fixture.name)
}

/// The cases of the fixtures, in the order of [`FIXTURES`]; those `wanted` names when given.
pub fn cases(root: &Path, wanted: Option<&[String]>) -> Vec<Case> {
    FIXTURES
        .iter()
        .map(|f| (f, case_name(f)))
        .filter(|(_, name)| wanted.is_none_or(|w| w.contains(name)))
        .map(|(f, name)| Case {
            name,
            example: root.join("tests/fixtures/init").join(f.name),
            naive: PathBuf::new(),
            settings: None,
            from_init: true,
            workspace: false,
            starter: None,
            fixture: Some(f),
        })
        .collect()
}

#[derive(Debug, Deserialize)]
struct Config {
    services: BTreeMap<String, ServiceConfig>,
}

#[derive(Debug, Deserialize)]
struct ServiceConfig {
    path: Option<String>,
    context: Option<String>,
    dockerfile: Option<String>,
}

/// One service of the written mbgen.toml, as the suite builds it.
struct Service {
    name: String,
    context: PathBuf,
    dockerfile: PathBuf,
    text: String,
}

pub fn run_case(suite: &mut Suite, case: &Case, fixture: &Fixture, root: &Path) -> CaseReport {
    let started = Instant::now();
    let mut rep = CaseReport {
        name: case.name.clone(),
        ..CaseReport::default()
    };
    if let Err(e) = run(suite, case, fixture, root, &mut rep) {
        rep.failures.push(e);
    }
    rep.naive
        .problems
        .push("no naive build: a fixture is only built, served and checked for its user".into());
    rep.passed = rep.failures.is_empty();
    rep.total_s = round1(started.elapsed().as_secs_f64());
    rep
}

fn run(
    suite: &mut Suite,
    case: &Case,
    fixture: &Fixture,
    root: &Path,
    rep: &mut CaseReport,
) -> Result<(), String> {
    // named as the fixture: init names a service after its directory when nothing else does
    let tmp = tempfile::Builder::new()
        .prefix(&format!("mbgen-e2e-{}-", case.name))
        .tempdir()
        .map_err(|e| format!("cannot create a scratch directory: {e}"))?;
    let dir = tmp.path().join(fixture.name);
    copy_tree(&case.example, &dir)
        .map_err(|e| format!("copying {} failed: {e}", case.example.display()))?;
    prune_layer_cache(&suite.docker)?;

    // 1. init writes the snapshot's mbgen.toml, and render succeeds on it
    run_mbgen("init", &dir, "--yes")?;
    let written =
        fs::read_to_string(dir.join("mbgen.toml")).map_err(|e| format!("mbgen.toml: {e}"))?;
    if let Err(e) = compare_snapshot(root, fixture.name, &written) {
        rep.failures.push(e);
    }
    run_mbgen("render", &dir, "--quiet")
        .map_err(|e| format!("{e} (on the mbgen.toml init wrote)"))?;
    let services = services(&dir, &written)?;
    if let Some(first) = services.first() {
        rep.port = exposed_port(&first.text);
        rep.stages = from_lines(&first.text)
            .into_iter()
            .filter_map(|(_, stage)| stage)
            .collect();
        rep.target_stage = builder_stage(&first.text);
    }

    // 2. every service builds cold, serves and runs unprivileged
    let mut cold = 0.0;
    let mut size = 0.0;
    let mut users = Vec::new();
    for s in &services {
        check_base_images(suite, s)?;
        let tag = format!("mbgen-e2e/{}-{}:mbgen", case.name, s.name);
        let step = format!("{}-cold", s.name);
        let built = suite.build(&BuildSpec {
            case: &case.name,
            step: &step,
            context: &s.context,
            dockerfile: Some(&s.dockerfile),
            tag: Some(&tag),
            target: None,
            no_cache: true,
        })?;
        cold += built.secs;
        if fixture.build_only.contains(&s.name.as_str()) {
            println!(
                "e2e: {}: {} is a command-line tool: built, not run",
                case.name, s.name
            );
        } else {
            serve(suite, rep, case, fixture, s, &tag);
        }
        let user = suite.image_user(&tag)?;
        if is_root_user(&user) {
            rep.failures.push(format!(
                "{}: the image runs as root (Config.User = {user:?}); expected an unprivileged \
                 user",
                s.name
            ));
        }
        users.push(if user.is_empty() { "root".into() } else { user });
        size += suite.image_mb(&tag)?;
    }
    rep.mbgen.cold_s = Some(round1(cold));
    rep.mbgen.image_mb = Some(round1(size));
    rep.mbgen.user = Some(users.join(", "));
    Ok(())
}

/// Runs a service's image on the port its Dockerfile exposes; it must answer 200 at the
/// fixture's path.
fn serve(
    suite: &mut Suite,
    rep: &mut CaseReport,
    case: &Case,
    fixture: &Fixture,
    s: &Service,
    tag: &str,
) {
    let container = container_name(&format!("{}-{}", case.name, s.name), false);
    if !suite.containers.contains(&container) {
        suite.containers.push(container.clone());
    }
    let label = format!("{}-{}", case.name, s.name);
    match suite.serve_at(&container, tag, exposed_port(&s.text), fixture.path, &label) {
        Ok(secs) => {
            rep.mbgen.served(true);
            rep.mbgen.ready_s.get_or_insert(secs);
        }
        Err(e) => {
            rep.mbgen.served(false);
            rep.failures.push(format!("{}: {e}", s.name));
        }
    }
}

/// The written mbgen.toml must be the body of tests/init.rs's snapshot of the fixture, so the
/// file that is built is the one that is reviewed.
fn compare_snapshot(root: &Path, name: &str, written: &str) -> Result<(), String> {
    let shown = format!("tests/snapshots/init__realistic_{name}.snap");
    let text = fs::read_to_string(root.join(&shown)).map_err(|e| format!("{shown}: {e}"))?;
    // insta's header is a YAML block between two `---` lines
    let body = text
        .strip_prefix("---\n")
        .and_then(|rest| rest.split_once("\n---\n"))
        .map(|(_, body)| body)
        .ok_or_else(|| format!("{shown}: no `---` header"))?;
    if body.trim_end() == written.trim_end() {
        Ok(())
    } else {
        Err(format!(
            "mbgen init wrote an mbgen.toml that is not {shown} ({}): run \
             `cargo insta test --test init --review`",
            first_difference(body.trim_end(), written.trim_end())
        ))
    }
}

/// The services of the written mbgen.toml, each with its build context and Dockerfile.
fn services(dir: &Path, written: &str) -> Result<Vec<Service>, String> {
    let config: Config = toml::from_str(written).map_err(|e| format!("mbgen.toml: {e}"))?;
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
            name,
            dockerfile,
            text,
        });
    }
    if out.is_empty() {
        return Err("the mbgen.toml that init wrote has no service".into());
    }
    Ok(out)
}

/// The images a service's Dockerfile starts from must be stand-ins in the engine: a version
/// that a fixture pins (`.python-version`, go.mod, rust-toolchain.toml...) picks the tag.
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
