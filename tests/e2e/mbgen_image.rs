//! mbgen's own image, from the repository's mbgen.toml and the Dockerfile mbgen renders from it
//! (case `mbgen-image`), built and run the way a CI job runs a tool image.
//!
//! The image must run as a non-root user, hold no shell, and name the commit it was built from
//! (`--build-arg MBGEN_COMMIT`). Then, as a CI job whose user owns the checkout (uid 4242 when
//! the suite runs as root): the fixture repository of the README's first run is mounted at
//! /work, `mbgen init` and `mbgen render` run in the image with `--user` that user, the files
//! they write must belong to it, and the Dockerfile they wrote is built and served. Run after
//! `first-run`, whose session builds the same Dockerfile, that build comes from the cache.

use fs_err as fs;
use std::os::unix::fs::MetadataExt as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use super::docker::run_captured;
use super::first_run::FIXTURE;
use super::report::{round1, CaseReport};
use super::services::{self, Probe};
use super::{copy_tree, is_root_user, BuildSpec, Case, Suite, SHORT};

pub(crate) const CASE: &str = "mbgen-image";
const TAG: &str = "mbgen-e2e/mbgen-image:mbgen";
/// The owner of the checkout when the suite runs as root: a CI job's user.
const CI_USER: u32 = 4242;

pub(crate) fn run_case(suite: &mut Suite, case: &Case, root: &Path) -> CaseReport {
    let started = Instant::now();
    let mut rep = CaseReport {
        name: case.name.clone(),
        ..CaseReport::default()
    };
    if let Err(e) = run(suite, root, &mut rep) {
        rep.failures.push(e);
    }
    rep.naive
        .problems
        .push("no naive build: the case runs mbgen's own image".into());
    rep.passed = rep.failures.is_empty();
    rep.total_s = round1(started.elapsed().as_secs_f64());
    rep
}

fn run(suite: &mut Suite, root: &Path, rep: &mut CaseReport) -> Result<(), String> {
    // 1. the image, from the repository itself
    let commit = git_commit(root);
    let build_args: Vec<String> = commit.iter().map(|c| format!("MBGEN_COMMIT={c}")).collect();
    let t0 = Instant::now();
    suite.build(&BuildSpec {
        case: CASE,
        step: "build",
        context: root,
        dockerfile: None,
        tag: Some(TAG),
        target: None,
        no_cache: false,
        build_args: &build_args,
    })?;
    rep.mbgen.cold_s = Some(round1(t0.elapsed().as_secs_f64()));
    rep.mbgen.image_mb = Some(suite.image_mb(TAG)?);
    let user = suite.image_user(TAG)?;
    if is_root_user(&user) {
        rep.failures.push(format!(
            "mbgen's image runs as root (Config.User = {user:?})"
        ));
    }
    rep.mbgen.user = Some(user);
    check_image(suite, rep, commit.as_deref())?;

    // 2. a CI job: the repository mounted at /work, init and render as the job's user
    let tmp = tempfile::Builder::new()
        .prefix("mbgen-e2e-mbgen-image-")
        .tempdir()
        .map_err(|e| format!("cannot create a scratch directory: {e}"))?;
    let repo = tmp.path().join("express-app");
    copy_tree(&root.join(FIXTURE), &repo).map_err(|e| e.to_string())?;
    let owner = checkout_owner(&repo)?;
    for command in [&["init"][..], &["render"][..], &["render", "--check"][..]] {
        let out = ci_run(suite, &repo, owner, command)?;
        println!("e2e: {CASE}: mbgen {} -> ok", command.join(" "));
        if command == ["init"] && !out.contains("found 1 service") {
            rep.failures
                .push(format!("mbgen init in the image printed:\n{out}"));
        }
    }
    for file in [
        "mbgen.toml",
        ".mbgen/mbgen.schema.json",
        "Dockerfile",
        ".dockerignore",
    ] {
        let meta = fs::metadata(repo.join(file)).map_err(|e| e.to_string())?;
        if (meta.uid(), meta.gid()) != owner {
            rep.failures.push(format!(
                "{file}, written through the mount, belongs to {}:{}, not to the calling user \
                 {}:{}",
                meta.uid(),
                meta.gid(),
                owner.0,
                owner.1
            ));
        }
    }

    // 3. what it wrote builds and serves (the first-run case built it: from the cache)
    let services = services::read(CASE, &repo)?;
    for s in &services {
        services::build(suite, CASE, s, "app", false)?;
        rep.port = s.port;
        services::serve(suite, rep, CASE, s, Probe::default().path, "app");
    }
    Ok(())
}

/// `mbgen --version` names the commit; there is no shell to run.
fn check_image(suite: &Suite, rep: &mut CaseReport, commit: Option<&str>) -> Result<(), String> {
    let version = suite.docker.ok(
        &["run", "--rm", "--network", "host", TAG, "--version"],
        SHORT,
    )?;
    println!("e2e: {CASE}: {version}");
    if let Some(commit) = commit.filter(|c| !version.contains(*c)) {
        rep.failures.push(format!(
            "`mbgen --version` in the image says {version:?}, not the commit {commit}"
        ));
    }
    let shell = suite.docker.output(
        &[
            "run",
            "--rm",
            "--network",
            "host",
            "--entrypoint",
            "/bin/sh",
            TAG,
            "-c",
            "true",
        ],
        SHORT,
    )?;
    if shell.ok {
        rep.failures
            .push("mbgen's image has a shell (/bin/sh ran); it should hold none".into());
    }
    Ok(())
}

/// The checkout's owner, as a CI job's user: the suite's own user, or when that is root
/// [`CI_USER`], to whom the copy is given.
fn checkout_owner(repo: &Path) -> Result<(u32, u32), String> {
    let meta = fs::metadata(repo).map_err(|e| e.to_string())?;
    if meta.uid() != 0 {
        return Ok((meta.uid(), meta.gid()));
    }
    let mut chown = Command::new("chown");
    chown
        .arg("-R")
        .arg(format!("{CI_USER}:{CI_USER}"))
        .arg(repo);
    let out = run_captured(chown, SHORT, "chown")?;
    if !out.ok {
        return Err(format!("chown failed: {}", out.text()));
    }
    Ok((CI_USER, CI_USER))
}

/// `docker run --rm --user U:G -v REPO:/work -w /work IMAGE <args>`, as the README says a CI
/// job runs it; its output.
fn ci_run(suite: &Suite, repo: &Path, owner: (u32, u32), args: &[&str]) -> Result<String, String> {
    let user = format!("{}:{}", owner.0, owner.1);
    let mount = format!("{}:/work", repo.display());
    let mut run = vec![
        "run",
        "--rm",
        "--network",
        "host",
        "--user",
        &user,
        "-v",
        &mount,
        "-w",
        "/work",
        TAG,
    ];
    run.extend(args);
    let out = suite.docker.output(&run, Duration::from_secs(120))?;
    if out.ok {
        Ok(out.text())
    } else {
        Err(format!(
            "`mbgen {}` in the image failed: {}",
            args.join(" "),
            out.text()
        ))
    }
}

/// The commit of the checkout, as build.rs names it; none outside git.
fn git_commit(root: &Path) -> Option<String> {
    let out = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(root)
        .output()
        .ok()?;
    let commit = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (out.status.success() && !commit.is_empty()).then_some(commit)
}
