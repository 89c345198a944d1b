//! CI at scale on BuildKit itself (case `bake-workspace`): the workspace example built with
//! `docker buildx bake` through standalone `buildkitd` builders, its images and a
//! `type=registry` cache pushed to a local registry (see [`super::buildkit`]).
//!
//! In a scratch git repository of the example, with `[workspace]` pointing at the registry
//! (`cache-from`/`cache-to` per service, the mode left to mbgen's default), SBOM and provenance
//! attestations and a fixed `source-date-epoch`:
//! 1. builder A, fresh, builds every target and pushes the images and the cache; the images
//!    carry the attestations, and each pulled into the engine serves;
//! 2. builder B, another fresh buildkitd, builds the same commit importing that cache: every
//!    step of every service is CACHED;
//! 3. a source edit of one service, committed, then the workflow of `mbgen ci github` run step
//!    by step as on a push: `mbgen affected` names that service alone, Bake builds it alone and
//!    only its source steps run; a full Bake after it is all CACHED;
//! 4. the same on a pull request's path for another service: built, nothing pushed;
//! 5. `--set` overrides a target's tags, for one target alone;
//! 6. the first commit built again on B without any cache gives the same image digests as A's
//!    build (`SOURCE_DATE_EPOCH`);
//! 7. `copy-link = true` measured against a base-image change, as a security update of the
//!    runtime images brings: the services whose final stage has a base of its own are built
//!    from a commit without `--link` and from one with it, then the registry gets new versions
//!    of those bases and both are built again. With `--link` the copies into the final stage
//!    stay CACHED, their layers keep their digests and the rebased images serve;
//! 8. every example's Dockerfile passes the checks of BuildKit's own, newest Dockerfile frontend
//!    (`--call check`), which also built the workspace's.

use fs_err as fs;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use super::buildkit::{Baked, Builder, Kit, PushedImage};
use super::docker::run_captured;
use super::report::{round1, CaseReport};
use super::services::{self, Service};
use super::workflow::{self, Workflow};
use super::{base_images, describe, explain, runs, scratch_copy, Case, Suite, MBGEN, ROOT, SHORT};

/// The case's name, for `MBGEN_E2E_ONLY`.
pub(crate) const CASE: &str = "bake-workspace";
/// The example it builds.
pub(crate) const EXAMPLE: &str = "workspace";
/// The service edited on a push, and the one edited on a pull request.
const PUSHED_EDIT: (&str, &str) = ("api", "services/api/server.js");
const PULL_REQUEST_EDIT: (&str, &str) = ("web", "services/web/src/index.html");
/// BuildKit's SBOM scanner, a stand-in built by images.sh.
const SCANNER: &str = "docker/buildkit-syft-scanner:stable-1";
/// The registry namespace of the case's images and caches.
const NAMESPACE: &str = "acme";
/// The fixed time of the reproducible builds.
const EPOCH: u64 = 1_700_000_000;
const ATTESTATIONS: [&str; 2] = [
    "https://spdx.dev/Document",
    "https://slsa.dev/provenance/v1",
];

/// The case, unless `MBGEN_E2E_BAKE=0`, when `MBGEN_E2E_ONLY` (`wanted`) is unset or names it.
pub(crate) fn cases(examples: &Path, wanted: Option<&[String]>) -> Option<Case> {
    (runs(CASE, false, wanted) && std::env::var("MBGEN_E2E_BAKE").as_deref() != Ok("0")).then(
        || Case {
            example: examples.join(EXAMPLE),
            naive: std::path::PathBuf::new(),
            settings: None,
            name: CASE.to_owned(),
            from_init: false,
            workspace: false,
            starter: None,
            fixture: None,
            stop: None,
        },
    )
}

pub(crate) fn run_case(suite: &mut Suite, case: &Case) -> CaseReport {
    let started = Instant::now();
    let mut rep = CaseReport {
        name: case.name.clone(),
        has_dependencies: false,
        ..CaseReport::default()
    };
    if let Err(e) = run(suite, case, &mut rep) {
        rep.failures.push(e);
    }
    rep.naive
        .problems
        .push("no naive build: the case measures BuildKit's registry cache".into());
    rep.passed = rep.failures.is_empty();
    rep.total_s = round1(started.elapsed().as_secs_f64());
    rep
}

/// The scratch repository: its directory, its services, and the commit A builds.
struct Repo {
    dir: std::path::PathBuf,
    services: Vec<Service>,
    base: String,
}

fn run(suite: &mut Suite, case: &Case, rep: &mut CaseReport) -> Result<(), String> {
    let kit = Kit::start(&suite.docker, &suite.out)?;
    kit.forget(NAMESPACE)?;
    let (_tmp, dir) = scratch_copy(case, "bake")?;
    configure(&dir, &kit.registry)?;
    let services = services::read(&case.name, &dir)?;
    let mut images: Vec<String> = services.iter().flat_map(|s| base_images(&s.text)).collect();
    images.extend(example_images()?);
    images.push(SCANNER.to_owned());
    images.sort();
    images.dedup();
    let t = Instant::now();
    kit.push(&images)?;
    note(
        rep,
        format!(
            "stand-in images pushed to the registry in {:.0} s",
            t.elapsed().as_secs_f64()
        ),
    );
    let base = git(&dir, &["rev-parse", "HEAD"])?;
    let repo = Repo {
        dir,
        services,
        base,
    };

    let first = builder_a(suite, &kit, &repo, rep)?;
    let b = kit.builder("mbgen-e2e-b")?;
    builder_b(&kit, &b, &repo, rep)?;
    pushed_change(&kit, &b, &repo, rep)?;
    pull_request(&kit, &b, &repo, rep)?;
    set_override(&kit, &b, &repo, rep)?;
    reproducible(&kit, &b, &repo, &first, rep)?;
    copy_link(suite, &kit, &b, &repo, rep)?;
    frontend_checks(&kit, &b, rep)
}

fn note(rep: &mut CaseReport, line: String) {
    println!("e2e: bake: {line}");
    rep.notes.push(line);
}

/// Points `[workspace]` at the registry, with a registry cache per service, attestations and
/// a fixed epoch; renders; makes it a git repository with one commit.
fn configure(dir: &Path, registry: &str) -> Result<(), String> {
    let path = dir.join("mbgen.toml");
    let text = fs::read_to_string(&path).map_err(|e| format!("mbgen.toml: {e}"))?;
    let mut workspace = format!(
        "[workspace]\nregistry = \"{registry}/acme\"\n\
         cache-from = [\"type=registry,ref={registry}/acme/cache:{{service}}\"]\n\
         cache-to = [\"type=registry,ref={registry}/acme/cache:{{service}}\"]\n\
         attest = {{ sbom = true, provenance = \"max\" }}\n\
         source-date-epoch = {EPOCH}\n"
    );
    let _ = writeln!(workspace);
    let text = text
        .lines()
        .filter(|l| !l.starts_with("registry = "))
        .collect::<Vec<_>>()
        .join("\n")
        .replacen("[workspace]\n", &workspace, 1);
    fs::write(&path, text).map_err(|e| format!("mbgen.toml: {e}"))?;
    super::run_mbgen("render", dir, "--quiet")?;
    git(dir, &["init", "-q", "-b", "main"])?;
    git(dir, &["add", "-A"])?;
    commit(dir, "the example")
}

fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .args(["-c", "user.name=e2e", "-c", "user.email=e2e@localhost"])
        .args(args);
    let out = run_captured(cmd, SHORT, &format!("git {}", args.join(" ")))?;
    if out.ok {
        Ok(out.stdout.trim().to_owned())
    } else {
        Err(format!("git {} failed: {}", args.join(" "), out.text()))
    }
}

fn commit(dir: &Path, message: &str) -> Result<(), String> {
    git(dir, &["add", "-A"])?;
    git(dir, &["commit", "-q", "-m", message]).map(drop)
}

fn edit(dir: &Path, file: &str, line: &str) -> Result<(), String> {
    let path = dir.join(file);
    let mut text = fs::read_to_string(&path).map_err(|e| format!("{file}: {e}"))?;
    text.push_str(line);
    text.push('\n');
    fs::write(&path, text).map_err(|e| format!("{file}: {e}"))
}

/// 1. A fresh builder builds and pushes every target; the pushed images carry both
///    attestations and serve once pulled into the engine.
fn builder_a(
    suite: &mut Suite,
    kit: &Kit,
    repo: &Repo,
    rep: &mut CaseReport,
) -> Result<BTreeMap<String, PushedImage>, String> {
    let a = kit.builder("mbgen-e2e-a")?;
    let baked = kit.bake(&a, &repo.dir, &[], &["--push"], "bake-workspace-a")?;
    drop(a);
    rep.mbgen.cold_s = Some(baked.secs);
    let (cached, total) = baked.cached_of_total();
    note(
        rep,
        format!(
            "builder A (fresh): {:.1} s, {cached}/{total} steps cached, pushed",
            baked.secs
        ),
    );
    let mut pushed = BTreeMap::new();
    for s in &repo.services {
        let tag = format!("{}/acme/{}:latest", kit.registry, s.name);
        let image = kit.image(&tag.replacen(&format!("{}/", kit.registry), "", 1))?;
        for want in ATTESTATIONS {
            if !image.predicates.iter().any(|p| p == want) {
                rep.failures.push(format!(
                    "{}: the pushed index has no {want} attestation (found {:?})",
                    s.name, image.predicates
                ));
            }
        }
        pull_and_serve(suite, rep, &tag, s, "bake-pulled")?;
        pushed.insert(s.name.clone(), image);
    }
    Ok(pushed)
}

/// 2. Another fresh builder imports the registry cache: every step of every service CACHED.
fn builder_b(kit: &Kit, b: &Builder<'_>, repo: &Repo, rep: &mut CaseReport) -> Result<(), String> {
    let baked = kit.bake(b, &repo.dir, &[], &["--push"], "bake-workspace-b")?;
    let (cached, total) = baked.cached_of_total();
    note(
        rep,
        format!(
            "builder B (fresh, registry cache imported): {:.1} s, {cached}/{total} steps cached \
             (A: {:.1} s)",
            baked.secs,
            rep.mbgen.cold_s.unwrap_or_default()
        ),
    );
    rep.mbgen.source_cached = Some(cached);
    rep.mbgen.source_total = Some(total);
    let ran = baked.ran();
    if !ran.is_empty() || total == 0 {
        let steps: Vec<&super::progress::Step> = ran.iter().map(|(_, s)| s).collect();
        rep.failures.push(format!(
            "builder B ran steps despite the registry cache of A: {} (log {})",
            describe(&steps),
            baked.log.display()
        ));
    }
    for s in &repo.services {
        if baked.of(&s.name).is_empty() {
            rep.failures
                .push(format!("builder B's log shows no step of {}", s.name));
        }
    }
    Ok(())
}

/// The variables the workflow reads from GitHub, for the suite's builder and client.
fn runner_vars(kit: &Kit, base: &str, push: bool, bin: &Path) -> Vec<(String, String)> {
    let path = std::env::var("PATH").unwrap_or_default();
    let mut vars = kit.env();
    vars.extend([
        ("BASE_SHA".to_owned(), base.to_owned()),
        ("PUSH".to_owned(), push.to_string()),
        ("BUILDX_BUILDER".to_owned(), "mbgen-e2e-b".to_owned()),
        ("PATH".to_owned(), format!("{}:{path}", bin.display())),
    ]);
    vars
}

/// `mbgen` and `docker` as the workflow's steps find them on PATH: the binary under test and
/// the suite's client.
fn runner_bin(kit: &Kit, dir: &Path) -> Result<std::path::PathBuf, String> {
    let bin = dir.join(".runner-bin");
    fs::create_dir_all(&bin).map_err(|e| e.to_string())?;
    for (name, target) in [
        ("mbgen", Path::new(MBGEN)),
        ("docker", kit.docker.bin.as_path()),
    ] {
        let link = bin.join(name);
        let _ = fs::remove_file(&link);
        std::os::unix::fs::symlink(target, &link)
            .map_err(|e| format!("{}: {e}", link.display()))?;
    }
    Ok(bin)
}

/// The workflow mbgen writes for the scratch repository.
fn workflow_of(dir: &Path) -> Result<Workflow, String> {
    let mut cmd = Command::new(MBGEN);
    cmd.current_dir(dir).args(["ci", "github", "--stdout"]);
    let out = run_captured(cmd, SHORT, "mbgen ci github")?;
    if !out.ok {
        return Err(format!("mbgen ci github failed: {}", out.text()));
    }
    let wf = workflow::parse(&out.stdout);
    for id in ["check", "affected", "bake"] {
        if !wf.steps.iter().any(|s| s.id == id) {
            return Err(format!(
                "the workflow of mbgen ci github has no step `{id}`"
            ));
        }
    }
    Ok(wf)
}

/// Runs the workflow's check, affected and bake steps; the targets `affected` chose and the
/// bake's steps.
fn run_workflow(
    kit: &Kit,
    repo: &Repo,
    since: &str,
    push: bool,
    label: &str,
) -> Result<(String, Option<Baked>), String> {
    let wf = workflow_of(&repo.dir)?;
    let bin = runner_bin(kit, repo.dir.parent().unwrap_or(&repo.dir))?;
    let mut vars = runner_vars(kit, since, push, &bin);
    let log = |step: &str| kit.out.join(format!("{CASE}-{label}-{step}.log"));
    workflow::run_step(&wf, "check", &repo.dir, &vars, &log("check"))?;
    let (outputs, _) = workflow::run_step(&wf, "affected", &repo.dir, &vars, &log("affected"))?;
    let targets = outputs.get("targets").cloned().unwrap_or_default();
    if targets.is_empty() {
        return Ok((targets, None));
    }
    vars.push(("TARGETS".to_owned(), targets.clone()));
    let (_, secs) = workflow::run_step(&wf, "bake", &repo.dir, &vars, &log("bake"))?;
    let only = (!targets.contains(' ')).then_some(targets.as_str());
    let baked = super::buildkit::read_bake_log(&log("bake"), secs, only);
    Ok((targets, Some(baked)))
}

/// 3. A pushed commit that edits one service: the workflow builds that service alone, with
///    only its source steps run, and `mbgen explain` predicted them; then a full Bake is all
///    CACHED.
fn pushed_change(
    kit: &Kit,
    b: &Builder<'_>,
    repo: &Repo,
    rep: &mut CaseReport,
) -> Result<(), String> {
    let (service, file) = PUSHED_EDIT;
    let before = explain::snapshot(&repo.dir);
    edit(&repo.dir, file, "// e2e: a change pushed to main")?;
    let changed = explain::changed(&before, &explain::snapshot(&repo.dir));
    let since = git(&repo.dir, &["rev-parse", "HEAD"])?;
    commit(&repo.dir, "edit one service")?;
    let (targets, baked) = run_workflow(kit, repo, &since, true, "push")?;
    if targets != service {
        rep.failures.push(format!(
            "the workflow's affected step chose `{targets}` for an edit of {file}, not `{service}`"
        ));
    }
    let Some(baked) = baked else {
        return Err("the workflow built nothing".into());
    };
    rep.mbgen.source_s = Some(baked.secs);
    check_only_sources(rep, &baked, service, &repo.dir, &changed);
    note(
        rep,
        format!(
            "push of an edit of {service}: affected = `{targets}`, Bake {:.1} s",
            baked.secs
        ),
    );
    let all = kit.bake(b, &repo.dir, &[], &[], "bake-workspace-after-push")?;
    if !all.ran().is_empty() {
        let steps: Vec<&super::progress::Step> = all.ran().iter().map(|(_, s)| s).collect();
        rep.failures.push(format!(
            "after the pushed build of {service}, a full Bake still ran steps: {}",
            describe(&steps)
        ));
    }
    Ok(())
}

/// The build of `service` after a source edit: no other target, every dependency step
/// CACHED, something ran, and exactly what `mbgen explain` predicted.
fn check_only_sources(
    rep: &mut CaseReport,
    baked: &Baked,
    service: &str,
    dir: &Path,
    changed: &[String],
) {
    let others: Vec<&str> = baked
        .steps
        .iter()
        .map(|(t, _)| t.as_str())
        .filter(|t| *t != service)
        .collect();
    if !others.is_empty() {
        rep.failures.push(format!(
            "Bake of `{service}` alone built other targets too: {others:?} (log {})",
            baked.log.display()
        ));
    }
    let steps = baked.of(service);
    let reinstalled: Vec<&super::progress::Step> = steps
        .iter()
        .filter(|s| s.is_dependency_install() && !s.cached())
        .collect();
    if !reinstalled.is_empty() {
        rep.failures.push(format!(
            "{service}: its source edit re-ran dependency steps on builder B: {}",
            describe(&reinstalled)
        ));
    }
    if steps.iter().all(super::progress::Step::cached) {
        rep.failures
            .push(format!("{service}: its source edit rebuilt nothing"));
    }
    match explain::agrees(dir, Some(service), changed, &steps) {
        Ok(()) => rep.explain_checked += 1,
        Err(e) => rep.failures.push(format!("{service}: {e}")),
    }
}

/// 4. A pull request's run: the edited service is built with the cache imported, and nothing
///    is pushed (its image in the registry is the same).
fn pull_request(
    kit: &Kit,
    _b: &Builder<'_>,
    repo: &Repo,
    rep: &mut CaseReport,
) -> Result<(), String> {
    let (service, file) = PULL_REQUEST_EDIT;
    let repo_tag = format!("acme/{service}:latest");
    let before_image = kit.image(&repo_tag)?;
    let before = explain::snapshot(&repo.dir);
    edit(&repo.dir, file, "<!-- e2e: a pull request -->")?;
    let changed = explain::changed(&before, &explain::snapshot(&repo.dir));
    let since = git(&repo.dir, &["rev-parse", "HEAD"])?;
    commit(&repo.dir, "a pull request")?;
    let (targets, baked) = run_workflow(kit, repo, &since, false, "pull-request")?;
    if targets != service {
        rep.failures.push(format!(
            "pull request: the affected step chose `{targets}` for an edit of {file}"
        ));
    }
    if let Some(baked) = &baked {
        check_only_sources(rep, baked, service, &repo.dir, &changed);
        note(
            rep,
            format!(
                "pull request editing {service}: Bake {:.1} s, nothing pushed",
                baked.secs
            ),
        );
    }
    if kit.image(&repo_tag)?.digest != before_image.digest {
        rep.failures.push(format!(
            "pull request: {repo_tag} was pushed, it must not be"
        ));
    }
    Ok(())
}

/// 5. One target alone, its tags replaced with `--set`.
fn set_override(
    kit: &Kit,
    b: &Builder<'_>,
    repo: &Repo,
    rep: &mut CaseReport,
) -> Result<(), String> {
    let tag = format!("{}/acme/clock:e2e-set", kit.registry);
    let set = format!("clock.tags={tag}");
    let baked = kit.bake(
        b,
        &repo.dir,
        &["clock"],
        &["--push", "--set", &set],
        "bake-workspace-set",
    )?;
    if baked.steps.iter().any(|(t, _)| t != "clock") {
        rep.failures
            .push("`docker buildx bake clock` built other targets".into());
    }
    match kit.image("acme/clock:e2e-set") {
        Ok(image) if !image.digest.is_empty() => {}
        other => rep
            .failures
            .push(format!("`--set {set}` pushed no image there: {other:?}")),
    }
    Ok(())
}

/// 6. The first commit built again without any cache: the same image digests as builder A's.
fn reproducible(
    kit: &Kit,
    b: &Builder<'_>,
    repo: &Repo,
    first: &BTreeMap<String, PushedImage>,
    rep: &mut CaseReport,
) -> Result<(), String> {
    // A fresh clone, as another runner checks the commit out. (The file modes of the
    // checkout are in the layers: `git archive` writes group-writable files, a clone under
    // the usual umask does not, and the digests then differ.)
    let again = repo.dir.with_file_name("bake-again");
    let _ = fs::remove_dir_all(&again);
    let parent = again.parent().unwrap_or(&repo.dir);
    let (from, to) = (repo.dir.display().to_string(), again.display().to_string());
    git(parent, &["clone", "-q", "--no-checkout", &from, &to])?;
    git(&again, &["checkout", "-q", &repo.base])?;
    let mut flags: Vec<String> = [
        "--push",
        "--no-cache",
        "--set",
        "*.cache-from=",
        "--set",
        "*.cache-to=",
    ]
    .map(str::to_owned)
    .into();
    for s in first.keys() {
        flags.push("--set".into());
        flags.push(format!("{s}.tags={}/acme/{s}:again", kit.registry));
    }
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let baked = kit.bake(b, &again, &[], &flags, "bake-workspace-again")?;
    let mut same = Vec::new();
    for (service, image) in first {
        let again = kit.image(&format!("acme/{service}:again"))?;
        if again.digest == image.digest {
            same.push(service.as_str());
        } else {
            rep.failures.push(format!(
                "{service}: built twice from the same commit with SOURCE_DATE_EPOCH={EPOCH}, \
                 the images differ: {} and {}",
                image.digest, again.digest
            ));
        }
    }
    note(
        rep,
        format!(
            "the first commit again, no cache, {:.1} s: same image digest for {}",
            baked.secs,
            same.join(", ")
        ),
    );
    Ok(())
}

/// 7. A base-image change with and without `COPY --link`.
fn copy_link(
    suite: &mut Suite,
    kit: &Kit,
    b: &Builder<'_>,
    repo: &Repo,
    rep: &mut CaseReport,
) -> Result<(), String> {
    let rebased = rebased_services(repo)?;
    let targets: Vec<&str> = rebased.iter().map(|(s, _)| s.name.as_str()).collect();
    let (plain, link) = link_commit(repo)?;

    // Each commit built and pushed on the bases of today, then on the new ones.
    let bake = |commit: &str, tag: &str| -> Result<Baked, String> {
        git(&repo.dir, &["checkout", "-q", commit])?;
        let mut flags: Vec<String> = vec!["--push".into(), "--set".into(), "*.cache-to=".into()];
        for t in &targets {
            flags.push("--set".into());
            flags.push(format!("{t}.tags={}/acme/{t}:{tag}", kit.registry));
        }
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        kit.bake(
            b,
            &repo.dir,
            &targets,
            &flags,
            &format!("bake-workspace-{tag}"),
        )
    };
    bake(&plain, "plain")?;
    bake(&link, "link")?;
    // A new version of each base per build, so that neither build finds the other's steps on
    // the new bases in the builder's cache.
    let mut rebuilt = Vec::new();
    for (variant, commit) in [("plain", &plain), ("link", &link)] {
        let next = rebased
            .iter()
            .map(|(_, base)| next_base(suite, &repo.dir, base, variant))
            .collect::<Result<Vec<_>, _>>()?;
        kit.push(&next)?;
        let baked = bake(commit, &format!("{variant}-next"));
        rebuilt.push(baked);
    }
    // The bases of today back where the mirrors look, for the steps after this one.
    let old: Vec<String> = rebased.iter().map(|(_, base)| base.clone()).collect();
    kit.push(&old)?;
    git(&repo.dir, &["checkout", "-q", "main"])?;
    let link_next = rebuilt.pop().ok_or("no build")??;
    let plain_next = rebuilt.pop().ok_or("no build")??;

    let figures = new_layers(suite, kit, &rebased, rep)?;
    // With --link BuildKit merges the copied layers onto the new base instead of copying.
    let log = fs::read_to_string(&link_next.log).unwrap_or_default();
    let merged = link_next
        .ran()
        .iter()
        .filter(|(_, s)| log.contains(&format!("#{} merging", s.id)))
        .count();
    let copies = |baked: &Baked| {
        baked
            .ran()
            .iter()
            .filter(|(_, s)| s.text.starts_with("COPY"))
            .count()
    };
    if link_next.ran().len() > plain_next.ran().len() {
        rep.failures.push(format!(
            "a new base image ran more steps with copy-link than without ({} and {})",
            link_next.ran().len(),
            plain_next.ran().len()
        ));
    }
    note(
        rep,
        format!(
            "a new base image for {}: without --link {} steps ran again in {:.1} s, {} of them \
             copies; with --link {} in {:.1} s, {} copies ({} shown merging their layer onto \
             the new base); {}",
            targets.join(", "),
            plain_next.ran().len(),
            plain_next.secs,
            copies(&plain_next),
            link_next.ran().len(),
            link_next.secs,
            copies(&link_next),
            merged,
            figures.join("; ")
        ),
    );
    Ok(())
}

/// The services whose final stage starts from an image no other stage uses: a new version
/// of it leaves their build stages as they were. Each with that image.
fn rebased_services(repo: &Repo) -> Result<Vec<(&Service, String)>, String> {
    let rebased: Vec<(&Service, String)> = repo
        .services
        .iter()
        .filter_map(|s| {
            let bases = base_images(&s.text);
            let last = super::from_lines(&s.text).last()?.0.clone();
            (bases.last() == Some(&last) && bases.len() > 1).then_some((s, last))
        })
        .collect();
    if rebased.is_empty() {
        return Err("no service of the example has a runtime base of its own".into());
    }
    Ok(rebased)
}

/// Commits `copy-link = true` on top of the repository's head: the commits without and with.
fn link_commit(repo: &Repo) -> Result<(String, String), String> {
    let plain = git(&repo.dir, &["rev-parse", "HEAD"])?;
    let path = repo.dir.join("mbgen.toml");
    let text = fs::read_to_string(&path).map_err(|e| format!("mbgen.toml: {e}"))?;
    fs::write(
        &path,
        text.replacen("[workspace]\n", "[workspace]\ncopy-link = true\n", 1),
    )
    .map_err(|e| format!("mbgen.toml: {e}"))?;
    super::run_mbgen("render", &repo.dir, "--quiet")?;
    commit(&repo.dir, "copy-link")?;
    Ok((plain, git(&repo.dir, &["rev-parse", "HEAD"])?))
}

/// Per rebased service, the layers its images on the new base do not share with those on
/// the old one, without and with `--link`; the image with `--link` is pulled and served.
fn new_layers(
    suite: &mut Suite,
    kit: &Kit,
    rebased: &[(&Service, String)],
    rep: &mut CaseReport,
) -> Result<Vec<String>, String> {
    let mut figures = Vec::new();
    for (s, _) in rebased {
        let name = &s.name;
        let mut counts = Vec::new();
        for tag in ["plain", "link"] {
            let before = kit.image(&format!("acme/{name}:{tag}"))?;
            let after = kit.image(&format!("acme/{name}:{tag}-next"))?;
            // The layers the new image does not share with the old one, its new base layer
            // among them.
            let new: Vec<&(String, u64)> = after
                .layers
                .iter()
                .filter(|l| !before.layers.contains(l))
                .collect();
            counts.push((new.len(), new.iter().map(|l| l.1).sum::<u64>()));
        }
        let ((plain_n, plain_b), (link_n, link_b)) = (counts[0], counts[1]);
        // The new base has one more layer; with --link nothing else of the image changes.
        if link_n != 1 {
            rep.failures.push(format!(
                "{name}: with copy-link the image on the new base differs from the old one in \
                 {link_n} layers, not in the new base's layer alone"
            ));
        }
        figures.push(format!(
            "{name}: {plain_n} new layers ({:.2} MB) without --link, {link_n} ({:.2} MB) with it",
            mb(plain_b),
            mb(link_b)
        ));
        let tag = format!("{}/acme/{name}:link-next", kit.registry);
        pull_and_serve(suite, rep, &tag, s, "link-rebased")?;
    }
    Ok(figures)
}

/// Pulls a pushed image into the engine under the service's tag and serves it there.
fn pull_and_serve(
    suite: &mut Suite,
    rep: &mut CaseReport,
    pushed: &str,
    s: &Service,
    step: &str,
) -> Result<(), String> {
    suite
        .docker
        .ok(&["pull", "-q", pushed], std::time::Duration::from_secs(300))?;
    suite.docker.ok(&["tag", pushed, &s.tag], SHORT)?;
    for tag in [pushed, s.tag.as_str()] {
        if !suite.tags.iter().any(|t| t == tag) {
            suite.tags.push(tag.to_owned());
        }
    }
    services::serve(suite, rep, CASE, s, "/", step);
    Ok(())
}

/// Builds `base` with one more layer (as a security update adds), for `variant`'s rebuild;
/// `local=base` for [`Kit::push`].
fn next_base(suite: &mut Suite, dir: &Path, base: &str, variant: &str) -> Result<String, String> {
    let slug: String = base
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let local = format!("mbgen-e2e/bake-next-base:{variant}-{slug}");
    let ctx = dir.with_file_name(format!("next-base-{variant}-{slug}"));
    fs::create_dir_all(&ctx).map_err(|e| e.to_string())?;
    fs::write(
        ctx.join("revision"),
        format!("{variant}: a security update\n"),
    )
    .map_err(|e| e.to_string())?;
    fs::write(
        ctx.join("Dockerfile"),
        format!("FROM {base}\nCOPY revision /etc/mbgen-base-revision\n"),
    )
    .map_err(|e| e.to_string())?;
    let context = ctx.display().to_string();
    suite.docker.ok(
        &["build", "-q", "-t", &local, &context],
        std::time::Duration::from_secs(300),
    )?;
    suite.tags.push(local.clone());
    Ok(format!("{local}={base}"))
}

/// Megabytes, to the kilobyte.
fn mb(bytes: u64) -> f64 {
    f64::from(u32::try_from(bytes / 1000).unwrap_or(u32::MAX)) / 1000.0
}

/// The base images of every example, for the frontend's checks.
fn example_images() -> Result<Vec<String>, String> {
    let mut images = Vec::new();
    for (_, dockerfile, _) in example_dockerfiles()? {
        let text = fs::read_to_string(&dockerfile).map_err(|e| e.to_string())?;
        images.extend(base_images(&text));
    }
    Ok(images)
}

/// (target name, Dockerfile, context) of every service of every example.
fn example_dockerfiles() -> Result<Vec<(String, std::path::PathBuf, std::path::PathBuf)>, String> {
    let mut out = Vec::new();
    let examples = Path::new(ROOT).join("examples");
    let mut names: Vec<String> = fs::read_dir(&examples)
        .map_err(|e| e.to_string())?
        .filter_map(Result::ok)
        .filter(|e| e.path().join("mbgen.toml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in names {
        let dir = examples.join(&name);
        let loaded = mbgen::load_project(&dir).map_err(|e| format!("examples/{name}: {e}"))?;
        for build in loaded.project().builds() {
            let context = dir.join(&build.context);
            out.push((
                format!("{name}-{}", build.service),
                context.join(&build.dockerfile),
                context,
            ));
        }
    }
    Ok(out)
}

/// 7. Every example's Dockerfile through the checks of buildkitd's own Dockerfile frontend
///    (`docker buildx bake --call check`), which print their findings on standard output.
fn frontend_checks(kit: &Kit, b: &Builder<'_>, rep: &mut CaseReport) -> Result<(), String> {
    let targets = example_dockerfiles()?;
    let names: Vec<String> = targets.iter().map(|(n, _, _)| format!("\"{n}\"")).collect();
    let mut hcl = format!(
        "group \"default\" {{\n  targets = [{}]\n}}\n",
        names.join(", ")
    );
    for (name, dockerfile, context) in &targets {
        let _ = write!(
            hcl,
            "target \"{name}\" {{\n  context = \"{}\"\n  dockerfile = \"{}\"\n  call = \"check\"\n}}\n",
            context.display(),
            dockerfile.display()
        );
    }
    let file = kit.out.join(format!("{CASE}-check.hcl"));
    fs::write(&file, hcl).map_err(|e| e.to_string())?;
    let mut cmd = kit.docker.command();
    cmd.envs(kit.env())
        .args(["buildx", "bake", "--builder", &b.name, "--file"])
        .arg(&file);
    let out = run_captured(
        cmd,
        std::time::Duration::from_secs(600),
        "bake --call check",
    )?;
    let clean = out
        .stdout
        .matches("Check complete, no warnings found.")
        .count();
    if !out.ok || clean != targets.len() {
        rep.failures.push(format!(
            "BuildKit's Dockerfile checks found problems in the examples' Dockerfiles \
             ({clean} of {} clean):\n{}",
            targets.len(),
            super::tail(&out.text(), 60)
        ));
    }
    note(
        rep,
        format!(
            "{clean} of {} example Dockerfiles pass the checks of buildkitd's Dockerfile frontend",
            targets.len()
        ),
    );
    Ok(())
}
