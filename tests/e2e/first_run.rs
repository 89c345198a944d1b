//! The README's first-run session, command by command (case `first-run`): in a copy of the
//! fixture repository it was recorded in, with the mbgen under test and the suite's Docker
//! client first on PATH. Every command must succeed and print the lines the README shows
//! (tests/common/transcript.rs compares them; tests/readme.rs runs the mbgen commands alone
//! in every `cargo test`).
//!
//! The test machines' engine has no bridge network, so the Docker commands run on the host's:
//! `docker build` gets `--network host`, and `docker run`'s `-p 3000:3000` becomes
//! `--network host` (the same port answers).

use fs_err as fs;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use super::docker::{run_captured, ContainerGuard};
use super::report::{round1, CaseReport};
use super::transcript;
use super::{copy_tree, lock_port, Case, Suite, MBGEN, SHORT};

pub(crate) const CASE: &str = "first-run";
/// The repository the session was recorded in.
pub(crate) const FIXTURE: &str = "tests/fixtures/init/express-app";
/// The image and the container the session names, and the port its app answers on.
const NAME: &str = "express-app";
const PORT: u16 = 3000;

pub(crate) fn run_case(suite: &mut Suite, case: &Case, root: &Path) -> CaseReport {
    let started = Instant::now();
    let mut rep = CaseReport {
        name: case.name.clone(),
        port: PORT,
        ..CaseReport::default()
    };
    if let Err(e) = run(suite, root, &mut rep) {
        rep.failures.push(e);
    }
    rep.naive
        .problems
        .push("no naive build: the case replays the README's session".into());
    rep.passed = rep.failures.is_empty();
    rep.total_s = round1(started.elapsed().as_secs_f64());
    rep
}

// The README's session replayed command by command, in its order.
#[allow(clippy::too_many_lines)]
fn run(suite: &mut Suite, root: &Path, rep: &mut CaseReport) -> Result<(), String> {
    let readme = fs::read_to_string(root.join("README.md")).map_err(|e| e.to_string())?;
    let steps = transcript::steps(&readme);
    if steps.is_empty() {
        return Err("README.md has no first-run session (## First run, ```console)".into());
    }
    let tmp = tempfile::Builder::new()
        .prefix("mbgen-e2e-first-run-")
        .tempdir()
        .map_err(|e| format!("cannot create a scratch directory: {e}"))?;
    copy_tree(&root.join(FIXTURE), &tmp.path().join(NAME)).map_err(|e| e.to_string())?;
    // `mbgen` and `docker` are the ones under test
    let bin = tmp.path().join("bin");
    fs::create_dir_all(&bin).map_err(|e| e.to_string())?;
    for (name, target) in [
        ("mbgen", Path::new(MBGEN)),
        ("docker", suite.docker.bin.as_path()),
    ] {
        std::os::unix::fs::symlink(target, bin.join(name)).map_err(|e| e.to_string())?;
    }
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // the session's container and image: the suite removes them at the end
    if !suite.containers.iter().any(|c| c == NAME) {
        suite.containers.push(NAME.to_owned());
    }
    if !suite.tags.iter().any(|t| t == NAME) {
        suite.tags.push(NAME.to_owned());
    }
    let _port = lock_port(PORT)?;
    suite.ensure_port_free(PORT)?;
    let _container = ContainerGuard {
        docker: &suite.docker,
        name: NAME.to_owned(),
    };

    let mut cwd = tmp.path().to_owned();
    for (i, step) in steps.iter().enumerate() {
        if let Some(dir) = step.command.strip_prefix("cd ") {
            cwd = cwd.join(dir);
            continue;
        }
        let command = on_test_engine(&step.command);
        let mut sh = Command::new("sh");
        sh.arg("-c")
            .arg(format!("{command} 2>&1"))
            .current_dir(&cwd)
            .env("PATH", &path)
            .env("DOCKER_HOST", &suite.docker.host)
            .env("DOCKER_BUILDKIT", "1")
            .env("NO_COLOR", "1");
        let limit = if command.starts_with("docker build") {
            suite.build_timeout
        } else {
            SHORT
        };
        println!("e2e: {CASE}: $ {command}");
        let t0 = Instant::now();
        let out = run_captured(sh, limit, &step.command)?;
        let secs = round1(t0.elapsed().as_secs_f64());
        let _ = fs::write(suite.out.join(format!("{CASE}-{i}.log")), &out.stdout);
        if command.starts_with("docker build") {
            rep.mbgen.cold_s = Some(secs);
        }
        if !out.ok {
            return Err(format!(
                "`{command}` failed after {secs:.1} s:\n{}",
                super::tail(&out.stdout, 20)
            ));
        }
        transcript::compare(&step.expected, &out.stdout).map_err(|e| {
            format!(
                "`{}` no longer prints what README.md shows (First run): {e}",
                step.command
            )
        })?;
    }
    rep.mbgen.image_mb = Some(suite.image_mb(NAME)?);
    rep.mbgen.user = Some(suite.image_user(NAME)?);
    // The session ends with `docker stop`; the container must be gone (`--rm`). The engine
    // removes it after `docker stop` returns, so this waits a little for it. (`container
    // inspect`: a plain `inspect` also finds the image of the same name.)
    let mut exists = true;
    for _ in 0..50 {
        exists = suite
            .docker
            .output(&["container", "inspect", NAME], Duration::from_secs(30))?
            .ok;
        if !exists {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    if exists {
        rep.failures.push(format!(
            "the container {NAME} still exists after the session"
        ));
    }
    Ok(())
}

/// The command as the test machines' engine runs it: on the host's network.
fn on_test_engine(command: &str) -> String {
    if let Some(rest) = command.strip_prefix("docker build ") {
        return format!("docker build --network host {rest}");
    }
    if command.starts_with("docker run ") {
        let mut words: Vec<&str> = Vec::new();
        let mut parts = command.split(' ');
        while let Some(word) = parts.next() {
            if word == "-p" {
                parts.next();
                words.extend(["--network", "host"]);
            } else {
                words.push(word);
            }
        }
        return words.join(" ");
    }
    command.to_owned()
}
