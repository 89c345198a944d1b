//! The realistic repositories of tests/fixtures/init (cases `init-fixture-<name>`): what
//! `mbgen init` writes for each must build and serve, not only match its snapshot.
//!
//! In a scratch copy: `mbgen init --yes` writes mbgen.toml, which must be the committed
//! snapshot of tests/init.rs (`tests/snapshots/init__realistic_<name>.snap`); `mbgen render`
//! writes the Dockerfiles; then every service in that mbgen.toml builds cold from its context,
//! serves HTTP 200 on the port its Dockerfile exposes, at the path of [`FIXTURES`] (a
//! command-line tool is only built), and runs unprivileged. There is no source or dependency
//! change: the examples' cases check caching.

use fs_err as fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::report::{round1, CaseReport};
use super::services::{self, build_all_cold, Probe};
use super::{
    builder_stage, copy_tree, first_difference, from_lines, prune_layer_cache, run_mbgen,
    run_mbgen_text, Case, Suite,
};

/// A fixture that the suite builds, and the path its services answer 200 at.
#[derive(Debug)]
pub(crate) struct Fixture {
    pub name: &'static str,
    /// `/` unless the app answers it with 404 (an API with only its own routes).
    pub path: &'static str,
    /// Services that are built but not run: command-line tools, which exit at once.
    pub build_only: &'static [&'static str],
    /// Processes (`processes` of a service, `<service>.<process>`) that exit without a
    /// broker the suite does not run (an RQ worker without Redis): started, not kept up.
    pub needs_broker: &'static [&'static str],
}

/// The fixtures that are built, in the order they run. Left out (see the README's Tests
/// section): `pnpm-workspace`, `sveltekit-static` and `vue-app`, which install with
/// pnpm or yarn through corepack, which checks registry signatures that the test machines' npm
/// registry does not serve; `next-app` and `next-standalone`, whose `next build` fetches the
/// Google Fonts of the scaffolded layout, and the test machines reach no other host than the
/// package registries.
pub(crate) const FIXTURES: &[Fixture] = &[
    Fixture {
        name: "celery-worker",
        path: "/",
        build_only: &[],
        needs_broker: &[],
    },
    Fixture {
        name: "compose-celery",
        path: "/",
        build_only: &[],
        needs_broker: &[],
    },
    Fixture {
        name: "django-split-settings",
        path: "/",
        build_only: &[],
        needs_broker: &[],
    },
    Fixture {
        name: "fastapi-factory",
        path: "/",
        build_only: &[],
        needs_broker: &[],
    },
    Fixture {
        name: "flask-factory-rq",
        path: "/",
        build_only: &[],
        needs_broker: &["flask-factory-rq.worker"],
    },
    Fixture {
        name: "flask-psycopg2",
        path: "/",
        build_only: &[],
        needs_broker: &[],
    },
    Fixture {
        name: "go-min-directive",
        path: "/",
        build_only: &[],
        needs_broker: &[],
    },
    Fixture {
        name: "grpc-server",
        path: "/",
        build_only: &[],
        needs_broker: &[],
    },
    Fixture {
        name: "node-procfile",
        path: "/",
        build_only: &[],
        needs_broker: &[],
    },
    Fixture {
        name: "polyglot-grpc",
        path: "/",
        build_only: &[],
        needs_broker: &[],
    },
    Fixture {
        name: "uwsgi-app",
        path: "/",
        build_only: &[],
        needs_broker: &[],
    },
    Fixture {
        name: "uv-workspace",
        path: "/",
        build_only: &[],
        needs_broker: &[],
    },
    Fixture {
        name: "worker-script",
        path: "/",
        build_only: &[],
        needs_broker: &[],
    },
    Fixture {
        name: "angular-app",
        path: "/",
        build_only: &[],
        needs_broker: &[],
    },
    Fixture {
        name: "cargo-workspace",
        path: "/",
        build_only: &["cli"],
        needs_broker: &[],
    },
    Fixture {
        name: "django-gunicorn",
        path: "/polls/",
        build_only: &[],
        needs_broker: &[],
    },
    Fixture {
        name: "express-app",
        path: "/",
        build_only: &[],
        needs_broker: &[],
    },
    Fixture {
        name: "fastapi-uv",
        path: "/healthz",
        build_only: &[],
        needs_broker: &[],
    },
    Fixture {
        name: "flask-gunicorn",
        path: "/",
        build_only: &[],
        needs_broker: &[],
    },
    Fixture {
        name: "go-cmd-layout",
        path: "/healthz",
        build_only: &[],
        needs_broker: &[],
    },
    Fixture {
        name: "nest-api",
        path: "/",
        build_only: &[],
        needs_broker: &[],
    },
    Fixture {
        name: "rust-axum",
        path: "/healthz",
        build_only: &[],
        needs_broker: &[],
    },
    Fixture {
        name: "static-site",
        path: "/",
        build_only: &[],
        needs_broker: &[],
    },
    Fixture {
        name: "vite-react",
        path: "/",
        build_only: &[],
        needs_broker: &[],
    },
];

/// The case name of a fixture.
pub(crate) fn case_name(fixture: &Fixture) -> String {
    format!("init-fixture-{}", fixture.name)
}

/// The cases of the fixtures, in the order of [`FIXTURES`]; those `wanted` names when given.
pub(crate) fn cases(root: &Path, wanted: Option<&[String]>) -> Vec<Case> {
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
            stop: None,
        })
        .collect()
}

pub(crate) fn run_case(
    suite: &mut Suite,
    case: &Case,
    fixture: &Fixture,
    root: &Path,
) -> CaseReport {
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
    let said = run_mbgen_text("init", &dir, "--yes")?;
    let written =
        fs::read_to_string(dir.join("mbgen.toml")).map_err(|e| format!("mbgen.toml: {e}"))?;
    if let Err(e) = compare_snapshot(root, fixture.name, &written) {
        rep.failures.push(e);
    }
    // Hand-written Docker files: init says how to replace them, and only that is followed.
    let flag = if said.contains("`mbgen render --force`") {
        "--force"
    } else {
        "--quiet"
    };
    run_mbgen("render", &dir, flag).map_err(|e| format!("{e} (on the mbgen.toml init wrote)"))?;
    let services = services::read(&case.name, &dir)?;
    if let Some(first) = services.first() {
        rep.port = first.port;
        rep.stages = from_lines(&first.text)
            .into_iter()
            .filter_map(|(_, stage)| stage)
            .collect();
        rep.target_stage = builder_stage(&first.text);
    }

    // 2. every service builds cold, serves and runs unprivileged
    let probe = Probe {
        path: fixture.path,
        build_only: fixture.build_only,
    };
    build_all_cold(suite, &case.name, &services, rep, probe)?;
    services::run_processes(
        suite,
        &case.name,
        &dir,
        &services,
        fixture.needs_broker,
        rep,
    )
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
