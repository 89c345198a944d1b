//! The realistic repositories of tests/fixtures/init (cases `init-fixture-<name>`): what
//! `mbgen init` writes for each must build and serve, not only match its snapshot.
//!
//! In a scratch copy: `mbgen init --yes` writes mbgen.toml, which must be the committed
//! snapshot of tests/init.rs (`tests/snapshots/init__realistic_<name>.snap`); `mbgen render`
//! writes the Dockerfiles; then every service in that mbgen.toml builds cold from its context,
//! serves HTTP 200 on the port its Dockerfile exposes, at the path of [`FIXTURES`] (a
//! command-line tool is only built), and runs unprivileged. A fixture with a source edit
//! ([`Fixture::edit`]) then gets a line appended to one source file and is rebuilt: every
//! dependency step must come from the cache, and the rebuild time goes into the report. There
//! is no dependency change: the examples' cases check that.

use fs_err as fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::progress;
use super::report::{round1, CaseReport, OtherRuntime};
use super::services::{self, build_all_cold, Cold, Probe};
use super::{
    builder_stage, copy_tree, first_difference, from_lines, prune_layer_cache, run_mbgen,
    run_mbgen_text, runs, Case, Suite, SHORT,
};

/// A fixture that the suite builds, and the path its services answer 200 at.
#[derive(Debug)]
pub(crate) struct Fixture {
    pub name: &'static str,
    /// `/` unless the app answers it with 404 (an API with only its own routes).
    pub path: &'static str,
    /// Services that are built but not run: command-line tools, which exit at once.
    pub build_only: &'static [&'static str],
    /// A source file (relative to the fixture) and a harmless line appended to it before the
    /// source-change rebuild; none for the fixtures that are only built cold.
    pub edit: Option<(&'static str, &'static str)>,
    /// Services built once more with another `runtime` (service, runtime), for the size and
    /// start time of that runtime in the report.
    pub runtimes: &'static [(&'static str, &'static str)],
    /// Processes (`processes` of a service, `<service>.<process>`) that exit without a
    /// broker the suite does not run (an RQ worker without Redis): started, not kept up.
    pub needs_broker: &'static [&'static str],
    /// A Go fixture whose first service, given `platforms`, is built for linux/arm64 on the
    /// amd64 engine: its build stage must cross-compile an aarch64 binary without emulation
    /// (with `MBGEN_E2E_CROSS=1` only).
    pub cross_arm64: bool,
}

/// What a fixture is unless its entry says otherwise: served at `/`, every service run, no
/// source edit, no other runtime, no cross-compilation.
const BASE: Fixture = Fixture {
    name: "",
    path: "/",
    build_only: &[],
    needs_broker: &[],
    edit: None,
    runtimes: &[],
    cross_arm64: false,
};

impl Fixture {
    /// A fixture with nothing but the [`BASE`] settings.
    const fn named(name: &'static str) -> Self {
        Self { name, ..BASE }
    }
}

/// The fixtures that are built, in the order they run. Left out (see the README's Tests
/// section): `next-app` and `next-standalone`, whose `next build` fetches the Google Fonts of
/// the scaffolded layout, and the test machines reach no other host than the package
/// registries; `pnpm-workspace`, whose web app and UI package lack the React type packages
/// their `tsc` needs (its api builds through turbo); the [`OPT_IN`] ones unless named;
/// `spring-boot-maven` is the only Java case (Gradle's distribution cannot be fetched here).
/// pnpm and yarn come through corepack, whose signature check the node stand-in turns off
/// (`COREPACK_INTEGRITY_KEYS=0`, see its Dockerfile).
pub(crate) const FIXTURES: &[Fixture] = &[
    Fixture::named("celery-worker"),
    Fixture::named("compose-celery"),
    Fixture::named("django-split-settings"),
    Fixture::named("fastapi-factory"),
    Fixture {
        name: "flask-factory-rq",
        needs_broker: &["flask-factory-rq.worker"],
        ..BASE
    },
    Fixture::named("flask-psycopg2"),
    Fixture::named("go-min-directive"),
    Fixture::named("grpc-server"),
    Fixture::named("node-procfile"),
    Fixture::named("polyglot-grpc"),
    Fixture::named("uwsgi-app"),
    Fixture::named("uv-workspace"),
    Fixture::named("worker-script"),
    Fixture::named("angular-app"),
    Fixture {
        name: "astro-node",
        edit: Some(("src/pages/index.astro", "<!-- e2e: source change -->")),
        ..BASE
    },
    Fixture {
        name: "bun-hono",
        edit: Some(("src/index.ts", "// e2e: source change")),
        ..BASE
    },
    Fixture {
        name: "bun-vite",
        edit: Some(("src/main.ts", "// e2e: source change")),
        ..BASE
    },
    Fixture {
        name: "cargo-workspace",
        build_only: &["cli"],
        ..BASE
    },
    Fixture {
        name: "django-gunicorn",
        path: "/polls/",
        ..BASE
    },
    Fixture::named("express-app"),
    Fixture {
        name: "fastapi-uv",
        path: "/healthz",
        ..BASE
    },
    Fixture {
        name: "flask-gunicorn",
        runtimes: &[("flask-gunicorn", "distroless")],
        ..BASE
    },
    Fixture {
        name: "go-cmd-layout",
        path: "/healthz",
        ..BASE
    },
    Fixture {
        name: "grpc-node",
        edit: Some(("server.js", "// e2e: source change")),
        runtimes: &[("currencyservice", "distroless")],
        ..BASE
    },
    Fixture::named("nest-api"),
    Fixture {
        name: "nest-prestart",
        path: "/api",
        edit: Some(("src/app.controller.ts", "// e2e: source change")),
        runtimes: &[("nestjs-realworld-example-app", "distroless")],
        ..BASE
    },
    Fixture {
        name: "nx-express-prisma",
        edit: Some(("src/main.ts", "// e2e: source change")),
        ..BASE
    },
    Fixture {
        name: "rust-axum",
        path: "/healthz",
        ..BASE
    },
    Fixture::named("static-site"),
    Fixture {
        name: "sveltekit-node",
        edit: Some(("src/routes/+page.server.ts", "// e2e: source change")),
        ..BASE
    },
    Fixture::named("sveltekit-static"),
    Fixture {
        name: "turborepo",
        edit: Some(("apps/api/src/index.ts", "// e2e: source change")),
        ..BASE
    },
    Fixture::named("vite-react"),
    Fixture::named("vue-app"),
    Fixture {
        name: "go-chi-frontend",
        path: "/healthz",
        cross_arm64: true,
        ..BASE
    },
    Fixture::named("rust-openssl"),
    Fixture {
        name: "spring-boot-maven",
        path: "/healthz",
        edit: Some((
            "src/main/java/com/example/demo/GreetingController.java",
            "// e2e: source change",
        )),
        runtimes: &[("greeting-service", "slim")],
        ..BASE
    },
    Fixture::named("rust-lib-bin"),
    Fixture::named("rust-build-script"),
    Fixture::named("go-sqlite-cgo"),
    Fixture::named("go-grpc-server"),
    Fixture::named("next-standalone-app"),
    Fixture::named("nuxt-app"),
    Fixture::named("odd-names"),
];

/// The fixtures of [`FIXTURES`] that run only when `MBGEN_E2E_ONLY` names them, to keep the
/// suite within its time budget: each has passed on the engine (cold builds of 1.3 to 1.7
/// minutes: cgo and sqlite3's C, grpc-go, `next build`), and other cases cover their stacks.
const OPT_IN: &[&str] = &["go-sqlite-cgo", "go-grpc-server", "next-standalone-app"];

/// The case name of a fixture.
pub(crate) fn case_name(fixture: &Fixture) -> String {
    format!("init-fixture-{}", fixture.name)
}

/// The cases of the fixtures, in the order of [`FIXTURES`]; those `wanted` names when given,
/// else all but the [`OPT_IN`] ones.
pub(crate) fn cases(root: &Path, wanted: Option<&[String]>) -> Vec<Case> {
    FIXTURES
        .iter()
        .map(|f| (f, case_name(f)))
        .filter(|(f, name)| runs(name, OPT_IN.contains(&f.name), wanted))
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
    build_all_cold(suite, &case.name, &services, rep, probe, Cold::Warm)?;
    services::run_processes(
        suite,
        &case.name,
        &dir,
        &services,
        fixture.needs_broker,
        rep,
    )?;
    // 3. a source edit rebuilds without re-running a dependency step
    if let Some((file, line)) = fixture.edit {
        let path = dir.join(file);
        let mut text = fs::read_to_string(&path).map_err(|e| format!("{file}: {e}"))?;
        text.push_str(line);
        text.push('\n');
        fs::write(&path, text).map_err(|e| format!("{file}: {e}"))?;
        source_rebuild(suite, &case.name, &services, rep, probe)?;
    }

    // 4. the same service on another runtime (distroless, a jlink runtime)
    for (name, runtime) in fixture.runtimes {
        other_runtime(suite, case, &dir, name, runtime, fixture.path, rep)?;
    }

    // 5. with `platforms`, the Go builder cross-compiles for arm64 on this amd64 engine
    // (only with MBGEN_E2E_CROSS=1, see the crate's doc comment)
    if fixture.cross_arm64 && std::env::var("MBGEN_E2E_CROSS").is_ok_and(|v| v == "1") {
        if let Err(e) = cross_arm64(suite, case, &dir) {
            rep.failures
                .push(format!("cross-compilation for linux/arm64: {e}"));
        }
    }
    Ok(())
}

/// Sets `runtime` for one service, renders, rebuilds (from the layer cache of the earlier
/// builds) and serves it; its size and start time go into the report.
fn other_runtime(
    suite: &mut Suite,
    case: &Case,
    dir: &Path,
    name: &str,
    runtime: &str,
    path: &str,
    rep: &mut CaseReport,
) -> Result<(), String> {
    let before = services::read(&case.name, dir)?;
    let default = before
        .iter()
        .find(|s| s.name == name)
        .ok_or_else(|| format!("no service {name} in mbgen.toml"))?;
    let default_mb = suite.image_mb(&default.tag)?;
    let config = dir.join("mbgen.toml");
    let text = fs::read_to_string(&config).map_err(|e| format!("mbgen.toml: {e}"))?;
    let header = format!("[services.{name}]\n");
    let edited = text.replacen(&header, &format!("{header}runtime = \"{runtime}\"\n"), 1);
    fs::write(&config, edited).map_err(|e| format!("mbgen.toml: {e}"))?;
    run_mbgen("render", dir, "--quiet")?;
    let services = services::read(&case.name, dir)?;
    let s = services
        .iter()
        .find(|s| s.name == name)
        .ok_or_else(|| format!("no service {name} in mbgen.toml"))?;
    services::build(suite, &case.name, s, runtime, false)?;
    let container = super::container_name(&format!("{}-{name}-{runtime}", case.name), false);
    if !suite.containers.contains(&container) {
        suite.containers.push(container.clone());
    }
    let label = format!("{}-{name}-{runtime}", case.name);
    let served = match s.protocol.as_str() {
        "http" => suite.serve_at(&container, &s.tag, s.port, path, &label),
        "none" => suite.keep_up(&container, &s.tag, None, &label),
        _ => suite.keep_up(&container, &s.tag, Some(s.port), &label),
    };
    let ready = match served {
        Ok(served) => {
            super::check_stop(rep, &label, served.stopped, super::stop_limit(&s.text));
            Some(served.ready_s)
        }
        Err(e) => {
            rep.failures
                .push(format!("{name} with runtime = \"{runtime}\": {e}"));
            None
        }
    };
    let user = suite.image_user(&s.tag)?;
    if super::is_root_user(&user) {
        rep.failures
            .push(format!("{name} with runtime = \"{runtime}\" runs as root"));
    }
    rep.other_runtimes.push(OtherRuntime {
        service: name.to_owned(),
        runtime: runtime.to_owned(),
        image_mb: suite.image_mb(&s.tag)?,
        default_mb,
        ready_s: ready.map(round1),
    });
    Ok(())
}

/// Rebuilds every service after the source edit (with the layer cache of the cold builds):
/// the dependency steps must all be CACHED; each rebuilt image must serve again.
fn source_rebuild(
    suite: &mut Suite,
    case: &str,
    services: &[services::Service],
    rep: &mut CaseReport,
    probe: Probe<'_>,
) -> Result<(), String> {
    let (mut secs, mut cached, mut total) = (0.0, 0, 0);
    for s in services {
        let started = Instant::now();
        let steps = services::build(suite, case, s, "source", false)?;
        secs += started.elapsed().as_secs_f64();
        let (c, t) = progress::cached_of_total(&steps);
        cached += c;
        total += t;
        let rerun: Vec<String> = steps
            .iter()
            .filter(|st| st.is_dependency_install() && !st.cached())
            .map(ToString::to_string)
            .collect();
        if !rerun.is_empty() {
            rep.failures.push(format!(
                "{}: the source edit re-ran dependency steps: {} (log {case}-{}-source.log)",
                s.name,
                rerun.join("; "),
                s.name
            ));
        }
        if !probe.build_only.contains(&s.name.as_str()) {
            services::serve(suite, rep, case, s, probe.path, "source");
        }
    }
    rep.mbgen.source_s = Some(round1(secs));
    rep.mbgen.source_cached = Some(cached);
    rep.mbgen.source_total = Some(total);
    if cached == total {
        rep.failures
            .push("the source edit rebuilt nothing: every step was CACHED".to_owned());
    }
    Ok(())
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

/// Adds `platforms` to the (only) service, renders, builds the `build` stage with
/// `--platform linux/arm64` and reads the binary's ELF header: its machine must be aarch64.
/// The engine has no emulator, so a builder that ran as arm64 could not run at all.
fn cross_arm64(suite: &mut Suite, case: &Case, dir: &Path) -> Result<(), String> {
    let config = dir.join("mbgen.toml");
    let mut text = fs::read_to_string(&config).map_err(|e| e.to_string())?;
    text.push_str("platforms = [\"linux/amd64\", \"linux/arm64\"]\n");
    fs::write(&config, text).map_err(|e| e.to_string())?;
    run_mbgen("render", dir, "--quiet")?;
    let s = services::read(&case.name, dir)?.remove(0);
    let binary = s
        .text
        .lines()
        .find_map(|l| l.strip_prefix("COPY --from=build /usr/local/bin/"))
        .and_then(|rest| rest.split_whitespace().next())
        .map(|name| format!("/usr/local/bin/{name}"))
        .ok_or("the Dockerfile copies no binary from the build stage")?;
    let tag = format!("mbgen-e2e/{}-arm64:build", case.name);
    suite.tags.push(tag.clone());
    let started = Instant::now();
    let context = s.context.to_string_lossy().into_owned();
    let dockerfile = s.dockerfile.to_string_lossy().into_owned();
    let args = [
        "build",
        "--network",
        "host",
        "--platform",
        "linux/arm64",
        "--target",
        "build",
        "-t",
        &tag,
        "-f",
        &dockerfile,
        &context,
    ];
    let out = suite.docker.output(&args, suite.build_timeout)?;
    let _ = fs::write(
        suite.out.join(format!("{}-arm64.log", case.name)),
        out.text(),
    );
    if !out.ok {
        return Err(format!(
            "`docker build --platform linux/arm64 --target build` failed:\n{}",
            super::tail(&out.text(), 20)
        ));
    }
    let container = format!("mbgen-e2e-{}-arm64", case.name);
    suite.docker.remove_container(&container);
    suite
        .docker
        .ok(&["create", "--name", &container, &tag], SHORT)?;
    let copied = dir.join("arm64-binary");
    let cp = suite.docker.ok(
        &[
            "cp",
            &format!("{container}:{binary}"),
            &copied.to_string_lossy(),
        ],
        SHORT,
    );
    suite.docker.remove_container(&container);
    cp?;
    let bytes = fs::read(&copied).map_err(|e| e.to_string())?;
    // ELF: the magic, then e_machine (little-endian u16 at offset 18); 183 is aarch64
    let machine = bytes.get(18..20).map(|m| u16::from_le_bytes([m[0], m[1]]));
    if !bytes.starts_with(b"\x7fELF") || machine != Some(183) {
        return Err(format!(
            "{binary} is not an aarch64 ELF binary (e_machine {machine:?})"
        ));
    }
    println!(
        "e2e: {}: linux/arm64 build stage cross-compiled an aarch64 {binary} in {:.0} s",
        case.name,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
