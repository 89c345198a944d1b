//! The workspace example: several services in one repository, some built from the workspace
//! root, checked as a whole.
//!
//! In a scratch copy: the committed files are what mbgen renders; every service builds cold,
//! serves on its port and runs unprivileged; a source edit in one service leaves the other
//! services' builds fully CACHED and its own dependency install CACHED; an edit of the shared
//! library rebuilds the services that use it (installs CACHED) and nobody else; a dependency
//! change re-runs the install; and `docker-compose build` builds the workspace from the
//! generated Compose file.

use fs_err as fs;
use std::fmt::Write as _;
use std::io::Write as IoWrite;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use super::docker::run_logged;
use super::explain;
use super::progress::{self, Step};
use super::report::{round1, CaseReport};
use super::services::{self, build_all_cold, Cold, Probe, Service};
use super::{
    container_name, describe, prune_layer_cache, run_mbgen, scratch_copy, tail, Case, Suite,
    DEPENDENCY_TIMEOUT, LOG_TAIL,
};

/// The service whose sources are edited, the library it shares, and the edits.
const EDITED: &str = "api";
const SOURCE_FILE: &str = "services/api/server.js";
const LIBRARY_FILE: &str = "packages/greeting/index.js";
const LIBRARY_USERS: &[&str] = &["api", "web"];
const DEPENDENCY_COMMAND: &str = "npm install --package-lock-only --no-audit --no-fund \
     --save-exact --workspace=services/api is-number@7.0.0";

/// The containers the workspace cases may start, one per service.
pub(crate) fn container_names(cases: &[Case]) -> Vec<String> {
    let mut names = Vec::new();
    for case in cases.iter().filter(|c| c.workspace && !c.from_init) {
        let Ok(text) = fs::read_to_string(case.example.join("mbgen.toml")) else {
            continue;
        };
        for name in services::names(&text) {
            names.push(container_name(&format!("{}-{name}", case.name), false));
        }
    }
    names
}

pub(crate) fn run_case(suite: &mut Suite, case: &Case) -> CaseReport {
    let started = Instant::now();
    let mut rep = CaseReport {
        name: case.name.clone(),
        has_dependencies: !case.from_init,
        ..CaseReport::default()
    };
    let result = if case.from_init {
        run_from_init(suite, case, &mut rep)
    } else {
        run(suite, case, &mut rep)
    };
    if let Err(e) = result {
        rep.failures.push(e);
    }
    rep.naive
        .problems
        .push("no naive build: the workspace is compared service by service".into());
    rep.compute_ratios();
    rep.passed = rep.failures.is_empty();
    rep.total_s = round1(started.elapsed().as_secs_f64());
    rep
}

fn append(dir: &Path, file: &str, line: &str) -> Result<(), String> {
    let mut f = fs::OpenOptions::new()
        .append(true)
        .open(dir.join(file))
        .map_err(|e| format!("{file}: {e}"))?;
    IoWrite::write_fmt(&mut f, format_args!("{line}\n")).map_err(|e| format!("{file}: {e}"))
}

/// The dependency installs of a build, and those that ran instead of coming from the cache.
fn installs(steps: &[Step]) -> (usize, Vec<&Step>) {
    let deps: Vec<&Step> = steps.iter().filter(|s| s.is_dependency_install()).collect();
    let ran = deps.iter().copied().filter(|s| !s.cached()).collect();
    (deps.len(), ran)
}

fn run(suite: &mut Suite, case: &Case, rep: &mut CaseReport) -> Result<(), String> {
    let (_tmp, dir) = scratch_copy(case, "mbgen")?;
    prune_layer_cache(&suite.docker)?;

    // 1. the committed files are what mbgen renders
    run_mbgen("render", &case.example, "--check")
        .map_err(|e| format!("the committed example is not what mbgen renders: {e}"))?;
    let services = services::read(&case.name, &dir)?;
    rep.port = services
        .iter()
        .find(|s| s.name == EDITED)
        .map_or(0, |s| s.port);

    // 2. every service builds cold, serves and runs unprivileged
    build_all_cold(
        suite,
        &case.name,
        &services,
        rep,
        Probe::default(),
        Cold::Fresh,
    )?;

    source_edit(suite, case, &dir, &services, rep)?;
    library_edit(suite, case, &dir, &services, rep)?;
    dependency_change(suite, case, &dir, &services, rep)?;

    // 6. the generated Compose file builds the workspace
    compose_build(suite, case, &dir, &services, rep);
    Ok(())
}

/// `mbgen init` on the workspace's sources, with every generated file removed: each service
/// it proposes builds, serves and runs unprivileged.
fn run_from_init(suite: &mut Suite, case: &Case, rep: &mut CaseReport) -> Result<(), String> {
    let (_tmp, dir) = scratch_copy(case, "mbgen")?;
    // No prune: the layers shared with the workspace case's own build were proven cold there.
    remove_generated(&dir).map_err(|e| format!("removing the generated files: {e}"))?;
    let _ = fs::remove_file(dir.join("mbgen.toml"));
    run_mbgen("init", &dir, "--yes")?;
    run_mbgen("render", &dir, "--quiet")
        .map_err(|e| format!("{e} (on the mbgen.toml init wrote)"))?;
    let services = services::read(&case.name, &dir)?;
    let names: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
    println!("e2e: {}: init proposed {}", case.name, names.join(", "));
    build_all_cold(
        suite,
        &case.name,
        &services,
        rep,
        Probe::default(),
        Cold::Warm,
    )
}

/// Deletes every file mbgen generated below `dir` (its header names mbgen).
fn remove_generated(dir: &Path) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            remove_generated(&path)?;
        } else if fs::read_to_string(&path).is_ok_and(|t| {
            t.lines()
                .take(3)
                .any(|l| l.contains("generated by mbgen from "))
        }) {
            fs::remove_file(&path)?;
        }
    }
    Ok(())
}

/// 3. A source edit in one service: the others are fully cached, its install is cached.
fn source_edit(
    suite: &mut Suite,
    case: &Case,
    dir: &Path,
    services: &[Service],
    rep: &mut CaseReport,
) -> Result<(), String> {
    let before = explain::snapshot(dir);
    append(dir, SOURCE_FILE, "// e2e: source change")?;
    let changed = explain::changed(&before, &explain::snapshot(dir));
    for s in services {
        let t = Instant::now();
        let steps = services::build(suite, &case.name, s, "source", false)?;
        check_explain(rep, dir, s, &changed, &steps, "source edit");
        let (cached, total) = progress::cached_of_total(&steps);
        let (count, ran) = installs(&steps);
        if s.name == EDITED {
            rep.mbgen.source_s = Some(round1(t.elapsed().as_secs_f64()));
            rep.mbgen.source_cached = Some(cached);
            rep.mbgen.source_total = Some(total);
            if count == 0 {
                rep.failures
                    .push(format!("{}: no dependency install step found", s.name));
            }
            if !ran.is_empty() {
                rep.failures.push(format!(
                    "{}: its source edit re-ran the dependency install: {}",
                    s.name,
                    describe(&ran)
                ));
            }
            if cached == total {
                rep.failures
                    .push(format!("{}: its source edit rebuilt nothing", s.name));
            }
            services::serve(suite, rep, &case.name, s, "/", "source");
        } else if cached != total {
            let rebuilt: Vec<&Step> = steps
                .iter()
                .filter(|s| s.is_instruction() && !s.cached())
                .collect();
            rep.failures.push(format!(
                "{}: a source edit in service {EDITED} rebuilt steps of {}: {}",
                s.name,
                s.name,
                describe(&rebuilt)
            ));
        } else {
            println!(
                "e2e: {}: {}: fully CACHED after the edit in {EDITED} ({cached}/{total})",
                case.name, s.name
            );
        }
    }

    Ok(())
}

/// 4. An edit of the shared library: its users rebuild (installs cached), nobody else.
fn library_edit(
    suite: &mut Suite,
    case: &Case,
    dir: &Path,
    services: &[Service],
    rep: &mut CaseReport,
) -> Result<(), String> {
    let before = explain::snapshot(dir);
    append(dir, LIBRARY_FILE, "// e2e: library change")?;
    let changed = explain::changed(&before, &explain::snapshot(dir));
    for s in services {
        let steps = services::build(suite, &case.name, s, "library", false)?;
        check_explain(rep, dir, s, &changed, &steps, "library edit");
        let (cached, total) = progress::cached_of_total(&steps);
        let (_, ran) = installs(&steps);
        let user = LIBRARY_USERS.contains(&s.name.as_str());
        if user && cached == total {
            rep.failures.push(format!(
                "{}: the library edit did not reach its build",
                s.name
            ));
        }
        if user && !ran.is_empty() {
            rep.failures.push(format!(
                "{}: the library edit re-ran the dependency install: {}",
                s.name,
                describe(&ran)
            ));
        }
        if !user && cached != total {
            rep.failures.push(format!(
                "{}: the library edit rebuilt a service that does not use it",
                s.name
            ));
        }
        if user {
            services::serve(suite, rep, &case.name, s, "/", "library");
        }
    }

    Ok(())
}

/// 5. A dependency change of the edited service: its install runs again.
fn dependency_change(
    suite: &mut Suite,
    case: &Case,
    dir: &Path,
    services: &[Service],
    rep: &mut CaseReport,
) -> Result<(), String> {
    let before = explain::snapshot(dir);
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(DEPENDENCY_COMMAND).current_dir(dir);
    let out = super::docker::run_captured(cmd, DEPENDENCY_TIMEOUT, "dependency change")?;
    if !out.ok {
        return Err(format!(
            "`{DEPENDENCY_COMMAND}` failed:\n{}",
            tail(&out.text(), 20)
        ));
    }
    let changed = explain::changed(&before, &explain::snapshot(dir));
    if let Some(s) = services.iter().find(|s| s.name == EDITED) {
        let t = Instant::now();
        let steps = services::build(suite, &case.name, s, "deps", false)?;
        check_explain(rep, dir, s, &changed, &steps, "dependency change");
        let (cached, total) = progress::cached_of_total(&steps);
        rep.mbgen.deps_s = Some(round1(t.elapsed().as_secs_f64()));
        rep.mbgen.deps_cached = Some(cached);
        rep.mbgen.deps_total = Some(total);
        let (count, ran) = installs(&steps);
        if count == 0 || ran.len() != count {
            rep.failures.push(format!(
                "{}: the dependency change did not re-run every install step ({} of {count} ran)",
                s.name,
                ran.len()
            ));
        }
        services::serve(suite, rep, &case.name, s, "/", "deps");
    }
    Ok(())
}

/// `mbgen explain --changed` predicted exactly the steps of `s` that BuildKit ran.
fn check_explain(
    rep: &mut CaseReport,
    dir: &Path,
    s: &Service,
    changed: &[String],
    steps: &[Step],
    what: &str,
) {
    match explain::agrees(dir, Some(&s.name), changed, steps) {
        Ok(()) => rep.explain_checked += 1,
        Err(e) => rep.failures.push(format!("{}: {what}: {e}", s.name)),
    }
}

/// `docker-compose build` with the generated Compose file, plus an override that builds on the
/// host network as every build of the suite does.
fn compose_build(
    suite: &mut Suite,
    case: &Case,
    dir: &Path,
    services: &[Service],
    rep: &mut CaseReport,
) {
    let compose = dir.join("compose.yaml");
    if !compose.is_file() {
        rep.failures
            .push("the workspace has no generated compose.yaml".into());
        return;
    }
    let mut over = String::from("# The e2e suite's builds use the host network.\nservices:\n");
    for s in services {
        let _ = write!(over, "  {}:\n    build:\n      network: host\n", s.name);
    }
    let over_path = dir.join("compose.e2e.yaml");
    if let Err(e) = fs::write(&over_path, over) {
        rep.failures.push(format!("compose.e2e.yaml: {e}"));
        return;
    }
    // The images Compose tags, removed with the suite's own at the end.
    let text = fs::read_to_string(&compose).unwrap_or_default();
    for line in text.lines() {
        if let Some(image) = line.trim().strip_prefix("image:") {
            suite.tags.push(image.trim().trim_matches('"').to_owned());
        }
    }
    let log = suite.out.join(format!("{}-compose.log", case.name));
    // Compose runs `docker` from PATH: the suite's client comes first (another docker
    // there may want the buildx plugin for BuildKit builds).
    let client_dir = suite
        .docker
        .bin
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![client_dir];
    paths.extend(std::env::split_paths(&path));
    let path = std::env::join_paths(paths).unwrap_or(path);
    let mut cmd = Command::new("docker-compose");
    cmd.current_dir(dir)
        .env("PATH", path)
        .args(["-f", "compose.yaml", "-f", "compose.e2e.yaml", "build"])
        .env("COMPOSE_DOCKER_CLI_BUILD", "1")
        .env("DOCKER_BUILDKIT", "1")
        .env("DOCKER_HOST", &suite.docker.host);
    println!("e2e: {}: docker-compose build ...", case.name);
    let started = Instant::now();
    match run_logged(cmd, &log, Duration::from_secs(900), "docker-compose build") {
        Ok(true) => println!(
            "e2e: {}: docker-compose build done in {:.1} s",
            case.name,
            started.elapsed().as_secs_f64()
        ),
        other => {
            let text = fs::read_to_string(&log).unwrap_or_default();
            rep.failures.push(format!(
                "docker-compose build failed ({}; log {}):\n{}",
                other.err().unwrap_or_else(|| "exit status not 0".into()),
                log.display(),
                tail(&text, LOG_TAIL)
            ));
        }
    }
}
