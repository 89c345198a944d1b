//! End-to-end suite: every example's generated Dockerfile is built and run in a real Docker
//! engine, its caching is checked across a source change and a dependency change (and
//! `mbgen explain` must have predicted exactly the steps BuildKit ran), and, with
//! `MBGEN_E2E_NAIVE=1`, it is compared with a naive single-stage Dockerfile
//! (tests/e2e/naive/<example>.Dockerfile). The comparison is a measurement, not a check:
//! `tests/run.sh` leaves it out to keep CI short; run it when the figures are wanted.
//!
//! Normally run by `tests/run.sh`. By hand:
//!
//! ```sh
//! eval "$(tests/e2e/engine.sh start)"   # the private engine (DOCKER_HOST, DOCKER_BUILDKIT)
//! tests/e2e/images.sh                    # stand-ins of the base images
//! MBGEN_E2E=1 cargo test --release --test e2e
//! ```
//!
//! Environment: `MBGEN_E2E=1` enables the suite (it is skipped otherwise);
//! `MBGEN_E2E_ONLY=go,python,new-go,init-fixture-vite-react` picks examples, starter and
//! fixture cases; `DOCKER_HOST` defaults to the private engine's socket under `MBGEN_E2E_DIR`
//! (default /var/tmp/mbgen-e2e); `MBGEN_E2E_DOCKER` is the client (default /usr/bin/docker);
//! `MBGEN_E2E_BUILD_TIMEOUT` limits one build (seconds, default 900); `MBGEN_E2E_NAIVE=1`
//! adds the naive Dockerfiles' builds and the comparison table; `MBGEN_E2E_CROSS=1` adds the
//! linux/arm64 cross-compilation check of the fixtures that have one (off by default: a cold
//! arm64 compile of the standard library takes minutes the CI budget does not have).
//!
//! Build logs go to target/e2e/<example>-<step>.log, the results to target/e2e/report.md and
//! target/e2e/report.json.
//!
//! An example's cold build uses `--no-cache`, and the layer cache of the engine is pruned
//! before each example's mbgen and naive builds: the source and dependency changes are the
//! same on every run, and examples may share layers, so kept results would turn the rebuilds
//! into cache hits. On Docker 20.10, `--no-cache` also starts the cache mounts of the package
//! managers (npm, pip, Go, cargo registry, Maven) empty: an example builds as on a fresh
//! runner. The cases of what init writes (below) and of the starters build warm instead: no
//! layer from their own earlier builds, but those cache mounts kept (see `services::Cold`).
//!
//! Per example, in a scratch copy: render (must equal the committed files), cold build, run and
//! `GET /` until 200, check the runtime user, build the builder stage alone, rebuild after the
//! source change (dependency steps must be CACHED, something must run), rebuild after the
//! dependency change (dependency steps must run), each rebuilt image must serve too. The naive
//! Dockerfile is measured the same way; its problems are reported, they do not fail the suite.
//!
//! Then the same checks run on the mbgen.toml that `mbgen init` writes from some examples'
//! sources (cases `init-<example>`), and the realistic repositories of tests/fixtures/init are
//! built from theirs, every service cold, served and checked for its user (cases
//! `init-fixture-<name>`, see [`fixtures`]). `MBGEN_E2E_INIT=0` skips both kinds.
//!
//! Every container that served is stopped with `docker stop`, which must end it within two
//! seconds with status 0 or 143. The apps of tests/e2e/stop, which install no signal handler,
//! are also stopped with a request in flight and an orphan for PID 1 to reap (cases
//! `stop-<service>`, see [`stop`]; `MBGEN_E2E_STOP=0` skips them).
//!
//! Last, mbgen itself: the README's first-run session replayed command by command (case
//! `first-run`, [`first_run`]), and mbgen's own image built from the repository and run as a
//! CI job runs it (case `mbgen-image`, [`mbgen_image`]); `MBGEN_E2E_OWN=0` skips both.
//! `mbgen-image` runs only when `MBGEN_E2E_ONLY` names it (its release build of mbgen takes
//! minutes; see [`OPT_IN_OWN_CASES`]).
//!
//! The very last case, `bake-workspace` (see [`bake`]): the workspace built with Bake on two
//! standalone `buildkitd` builders sharing a registry cache. Its tools are built once from
//! the Go module proxy by `tests/e2e/buildkit.sh install`, which `tests/run.sh` starts in the
//! background when the cases begin; the case waits for it. `MBGEN_E2E_BAKE=0` skips it.

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod bake;
mod buildkit;
mod docker;
mod explain;
mod first_run;
mod fixtures;
mod mbgen_image;
mod progress;
mod report;
mod services;
mod starters;
mod stop;
#[path = "../common/transcript.rs"]
mod transcript;
mod workflow;
mod workspace;

use fs_err as fs;
use std::collections::{BTreeMap, HashSet};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::thread;
use std::time::{Duration, Instant};

use serde::Deserialize;

use docker::{
    http_get_status, port_open, run_captured, run_logged, ContainerGuard, Docker, Stopped,
};
use progress::Step;
use report::{round1, CaseReport, Report, Stop, Variant};
use services::Cold;

const MBGEN: &str = env!("CARGO_BIN_EXE_mbgen");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Directories never copied into a scratch copy of an example.
const SKIP_DIRS: [&str; 3] = ["node_modules", "target", "dist"];
/// Short docker commands (inspect, rm, run -d).
const SHORT: Duration = Duration::from_secs(120);
/// How long a started container may take to answer 200, and the polling step.
const SERVE_TIMEOUT: Duration = Duration::from_secs(60);
const SERVE_STEP: Duration = Duration::from_millis(500);
/// The longest `docker stop` may take, to the exit, with no request in flight, for an app that
/// handles no signal (tini hands it SIGTERM and it ends) or one that stops quickly on its own.
const STOP_LIMIT_S: f64 = 2.0;
/// The same for a server with a graceful stop of its own, which takes what it takes
/// (gunicorn's is one to two seconds): half of `docker stop`'s time-out before the kill.
const GRACEFUL_STOP_LIMIT_S: f64 = 5.0;
/// How long a service that speaks no HTTP must keep running once started.
const KEEP_UP: Duration = Duration::from_secs(5);
/// A dependency change may download from the package registries.
const DEPENDENCY_TIMEOUT: Duration = Duration::from_secs(300);
const DEFAULT_PORT: u16 = 8080;
const LOG_TAIL: usize = 60;

/// One table of tests/e2e/cases.toml.
#[derive(Debug, Clone, Deserialize)]
struct CaseSettings {
    source_file: String,
    source_append: String,
    dependency_command: Option<String>,
}

#[derive(Debug)]
struct Case {
    name: String,
    example: PathBuf,
    naive: PathBuf,
    settings: Option<CaseSettings>,
    /// The mbgen.toml comes from `mbgen init` on the example's sources, not from the
    /// committed one: proves that what init writes builds and serves.
    from_init: bool,
    /// A workspace of several services (`[workspace]` in its mbgen.toml), checked as a whole
    /// by [`workspace::run_case`].
    workspace: bool,
    /// The starter of this stack, made by `mbgen new` ([`starters::run_case`]).
    starter: Option<&'static str>,
    /// A realistic repository of tests/fixtures/init (case `init-fixture-<name>`), built and
    /// served by [`fixtures::run_case`] from what `mbgen init` writes.
    fixture: Option<&'static fixtures::Fixture>,
    /// An app of tests/e2e/stop (case `stop-<service>`), whose stops [`stop::run_case`]
    /// measures.
    stop: Option<&'static stop::StopService>,
}

/// Examples whose sources `mbgen init` must turn into a working build (case `init-<name>`).
const INIT_EXAMPLES: &[&str] = &[
    "go",
    "node-server",
    "node-static",
    "python",
    "rust",
    "static",
];

/// The cases of mbgen itself, in this order (first-run's build fills the cache that
/// mbgen-image's build of the same app reads): the README's first-run session, and mbgen's
/// own image run as a CI job runs it.
const OWN_CASES: &[&str] = &[first_run::CASE, mbgen_image::CASE];

/// The cases of mbgen itself that run only when `MBGEN_E2E_ONLY` names them, to keep the
/// suite within its time budget: mbgen-image compiles mbgen in release mode inside the engine
/// (310 s on a 2-core machine; it has passed there).
const OPT_IN_OWN_CASES: &[&str] = &[mbgen_image::CASE];

/// The monorepo example, also run through `mbgen init` as a whole (case `init-workspace`).
const WORKSPACE_EXAMPLE: &str = "workspace";

fn main() -> ExitCode {
    if std::env::var("MBGEN_E2E").as_deref() != Ok("1") {
        println!("e2e: skipped (set MBGEN_E2E=1, or run tests/run.sh)");
        return ExitCode::SUCCESS;
    }
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("e2e: error: {e}");
            ExitCode::FAILURE
        }
    }
}

// The suite's phases in order: engine, cases, base images, the runs, the report.
#[allow(clippy::too_many_lines)]
fn run() -> Result<bool, String> {
    let started = Instant::now();
    progress::self_test();
    let root = PathBuf::from(ROOT);
    let docker = docker_client();
    let engine = check_engine(&docker)?;
    let cases = load_cases(&root)?;
    let out = output_dir(&root);
    fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    for case in &cases {
        remove_old_logs(&out, &case.name);
    }
    let names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
    println!(
        "e2e: engine Docker {engine} at {}; cases: {}; logs in {}",
        docker.host,
        names.join(", "),
        out.display()
    );

    let base_ids = check_base_images(&docker, &cases)?;
    for case in &cases {
        docker.remove_container(&container_name(&case.name, false));
        docker.remove_container(&container_name(&case.name, true));
    }

    let build_timeout = std::env::var("MBGEN_E2E_BUILD_TIMEOUT")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .map_or(Duration::from_secs(900), Duration::from_secs);
    let mut suite = Suite {
        docker,
        out,
        build_timeout,
        tags: Vec::new(),
        image_ids: Vec::new(),
        base_ids,
        containers: cases
            .iter()
            .flat_map(|c| {
                [
                    container_name(&c.name, false),
                    container_name(&c.name, true),
                ]
            })
            .chain(workspace::container_names(&cases))
            .collect(),
    };

    let mut report = Report {
        engine,
        docker_host: suite.docker.host.clone(),
        cpus: thread::available_parallelism().map_or(1, std::num::NonZero::get),
        ..Report::default()
    };
    for case in &cases {
        println!("\ne2e: ==== {} ====", case.name);
        let rep = run_one(&mut suite, case, &root);
        if rep.passed {
            println!("e2e: {}: pass ({:.0} s)", rep.name, rep.total_s);
        } else {
            println!("e2e: {}: FAIL ({:.0} s)", rep.name, rep.total_s);
            for f in &rep.failures {
                println!("e2e: {}:   - {}", rep.name, f.replace('\n', "\n      "));
            }
        }
        report.cases.push(rep);
    }
    suite.remove_images(&cases);

    report.passed = report.cases.iter().filter(|c| c.passed).count();
    report.failed = report.cases.len() - report.passed;
    report.total_s = round1(started.elapsed().as_secs_f64());
    write_report(&suite.out, &report)?;
    println!("\n{}", report.table());
    let mut not_compared = 0;
    for c in &report.cases {
        for p in &c.naive.problems {
            if p.starts_with("no naive build") {
                not_compared += 1;
                continue;
            }
            println!(
                "e2e: note: {} naive: {}",
                c.name,
                first_line(p).unwrap_or_default()
            );
        }
    }
    if not_compared > 0 {
        println!(
            "e2e: note: {not_compared} cases have no naive build to compare with (the reasons are in report.md)"
        );
    }
    println!(
        "e2e: report in {} and report.json; whole run {:.0} s",
        suite.out.join("report.md").display(),
        report.total_s
    );
    // The failures again, last, so that a log cut to its tail still names them.
    for c in report.cases.iter().filter(|c| !c.passed) {
        println!("e2e: FAILED {}", c.name);
        for f in &c.failures {
            println!("e2e:   - {}", f.replace('\n', "\n      "));
        }
    }
    println!("e2e: {} passed, {} failed", report.passed, report.failed);
    Ok(report.failed == 0)
}

// ---------------------------------------------------------------------------------------------
// setup

fn docker_client() -> Docker {
    let bin = std::env::var_os("MBGEN_E2E_DOCKER")
        .map_or_else(|| PathBuf::from("/usr/bin/docker"), PathBuf::from);
    let host = std::env::var("DOCKER_HOST")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| {
            let dir = std::env::var("MBGEN_E2E_DIR")
                .ok()
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| "/var/tmp/mbgen-e2e".to_string());
            format!("unix://{dir}/docker.sock")
        });
    Docker { bin, host }
}

/// `docker info` must answer; returns the engine's version.
fn check_engine(docker: &Docker) -> Result<String, String> {
    let answer = docker.output(&["info"], Duration::from_secs(30));
    let problem = match answer {
        Ok(out) if out.ok => None,
        Ok(out) => Some(out.text()),
        Err(e) => Some(e),
    };
    if let Some(problem) = problem {
        return Err(format!(
            "MBGEN_E2E=1 but the Docker engine at {} does not answer `{} info`:\n  {}\n\
             Start the private engine and build the stand-in base images, then rerun:\n  \
             eval \"$(tests/e2e/engine.sh start)\" && tests/e2e/images.sh\n  \
             MBGEN_E2E=1 cargo test --release --test e2e\n\
             or run everything with tests/run.sh.",
            docker.host,
            docker.bin.display(),
            problem.replace('\n', "\n  ")
        ));
    }
    docker.ok(&["version", "-f", "{{.Server.Version}}"], SHORT)
}

// Every kind of case (examples, init, fixtures, starters, stop cases, mbgen's own) gathered in the order they run.
#[allow(clippy::too_many_lines)]
fn load_cases(root: &Path) -> Result<Vec<Case>, String> {
    let examples = root.join("examples");
    let mut names: Vec<String> = fs::read_dir(&examples)
        .map_err(|e| format!("{}: {e}", examples.display()))?
        .filter_map(Result::ok)
        .filter(|e| e.path().join("mbgen.toml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    // MBGEN_E2E_ONLY names examples, starter cases (`new-<stack>`), fixture cases
    // (`init-fixture-<name>`) and stop cases (`stop-<service>`).
    let wanted_only: Option<Vec<String>> = std::env::var("MBGEN_E2E_ONLY").ok().map(|only| {
        only.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    });
    if let Some(wanted) = &wanted_only {
        check_wanted(wanted, &names)?;
        if !wanted.is_empty() {
            names.retain(|n| wanted.contains(n));
        }
    }
    let wanted_only = wanted_only.filter(|w| !w.is_empty());
    if names.is_empty() && wanted_only.is_none() {
        return Err(format!(
            "no examples with an mbgen.toml in {}",
            examples.display()
        ));
    }

    let cases_path = root.join("tests/e2e/cases.toml");
    let text =
        fs::read_to_string(&cases_path).map_err(|e| format!("{}: {e}", cases_path.display()))?;
    let settings: BTreeMap<String, CaseSettings> =
        toml::from_str(&text).map_err(|e| format!("{}: {e}", cases_path.display()))?;
    let mut cases: Vec<Case> = names
        .iter()
        .map(|name| Case {
            example: examples.join(name),
            naive: root.join(format!("tests/e2e/naive/{name}.Dockerfile")),
            settings: settings.get(name).cloned(),
            name: name.clone(),
            from_init: false,
            workspace: fs::read_to_string(examples.join(name).join("mbgen.toml"))
                .is_ok_and(|t| t.lines().any(|l| l.trim() == "[workspace]")),
            starter: None,
            fixture: None,
            stop: None,
        })
        .collect();
    if std::env::var("MBGEN_E2E_INIT").as_deref() != Ok("0") {
        if names.iter().any(|n| n == WORKSPACE_EXAMPLE) {
            cases.push(Case {
                example: examples.join(WORKSPACE_EXAMPLE),
                naive: PathBuf::new(),
                settings: None,
                name: format!("init-{WORKSPACE_EXAMPLE}"),
                from_init: true,
                workspace: true,
                starter: None,
                fixture: None,
                stop: None,
            });
        }
        for name in names.iter().filter(|n| INIT_EXAMPLES.contains(&n.as_str())) {
            cases.push(Case {
                example: examples.join(name),
                naive: PathBuf::new(),
                settings: settings.get(name).cloned(),
                name: format!("init-{name}"),
                from_init: true,
                workspace: false,
                starter: None,
                fixture: None,
                stop: None,
            });
        }
        cases.extend(fixtures::cases(root, wanted_only.as_deref()));
    }
    if std::env::var("MBGEN_E2E_STARTERS").as_deref() != Ok("0") {
        cases.extend(starters::cases(wanted_only.as_deref()));
    }
    if std::env::var("MBGEN_E2E_STOP").as_deref() != Ok("0") {
        cases.extend(stop::cases(root, wanted_only.as_deref()));
    }
    if std::env::var("MBGEN_E2E_OWN").as_deref() != Ok("0") {
        cases.extend(own_cases(root, wanted_only.as_deref()));
    }
    cases.extend(bake::cases(&examples, wanted_only.as_deref()));
    Ok(cases)
}

/// Whether the case `name` runs: when `MBGEN_E2E_ONLY` (`wanted`) is set, if it names the
/// case; else unless the case is `opt_in` (it runs only when named).
pub(crate) fn runs(name: &str, opt_in: bool, wanted: Option<&[String]>) -> bool {
    wanted.map_or(!opt_in, |w| w.iter().any(|n| n == name))
}

/// The cases of mbgen itself ([`OWN_CASES`]), those `wanted` names when given, else all but
/// the [`OPT_IN_OWN_CASES`].
fn own_cases(root: &Path, wanted: Option<&[String]>) -> Vec<Case> {
    OWN_CASES
        .iter()
        .filter(|name| runs(name, OPT_IN_OWN_CASES.contains(name), wanted))
        .map(|name| Case {
            name: (*name).to_owned(),
            example: root.to_owned(),
            naive: PathBuf::new(),
            settings: None,
            from_init: false,
            workspace: false,
            starter: None,
            fixture: None,
            stop: None,
        })
        .collect()
}

/// Every case `MBGEN_E2E_ONLY` names must exist.
fn check_wanted(wanted: &[String], examples: &[String]) -> Result<(), String> {
    let starters: Vec<String> = starters::STACKS
        .iter()
        .map(|s| format!("new-{s}"))
        .collect();
    let fixtures: Vec<String> = fixtures::FIXTURES.iter().map(fixtures::case_name).collect();
    let stops: Vec<String> = stop::SERVICES.iter().map(stop::case_name).collect();
    let own: Vec<String> = OWN_CASES.iter().map(|&c| c.to_owned()).collect();
    let buildkit = vec![bake::CASE.to_owned()];
    let Some(unknown) = wanted.iter().find(|w| {
        ![examples, &starters, &fixtures, &stops, &own, &buildkit]
            .iter()
            .any(|known| known.contains(w))
    }) else {
        return Ok(());
    };
    Err(format!(
        "MBGEN_E2E_ONLY names an unknown case `{unknown}`; examples: {}; starters: {}; \
         fixtures: {}; stop cases: {}; mbgen's own: {}; BuildKit: {}",
        examples.join(", "),
        starters.join(", "),
        fixtures.join(", "),
        stops.join(", "),
        own.join(", "),
        bake::CASE
    ))
}

/// Runs one case with the runner of its kind.
fn run_one(suite: &mut Suite, case: &Case, root: &Path) -> CaseReport {
    if case.name == first_run::CASE {
        first_run::run_case(suite, case, root)
    } else if case.name == mbgen_image::CASE {
        mbgen_image::run_case(suite, case, root)
    } else if let Some(spec) = case.stop {
        stop::run_case(suite, case, spec)
    } else if let Some(stack) = case.starter {
        starters::run_case(suite, case, stack)
    } else if let Some(fixture) = case.fixture {
        fixtures::run_case(suite, case, fixture, root)
    } else if case.name == bake::CASE {
        bake::run_case(suite, case)
    } else if case.workspace {
        workspace::run_case(suite, case)
    } else {
        run_case(suite, case, root)
    }
}

/// target/e2e, next to the build output of the binary under test.
fn output_dir(root: &Path) -> PathBuf {
    Path::new(MBGEN)
        .parent()
        .and_then(Path::parent)
        .map_or_else(|| root.join("target"), Path::to_path_buf)
        .join("e2e")
}

fn remove_old_logs(out: &Path, name: &str) {
    let prefix = format!("{name}-");
    let Ok(entries) = fs::read_dir(out) else {
        return;
    };
    for e in entries.filter_map(Result::ok) {
        let file = e.file_name().to_string_lossy().into_owned();
        let rest = file.strip_prefix(&prefix).unwrap_or("");
        // `go-...` must not match another example's logs, e.g. `node-server-...` for `node`
        let ours = rest.starts_with("mbgen-") || rest.starts_with("naive-");
        if ours && Path::new(&file).extension().is_some_and(|x| x == "log") {
            let _ = fs::remove_file(e.path());
        }
    }
}

/// Every base image the selected Dockerfiles start from must exist in the engine (nothing can
/// be pulled). Returns their image ids, which the clean-up never removes.
fn check_base_images(docker: &Docker, cases: &[Case]) -> Result<HashSet<String>, String> {
    let mut refs: Vec<String> = Vec::new();
    // A fixture's own Dockerfile is the hand-written one init takes over, never built; the
    // images of what mbgen renders for it are checked when its services are built.
    for case in cases.iter().filter(|c| c.fixture.is_none()) {
        for file in [case.example.join("Dockerfile"), case.naive.clone()] {
            if let Ok(text) = fs::read_to_string(&file) {
                for r in base_images(&text) {
                    if !refs.contains(&r) {
                        refs.push(r);
                    }
                }
            }
        }
    }
    let mut ids = HashSet::new();
    let mut missing = Vec::new();
    for r in &refs {
        match docker.ok(&["image", "inspect", "-f", "{{.Id}}", r], SHORT) {
            Ok(id) => {
                ids.insert(id);
            }
            Err(_) => missing.push(r.as_str()),
        }
    }
    if missing.is_empty() {
        Ok(ids)
    } else {
        Err(format!(
            "base images missing in the engine at {}: {}\n\
             The engine cannot pull them; build the local stand-ins with:\n  \
             DOCKER_HOST={} tests/e2e/images.sh",
            docker.host,
            missing.join(", "),
            docker.host
        ))
    }
}

/// Drops the layer cache (not the cache mounts, not images). Done before each example's mbgen
/// part and naive part, so that nothing they build comes from an earlier build: the source and
/// dependency changes are the same on every run, and two examples may share layers (the `go`
/// and `ejected-template` examples have the same go.mod and the same dependency change).
fn prune_layer_cache(docker: &Docker) -> Result<(), String> {
    docker
        .ok(
            &[
                "builder",
                "prune",
                "--force",
                "--all",
                "--filter",
                "type=regular",
            ],
            Duration::from_secs(600),
        )
        .map(drop)
        .map_err(|e| format!("cannot prune the layer cache: {e}"))
}

// ---------------------------------------------------------------------------------------------
// Dockerfile facts

/// `(base, stage name)` of every `FROM` line.
fn from_lines(dockerfile: &str) -> Vec<(String, Option<String>)> {
    dockerfile
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            if !words.next()?.eq_ignore_ascii_case("FROM") {
                return None;
            }
            let mut words = words.skip_while(|w| w.starts_with("--"));
            let base = words.next()?.to_string();
            let name = match (words.next(), words.next()) {
                (Some(as_), Some(name)) if as_.eq_ignore_ascii_case("AS") => Some(name.to_string()),
                _ => None,
            };
            Some((base, name))
        })
        .collect()
}

/// Images (not earlier stages) that the Dockerfile starts from.
fn base_images(dockerfile: &str) -> Vec<String> {
    let mut stages: Vec<String> = Vec::new();
    let mut bases = Vec::new();
    for (base, name) in from_lines(dockerfile) {
        if !stages.iter().any(|s| s.eq_ignore_ascii_case(&base)) && !bases.contains(&base) {
            bases.push(base);
        }
        stages.extend(name);
    }
    bases
}

/// The builder stage to build alone: `build` if there is one before `runtime`, else `deps`,
/// else `prod-deps`; none for a single-stage Dockerfile.
fn builder_stage(dockerfile: &str) -> Option<String> {
    let names: Vec<String> = from_lines(dockerfile)
        .into_iter()
        .filter_map(|(_, name)| name)
        .collect();
    builder_of(&names)
}

/// [`builder_stage`] of a list of stage names.
fn builder_of(names: &[String]) -> Option<String> {
    let end = names
        .iter()
        .position(|n| n == "runtime")
        .unwrap_or(names.len());
    let before = &names[..end];
    ["build", "deps", "prod-deps"]
        .into_iter()
        .find(|want| before.iter().any(|n| n == want))
        .map(str::to_string)
}

/// The port of the first `EXPOSE` line.
fn exposed_port(dockerfile: &str) -> u16 {
    dockerfile
        .lines()
        .find_map(|line| {
            let mut words = line.split_whitespace();
            if !words.next()?.eq_ignore_ascii_case("EXPOSE") {
                return None;
            }
            words.next()?.split('/').next()?.parse().ok()
        })
        .unwrap_or(DEFAULT_PORT)
}

fn is_root_user(user: &str) -> bool {
    let name = user.split(':').next().unwrap_or("");
    name.is_empty() || name == "root" || name == "0"
}

fn container_name(case: &str, naive: bool) -> String {
    if naive {
        format!("mbgen-e2e-{case}-naive")
    } else {
        format!("mbgen-e2e-{case}")
    }
}

fn first_line(text: &str) -> Option<&str> {
    text.lines().next()
}

// ---------------------------------------------------------------------------------------------
// files

/// Copies `from` into `to` recursively, without dependency or build output folders.
fn copy_tree(from: &Path, to: &Path) -> io::Result<()> {
    fs::create_dir_all(to)?;
    let mut entries: Vec<fs::DirEntry> = fs::read_dir(from)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(fs::DirEntry::file_name);
    for entry in entries {
        let kind = entry.file_type()?;
        let name = entry.file_name();
        let target = to.join(&name);
        if kind.is_dir() {
            if !SKIP_DIRS.iter().any(|s| name == *s) {
                copy_tree(&entry.path(), &target)?;
            }
        } else if kind.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(entry.path())?, &target)?;
        } else if kind.is_file() {
            fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// A scratch copy of an example: (the temporary directory that owns it, the copy).
fn scratch_copy(case: &Case, kind: &str) -> Result<(tempfile::TempDir, PathBuf), String> {
    let tmp = tempfile::Builder::new()
        .prefix(&format!("mbgen-e2e-{}-{kind}-", case.name))
        .tempdir()
        .map_err(|e| format!("cannot create a scratch directory: {e}"))?;
    let dir = tmp.path().join(&case.name);
    copy_tree(&case.example, &dir)
        .map_err(|e| format!("copying {} failed: {e}", case.example.display()))?;
    Ok((tmp, dir))
}

fn apply_source_change(dir: &Path, settings: &CaseSettings) -> Result<(), String> {
    let path = dir.join(&settings.source_file);
    let mut file = fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .map_err(|e| format!("source change: {}: {e}", settings.source_file))?;
    writeln!(file, "{}", settings.source_append)
        .map_err(|e| format!("source change: {}: {e}", settings.source_file))
}

fn apply_dependency_change(dir: &Path, command: &str) -> Result<(), String> {
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(command).current_dir(dir);
    let out = run_captured(cmd, DEPENDENCY_TIMEOUT, "dependency change")?;
    if out.ok {
        Ok(())
    } else {
        Err(format!(
            "dependency change `{command}` failed:\n{}",
            tail(&out.text(), 20)
        ))
    }
}

fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// The first line where two texts differ, for a readable message.
fn first_difference(a: &str, b: &str) -> String {
    let (la, lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    for i in 0..la.len().max(lb.len()) {
        let (x, y) = (la.get(i), lb.get(i));
        if x != y {
            return format!(
                "line {}: committed {:?}, rendered {:?}",
                i + 1,
                x.copied().unwrap_or("<end>"),
                y.copied().unwrap_or("<end>")
            );
        }
    }
    "trailing whitespace".to_string()
}

// ---------------------------------------------------------------------------------------------
// the suite

/// A container that served: the seconds until it was ready, and how `docker stop` went.
struct Served {
    ready_s: f64,
    stopped: Stopped,
}

struct Suite {
    docker: Docker,
    out: PathBuf,
    build_timeout: Duration,
    /// Tags and image ids the suite created, removed at the end.
    tags: Vec<String>,
    image_ids: Vec<String>,
    /// The stand-in base images: never removed.
    base_ids: HashSet<String>,
    /// Names of the containers the suite may start.
    containers: Vec<String>,
}

/// One `docker build`.
#[derive(Clone, Copy)]
struct BuildSpec<'a> {
    case: &'a str,
    /// Names the log: target/e2e/<case>-<step>.log.
    step: &'a str,
    context: &'a Path,
    dockerfile: Option<&'a Path>,
    tag: Option<&'a str>,
    target: Option<&'a str>,
    /// `--no-cache`: for the cold builds, which must not reuse anything from earlier builds.
    no_cache: bool,
    /// `--build-arg` values, `NAME=value`.
    build_args: &'a [String],
}

struct Built {
    secs: f64,
    steps: Vec<Step>,
}

impl Suite {
    fn build(&mut self, spec: &BuildSpec<'_>) -> Result<Built, String> {
        let log = self.out.join(format!("{}-{}.log", spec.case, spec.step));
        // every build makes an image, tagged or not: its id is removed at the end
        let iidfile = self.out.join(format!("{}-{}.iid", spec.case, spec.step));
        let _ = fs::remove_file(&iidfile);
        let mut cmd = self.docker.command();
        cmd.args(["build", "--network", "host", "--progress", "plain"]);
        cmd.arg("--iidfile").arg(&iidfile);
        if let Some(tag) = spec.tag {
            cmd.args(["-t", tag]);
        }
        if let Some(target) = spec.target {
            cmd.args(["--target", target]);
        }
        if spec.no_cache {
            cmd.arg("--no-cache");
        }
        for arg in spec.build_args {
            cmd.arg("--build-arg").arg(arg);
        }
        if let Some(file) = spec.dockerfile {
            cmd.arg("-f").arg(file);
        }
        cmd.arg(spec.context);
        println!("e2e: {}: {} build ...", spec.case, spec.step);
        let started = Instant::now();
        let result = run_logged(cmd, &log, self.build_timeout, "docker build");
        let secs = round1(started.elapsed().as_secs_f64());
        let text = fs::read_to_string(&log).unwrap_or_default();
        let steps = progress::parse(&text);
        if let Ok(id) = fs::read_to_string(&iidfile) {
            let id = id.trim();
            if !id.is_empty() && !self.image_ids.iter().any(|i| i == id) {
                self.image_ids.push(id.to_string());
            }
            let _ = fs::remove_file(&iidfile);
        }
        match result {
            Ok(true) => {
                let (cached, total) = progress::cached_of_total(&steps);
                println!(
                    "e2e: {}: {} build done in {secs:.1} s ({cached}/{total} steps cached)",
                    spec.case, spec.step
                );
                if let Some(tag) = spec.tag {
                    if !self.tags.iter().any(|t| t == tag) {
                        self.tags.push(tag.to_string());
                    }
                }
                Ok(Built { secs, steps })
            }
            outcome => {
                let why = match outcome {
                    Err(e) => e,
                    _ => "exit status not 0".to_string(),
                };
                println!(
                    "e2e: {}: {} build FAILED after {secs:.1} s ({why}); last {LOG_TAIL} lines of {}:",
                    spec.case,
                    spec.step,
                    log.display()
                );
                println!("{}", tail(&text, LOG_TAIL));
                Err(format!(
                    "{} build failed after {secs:.1} s ({why}; log {}):\n{}",
                    spec.step,
                    log.display(),
                    progress::failure_excerpt(&text, &steps)
                ))
            }
        }
    }

    /// Waits until nothing listens on `port`, removing leftover containers of the suite.
    fn ensure_port_free(&self, port: u16) -> Result<(), String> {
        if !port_open(port) {
            return Ok(());
        }
        // only the suite's own containers, never anybody else's
        println!("e2e: 127.0.0.1:{port} is in use; removing leftover containers of the suite");
        for name in &self.containers {
            self.docker.remove_container(name);
        }
        for _ in 0..20 {
            if !port_open(port) {
                return Ok(());
            }
            thread::sleep(SERVE_STEP);
        }
        Err(format!(
            "127.0.0.1:{port} is in use by something outside the suite; free it and rerun"
        ))
    }

    /// Runs `image` as `container`, waits for `GET /` to answer 200, then stops it with
    /// `docker stop`; the container is removed on every path.
    fn serve(
        &self,
        container: &str,
        image: &str,
        port: u16,
        label: &str,
    ) -> Result<Served, String> {
        self.serve_at(container, image, port, "/", label)
    }

    /// [`Suite::serve`], probing `path` instead of `/`.
    fn serve_at(
        &self,
        container: &str,
        image: &str,
        port: u16,
        path: &str,
        label: &str,
    ) -> Result<Served, String> {
        // Suites of other checkouts on this host serve on the same ports: one at a time.
        let _port = lock_port(port)?;
        self.ensure_port_free(port)?;
        let _guard = self.run_detached(container, image, &[])?;
        let ready_s = self.wait_http(container, port, path, label)?;
        let stopped = self.stop_logged(container, label)?;
        Ok(Served { ready_s, stopped })
    }

    /// `docker run -d` of `image` (with `args` replacing its `CMD`) on the host's network;
    /// the returned guard removes the container.
    fn run_detached(
        &self,
        container: &str,
        image: &str,
        args: &[&str],
    ) -> Result<ContainerGuard<'_>, String> {
        self.docker.remove_container(container);
        let guard = ContainerGuard {
            docker: &self.docker,
            name: container.to_string(),
        };
        let mut run = vec!["run", "-d", "--network", "host", "--name", container, image];
        run.extend(args);
        let out = self.docker.output(&run, SHORT)?;
        if !out.ok {
            return Err(format!("docker run failed: {}", out.text()));
        }
        Ok(guard)
    }

    /// `docker stop`, printed.
    fn stop_logged(&self, container: &str, label: &str) -> Result<Stopped, String> {
        let stopped = self.docker.stop(container)?;
        println!(
            "e2e: {label}: docker stop -> exit {} after {:.1} s",
            stopped.exit_code, stopped.secs
        );
        Ok(stopped)
    }

    /// Waits until `GET <path>` answers 200; the seconds it took.
    fn wait_http(
        &self,
        container: &str,
        port: u16,
        path: &str,
        label: &str,
    ) -> Result<f64, String> {
        let started = Instant::now();
        let deadline = started + SERVE_TIMEOUT;
        let polls = SERVE_TIMEOUT.as_millis() / SERVE_STEP.as_millis() + 1;
        let mut last = String::from("no answer");
        let mut exited = false;
        for i in 0..polls {
            match http_get_status(port, path) {
                Ok(200) => {
                    let secs = round1(started.elapsed().as_secs_f64());
                    println!(
                        "e2e: {label}: GET http://127.0.0.1:{port}{path} -> 200 after {secs:.1} s"
                    );
                    return Ok(secs);
                }
                Ok(code) => last = format!("HTTP {code}"),
                Err(e) => last = e,
            }
            if i % 4 == 3 && !self.running(container) {
                exited = true;
                break;
            }
            if Instant::now() >= deadline {
                break;
            }
            thread::sleep(SERVE_STEP);
        }
        let logs = self
            .docker
            .output(&["logs", "--tail", "60", container], SHORT)
            .map_or_else(|e| e, |o| o.text());
        let _ = fs::write(self.out.join(format!("{label}-container.log")), &logs);
        println!(
            "e2e: {label}: no 200 from 127.0.0.1:{port}{path}; docker logs {container}:\n{logs}"
        );
        Err(format!(
            "GET http://127.0.0.1:{port}{path} gave no 200 {} (last: {last}); docker logs:\n{}",
            if exited {
                "and the container exited".to_string()
            } else {
                format!("within {} s", SERVE_TIMEOUT.as_secs())
            },
            tail(&logs, 12)
        ))
    }

    /// Runs `image` as `container` for a service that speaks no HTTP: with `port`, until it
    /// accepts TCP connections there; then it must still run [`KEEP_UP`] later. The container
    /// is removed on every path. Returns the seconds until it was ready.
    fn keep_up(
        &self,
        container: &str,
        image: &str,
        port: Option<u16>,
        label: &str,
    ) -> Result<Served, String> {
        self.keep_up_with(container, image, &[], port, label)
    }

    /// [`Suite::keep_up`] with another command than the image's (a process of a service).
    fn keep_up_with(
        &self,
        container: &str,
        image: &str,
        command: &[String],
        port: Option<u16>,
        label: &str,
    ) -> Result<Served, String> {
        let _port = port.map(lock_port).transpose()?;
        if let Some(port) = port {
            self.ensure_port_free(port)?;
        }
        let command: Vec<&str> = command.iter().map(String::as_str).collect();
        let _guard = self.run_detached(container, image, &command)?;
        let started = Instant::now();
        let polls = SERVE_TIMEOUT.as_millis() / SERVE_STEP.as_millis() + 1;
        let mut ready = port.is_none();
        for _ in 0..polls {
            if ready || started.elapsed() >= SERVE_TIMEOUT || !self.running(container) {
                break;
            }
            ready = port.is_some_and(port_open);
            if !ready {
                thread::sleep(SERVE_STEP);
            }
        }
        let ready_s = round1(started.elapsed().as_secs_f64());
        if ready {
            thread::sleep(KEEP_UP);
        }
        if ready && self.running(container) {
            let what = port.map_or_else(|| "no port".to_owned(), |p| format!("127.0.0.1:{p} open"));
            println!(
                "e2e: {label}: {what}, still running after {} s",
                KEEP_UP.as_secs()
            );
            let stopped = self.stop_logged(container, label)?;
            return Ok(Served { ready_s, stopped });
        }
        let logs = self
            .docker
            .output(&["logs", "--tail", "60", container], SHORT)
            .map_or_else(|e| e, |o| o.text());
        let _ = fs::write(self.out.join(format!("{label}-container.log")), &logs);
        Err(format!(
            "{}; docker logs:\n{}",
            match (ready, port) {
                (false, Some(p)) => format!(
                    "nothing accepted connections on 127.0.0.1:{p} within {} s",
                    SERVE_TIMEOUT.as_secs()
                ),
                _ => format!(
                    "the container did not keep running for {} s",
                    KEEP_UP.as_secs()
                ),
            },
            tail(&logs, 12)
        ))
    }

    fn running(&self, container: &str) -> bool {
        self.docker
            .ok(&["inspect", "-f", "{{.State.Running}}", container], SHORT)
            .is_ok_and(|s| s == "true")
    }

    fn image_user(&self, image: &str) -> Result<String, String> {
        self.docker.ok(
            &["image", "inspect", "-f", "{{.Config.User}}", image],
            SHORT,
        )
    }

    fn image_mb(&self, image: &str) -> Result<f64, String> {
        let bytes = self
            .docker
            .ok(&["image", "inspect", "-f", "{{.Size}}", image], SHORT)?;
        let bytes: f64 = bytes
            .parse()
            .map_err(|e| format!("image size {bytes:?}: {e}"))?;
        Ok(round1(bytes / 1e6))
    }

    /// Removes the containers and the images of the suite; never the base images.
    fn remove_images(&self, cases: &[Case]) {
        for case in cases {
            self.docker
                .remove_container(&container_name(&case.name, false));
            self.docker
                .remove_container(&container_name(&case.name, true));
        }
        let mut seen = HashSet::new();
        let ids = self
            .image_ids
            .iter()
            .filter(|id| !self.base_ids.contains(*id) && seen.insert(*id));
        for image in self.tags.iter().chain(ids) {
            match self.docker.output(&["image", "rm", image], SHORT) {
                Ok(out) if out.ok || out.stderr.contains("No such image") => {}
                Ok(out) => println!("e2e: could not remove image {image}: {}", out.text()),
                Err(e) => println!("e2e: could not remove image {image}: {e}"),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// one example

/// Holds `port` on this host against other e2e suites (another checkout, another engine)
/// until the returned file is dropped: a lock file per port under the system's temporary
/// directory, locked with `flock`.
fn lock_port(port: u16) -> Result<fs::File, String> {
    let dir = std::env::temp_dir().join("mbgen-e2e-ports");
    fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(format!("{port}.lock")))
        .map_err(|e| e.to_string())?;
    // The suite runs on CI's toolchain, not on the oldest one mbgen itself builds with.
    #[allow(clippy::incompatible_msrv)]
    file.file()
        .lock()
        .map_err(|e| format!("lock port {port}: {e}"))?;
    Ok(file)
}

fn run_case(suite: &mut Suite, case: &Case, root: &Path) -> CaseReport {
    let started = Instant::now();
    let mut rep = CaseReport {
        name: case.name.clone(),
        port: DEFAULT_PORT,
        ..CaseReport::default()
    };
    if let Some(settings) = &case.settings {
        rep.has_dependencies = settings.dependency_command.is_some();
        if let Err(e) = mbgen_case(suite, case, settings, &mut rep) {
            rep.failures.push(e);
        }
        if case.from_init {
            rep.naive
                .problems
                .push("no naive build: the same app is compared in its own case".into());
        } else if std::env::var("MBGEN_E2E_NAIVE").as_deref() != Ok("1") {
            rep.naive
                .problems
                .push("no naive build: MBGEN_E2E_NAIVE=1 adds the comparison".into());
        } else if let Err(e) = naive_case(suite, case, settings, root, &mut rep) {
            rep.naive.problems.push(e);
        }
    } else {
        rep.failures.push(format!(
            "tests/e2e/cases.toml has no [{}] table (source_file, source_append, \
             dependency_command)",
            case.name
        ));
    }
    rep.compute_ratios();
    rep.passed = rep.failures.is_empty();
    rep.total_s = round1(started.elapsed().as_secs_f64());
    rep
}

/// Replaces the example's mbgen.toml with what `mbgen init` writes, and renders that.
fn init_and_render(dir: &Path) -> Result<String, String> {
    for file in ["mbgen.toml", "Dockerfile", ".dockerignore"] {
        let _ = fs::remove_file(dir.join(file));
    }
    run_mbgen("init", dir, "--yes")?;
    run_mbgen("render", dir, "--quiet")
        .map_err(|e| format!("{e} (on the mbgen.toml init wrote)"))?;
    fs::read_to_string(dir.join("Dockerfile"))
        .map_err(|e| format!("mbgen render wrote no Dockerfile: {e}"))
}

/// Runs `mbgen <subcommand> <dir> <flag>` with the binary under test; its output is the
/// error when it fails.
fn run_mbgen(subcommand: &str, dir: &Path, flag: &str) -> Result<(), String> {
    run_mbgen_text(subcommand, dir, flag).map(|_| ())
}

/// Runs mbgen; its output (standard output and error) on success.
fn run_mbgen_text(subcommand: &str, dir: &Path, flag: &str) -> Result<String, String> {
    let mut cmd = Command::new(MBGEN);
    cmd.arg(subcommand).arg(dir).arg(flag);
    let what = format!("mbgen {subcommand}");
    let out = run_captured(cmd, Duration::from_secs(60), &what)?;
    if out.ok {
        Ok(out.text())
    } else {
        Err(format!("{what} failed: {}", out.text()))
    }
}

/// Renders the example in a scratch copy; the result must be the committed files.
fn render_and_compare(case: &Case, dir: &Path) -> Result<String, String> {
    for file in ["Dockerfile", ".dockerignore"] {
        let _ = fs::remove_file(dir.join(file));
    }
    run_mbgen("render", dir, "--quiet")?;
    for file in ["Dockerfile", ".dockerignore"] {
        let rendered = fs::read_to_string(dir.join(file))
            .map_err(|e| format!("mbgen render wrote no {file}: {e}"))?;
        let committed = fs::read_to_string(case.example.join(file)).map_err(|e| {
            format!(
                "examples/{}/{file} is missing ({e}): run `cargo run -- render examples/{}`",
                case.name, case.name
            )
        })?;
        if rendered != committed {
            return Err(format!(
                "examples/{}/{file} is not what mbgen renders ({}): run `cargo run -- render \
                 examples/{}` so the committed example is the one tested",
                case.name,
                first_difference(&committed, &rendered),
                case.name
            ));
        }
    }
    fs::read_to_string(dir.join("Dockerfile")).map_err(|e| format!("Dockerfile: {e}"))
}

/// Dependency steps that a rebuild ran or took from the cache, for messages.
fn describe(steps: &[&Step]) -> String {
    steps
        .iter()
        .map(|s| format!("{s} ({:?})", s.status))
        .collect::<Vec<_>>()
        .join("; ")
}

// The checks of an example in the order they run: render, cold build, serve, user, `--target`,
// source change, dependency change.
#[allow(clippy::too_many_lines)]
fn mbgen_case(
    suite: &mut Suite,
    case: &Case,
    settings: &CaseSettings,
    rep: &mut CaseReport,
) -> Result<(), String> {
    let name = case.name.as_str();
    let (_tmp, dir) = scratch_copy(case, "mbgen")?;
    // Cold, but for what init wrote for an example: the layers its Dockerfile shares with the
    // example's own are the example's, already proven cold.
    if !case.from_init {
        prune_layer_cache(&suite.docker)?;
    }

    // 1. render: the committed example is what is tested (or what init writes)
    let dockerfile = if case.from_init {
        init_and_render(&dir)?
    } else {
        render_and_compare(case, &dir)?
    };
    let port = exposed_port(&dockerfile);
    let limit = stop_limit(&dockerfile);
    rep.port = port;
    // The stages as mbgen planned them (what the header, Bake and Compose read), which must
    // be the Dockerfile's own.
    let planned = planned_stages(&dir)?;
    let written: Vec<String> = from_lines(&dockerfile)
        .into_iter()
        .filter_map(|(_, stage)| stage)
        .collect();
    if planned != written {
        rep.failures.push(format!(
            "the Dockerfile's stages {written:?} are not the planned ones {planned:?}"
        ));
    }
    rep.target_stage = builder_of(&planned);
    rep.stages = planned;
    let tag = format!("mbgen-e2e/{name}:mbgen");
    let container = container_name(name, false);
    let base = BuildSpec {
        case: name,
        step: "",
        context: &dir,
        dockerfile: None,
        tag: Some(&tag),
        target: None,
        no_cache: false,
        build_args: &[],
    };
    let spec = |step| BuildSpec { step, ..base };

    // 2. cold build: fresh for an example, warm for what init wrote
    let kind = if case.from_init {
        Cold::Warm
    } else {
        Cold::Fresh
    };
    let cold = suite.build(&BuildSpec {
        no_cache: kind.no_cache(),
        ..spec("mbgen-cold")
    })?;
    rep.mbgen.cold_s = Some(cold.secs);

    // 3. it serves
    rep.mbgen.ready_s = serve_checked(suite, rep, &container, &tag, "mbgen-cold", limit);

    // 4. runtime user and size
    let user = suite.image_user(&tag)?;
    if is_root_user(&user) {
        rep.failures.push(format!(
            "the image runs as root (Config.User = {user:?}); expected an unprivileged user"
        ));
    }
    rep.mbgen.user = Some(if user.is_empty() { "root".into() } else { user });
    rep.mbgen.image_mb = Some(suite.image_mb(&tag)?);
    // What init wrote for an example is proven by building, serving and running it
    // unprivileged; the example's own case rebuilds the same app after each change.
    if case.from_init {
        return Ok(());
    }

    // 5. the builder stage alone
    if let Some(stage) = rep.target_stage.clone() {
        let step = format!("mbgen-target-{stage}");
        let target = BuildSpec {
            step: &step,
            tag: None,
            target: Some(&stage),
            ..base
        };
        match suite.build(&target) {
            Ok(b) => rep.target_s = Some(b.secs),
            Err(e) => rep.failures.push(format!("`--target {stage}`: {e}")),
        }
    }

    // 6. source change: dependencies come from the cache, something is rebuilt, and
    //    `mbgen explain` predicted exactly the steps that ran
    let before = explain::snapshot(&dir);
    apply_source_change(&dir, settings)?;
    let source = suite.build(&spec("mbgen-source"))?;
    check_source_rebuild(rep, settings, name, &source);
    check_explain(rep, &dir, &before, &source, "source change");
    serve_checked(suite, rep, &container, &tag, "mbgen-source", limit);

    // 7. dependency change: the dependency steps run again
    let Some(command) = &settings.dependency_command else {
        return Ok(());
    };
    let before = explain::snapshot(&dir);
    apply_dependency_change(&dir, command)?;
    let after = suite.build(&spec("mbgen-deps"))?;
    check_dependency_rebuild(rep, name, &after);
    check_explain(rep, &dir, &before, &after, "dependency change");
    serve_checked(suite, rep, &container, &tag, "mbgen-deps", limit);
    Ok(())
}

/// `mbgen explain --changed` on the files a change touched predicts the steps the rebuild ran.
fn check_explain(
    rep: &mut CaseReport,
    dir: &Path,
    before: &BTreeMap<String, u64>,
    built: &Built,
    what: &str,
) {
    let files = explain::changed(before, &explain::snapshot(dir));
    match explain::agrees(dir, None, &files, &built.steps) {
        Ok(()) => rep.explain_checked += 1,
        Err(e) => rep.failures.push(format!("{what}: {e}")),
    }
}

/// The stages mbgen planned for the project's first service, from the library: the same
/// data its header, Bake and Compose read.
fn planned_stages(dir: &Path) -> Result<Vec<String>, String> {
    let loaded = mbgen::load_project(dir).map_err(|e| format!("load {}: {e}", dir.display()))?;
    Ok(loaded
        .project()
        .builds()
        .into_iter()
        .next()
        .map(|b| b.stages)
        .unwrap_or_default())
}

/// Runs mbgen's image of the case; a failure to serve fails the case.
fn serve_checked(
    suite: &Suite,
    rep: &mut CaseReport,
    container: &str,
    image: &str,
    step: &str,
    limit: f64,
) -> Option<f64> {
    match suite.serve(container, image, rep.port, &format!("{}-{step}", rep.name)) {
        Ok(served) => {
            rep.mbgen.served(true);
            check_stop(rep, step, served.stopped, limit);
            Some(served.ready_s)
        }
        Err(e) => {
            rep.mbgen.served(false);
            rep.failures.push(format!("{step}: {e}"));
            None
        }
    }
}

/// Whether the final stage of a Dockerfile runs a process with a graceful stop of its own:
/// gunicorn or uvicorn, or a Celery worker (its warm shutdown), which mbgen's python images
/// leave to stop as they do.
fn graceful_server(dockerfile: &str) -> bool {
    let last_stage = dockerfile.rsplit("\nFROM ").next().unwrap_or(dockerfile);
    last_stage.lines().any(|l| {
        (l.starts_with("CMD ") || l.starts_with("ENTRYPOINT "))
            && ["\"gunicorn\"", "\"uvicorn\"", "\"celery\""]
                .iter()
                .any(|server| l.contains(server))
    })
}

/// The stop limit for the final stage of `dockerfile`.
fn stop_limit(dockerfile: &str) -> f64 {
    if graceful_server(dockerfile) {
        GRACEFUL_STOP_LIMIT_S
    } else {
        STOP_LIMIT_S
    }
}

/// Records a `docker stop` with no request in flight; one slower than `limit` or ending with
/// another status than 0 or 143 (SIGTERM) fails the case.
fn check_stop(rep: &mut CaseReport, what: &str, stopped: Stopped, limit: f64) {
    record_stop(
        rep,
        Stop {
            what: what.to_owned(),
            secs: round1(stopped.secs),
            exit_code: stopped.exit_code,
            in_flight_completed: None,
            reaped: None,
        },
        limit,
        0.0,
    );
}

/// Records a `docker stop`; it fails the case when it took longer than `limit` once the request
/// in flight was done (`grace`: the seconds the request still needed after the stop began), or
/// ended with another status than 0 or 143 (SIGTERM, passed on by tini).
fn record_stop(rep: &mut CaseReport, stop: Stop, limit: f64, grace: f64) {
    if stop.secs > limit + grace {
        rep.failures.push(format!(
            "{}: `docker stop` took {:.1} s{}; expected at most {limit:.0} s (exit {})",
            stop.what,
            stop.secs,
            if grace > 0.0 {
                format!(", {grace:.1} s of them for the request in flight")
            } else {
                String::new()
            },
            stop.exit_code
        ));
    }
    if !matches!(stop.exit_code, 0 | 143) {
        rep.failures.push(format!(
            "{}: exit status {} after `docker stop`; expected 0 or 143 (137 is the kill after \
             the time-out: the process ignored SIGTERM)",
            stop.what, stop.exit_code
        ));
    }
    rep.stops.push(stop);
}

/// After the source change every dependency step comes from the cache, and something is rebuilt.
fn check_source_rebuild(rep: &mut CaseReport, settings: &CaseSettings, name: &str, built: &Built) {
    let (cached, total) = progress::cached_of_total(&built.steps);
    rep.mbgen.source_s = Some(built.secs);
    rep.mbgen.source_cached = Some(cached);
    rep.mbgen.source_total = Some(total);
    let deps: Vec<&Step> = built
        .steps
        .iter()
        .filter(|s| s.is_dependency_install())
        .collect();
    let rerun: Vec<&Step> = deps.iter().copied().filter(|s| !s.cached()).collect();
    if !rerun.is_empty() {
        rep.failures.push(format!(
            "the source change re-ran dependency steps: {} (log {name}-mbgen-source.log)",
            describe(&rerun)
        ));
    }
    if settings.dependency_command.is_some() && deps.is_empty() {
        rep.failures.push(format!(
            "no dependency-install step found in the source-change build log \
             ({name}-mbgen-source.log)"
        ));
    }
    if cached == total {
        rep.failures
            .push("the source change rebuilt nothing: every step was CACHED".to_string());
    }
}

/// After the dependency change every dependency step runs again.
fn check_dependency_rebuild(rep: &mut CaseReport, name: &str, built: &Built) {
    let (cached, total) = progress::cached_of_total(&built.steps);
    rep.mbgen.deps_s = Some(built.secs);
    rep.mbgen.deps_cached = Some(cached);
    rep.mbgen.deps_total = Some(total);
    let deps: Vec<&Step> = built
        .steps
        .iter()
        .filter(|s| s.is_dependency_install())
        .collect();
    let stale: Vec<&Step> = deps.iter().copied().filter(|s| s.cached()).collect();
    if deps.is_empty() {
        rep.failures.push(format!(
            "no dependency-install step found in the dependency-change build log \
             ({name}-mbgen-deps.log)"
        ));
    } else if !stale.is_empty() {
        rep.failures.push(format!(
            "the dependency change did not re-run: {} (log {name}-mbgen-deps.log)",
            describe(&stale)
        ));
    }
}

/// The naive Dockerfile, built the same three ways. Its problems are reported, not failures.
fn naive_case(
    suite: &mut Suite,
    case: &Case,
    settings: &CaseSettings,
    root: &Path,
    rep: &mut CaseReport,
) -> Result<(), String> {
    let name = case.name.as_str();
    let file = &case.naive;
    let shown = file.strip_prefix(root).unwrap_or(file).display();
    if !file.exists() {
        return Err(format!("no naive Dockerfile ({shown}): not compared"));
    }
    let text = fs::read_to_string(file).map_err(|e| format!("{shown}: {e}"))?;
    let port = exposed_port(&text);
    let (_tmp, dir) = scratch_copy(case, "naive")?;
    prune_layer_cache(&suite.docker)?;
    let tag = format!("mbgen-e2e/{name}:naive");
    let container = container_name(name, true);
    let base = BuildSpec {
        case: name,
        step: "",
        context: &dir,
        dockerfile: Some(file),
        tag: Some(&tag),
        target: None,
        no_cache: false,
        build_args: &[],
    };
    let spec = |step| BuildSpec { step, ..base };
    let serve = |suite: &Suite, v: &mut Variant, step: &str| -> Option<f64> {
        match suite.serve(&container, &tag, port, &format!("{name}-{step}")) {
            Ok(served) => {
                v.served(true);
                Some(served.ready_s)
            }
            Err(e) => {
                v.served(false);
                v.problems
                    .push(format!("{step}: the naive image does not serve: {e}"));
                None
            }
        }
    };

    let cold = suite.build(&BuildSpec {
        no_cache: true,
        ..spec("naive-cold")
    })?;
    rep.naive.cold_s = Some(cold.secs);
    rep.naive.ready_s = serve(suite, &mut rep.naive, "naive-cold");
    let user = suite.image_user(&tag)?;
    rep.naive.user = Some(if user.is_empty() { "root".into() } else { user });
    rep.naive.image_mb = Some(suite.image_mb(&tag)?);

    apply_source_change(&dir, settings)?;
    let source = suite.build(&spec("naive-source"))?;
    let (cached, total) = progress::cached_of_total(&source.steps);
    rep.naive.source_s = Some(source.secs);
    rep.naive.source_cached = Some(cached);
    rep.naive.source_total = Some(total);
    serve(suite, &mut rep.naive, "naive-source");

    let Some(command) = &settings.dependency_command else {
        return Ok(());
    };
    apply_dependency_change(&dir, command)?;
    let after = suite.build(&spec("naive-deps"))?;
    let (cached, total) = progress::cached_of_total(&after.steps);
    rep.naive.deps_s = Some(after.secs);
    rep.naive.deps_cached = Some(cached);
    rep.naive.deps_total = Some(total);
    serve(suite, &mut rep.naive, "naive-deps");
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// report

fn write_report(out: &Path, report: &Report) -> Result<(), String> {
    let md = out.join("report.md");
    fs::write(&md, report.markdown()).map_err(|e| format!("{}: {e}", md.display()))?;
    let json = out.join("report.json");
    let text = serde_json::to_string_pretty(report).map_err(|e| format!("report.json: {e}"))?;
    fs::write(&json, text + "\n").map_err(|e| format!("{}: {e}", json.display()))
}
