//! `mbgen new`: the starter app of every stack, created in an empty project, rendered, built,
//! run and answering 200 as a non-root user (cases `new-<stack>`).

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use super::docker::run_captured;
use super::report::{round1, CaseReport};
use super::services::{self, build_all_cold, Cold, Probe};
use super::{run_mbgen, runs, Case, Suite, MBGEN};

/// The stacks `mbgen new` has starters for.
pub(crate) const STACKS: &[&str] = &[
    "go",
    "node-server",
    "node-static",
    "python",
    "rust",
    "static",
];

/// The cases `new-<stack>`, those `wanted` names when given.
pub(crate) fn cases(wanted: Option<&[String]>) -> Vec<Case> {
    STACKS
        .iter()
        .map(|stack| (stack, format!("new-{stack}")))
        .filter(|(_, name)| runs(name, false, wanted))
        .map(|(stack, name)| Case {
            example: PathBuf::new(),
            naive: PathBuf::new(),
            settings: None,
            name,
            from_init: false,
            workspace: false,
            starter: Some(stack),
            fixture: None,
            stop: None,
        })
        .collect()
}

pub(crate) fn run_case(suite: &mut Suite, case: &Case, stack: &str) -> CaseReport {
    let started = Instant::now();
    let mut rep = CaseReport {
        name: case.name.clone(),
        port: 8080,
        ..CaseReport::default()
    };
    if let Err(e) = run(suite, case, stack, &mut rep) {
        rep.failures.push(e);
    }
    rep.naive
        .problems
        .push("no naive build: a starter app has no hand-written counterpart".into());
    rep.compute_ratios();
    rep.passed = rep.failures.is_empty();
    rep.total_s = round1(started.elapsed().as_secs_f64());
    rep
}

fn run(suite: &mut Suite, case: &Case, stack: &str, rep: &mut CaseReport) -> Result<(), String> {
    let tmp = tempfile::Builder::new()
        .prefix(&format!("mbgen-e2e-{}-", case.name))
        .tempdir()
        .map_err(|e| format!("cannot create a scratch directory: {e}"))?;
    let dir = tmp.path();
    let mut cmd = Command::new(MBGEN);
    cmd.args(["new", "app", "--stack", stack, "--project"])
        .arg(dir);
    let out = run_captured(cmd, Duration::from_secs(60), "mbgen new")?;
    if !out.ok {
        return Err(format!("mbgen new failed: {}", out.text()));
    }
    run_mbgen("render", dir, "--quiet")?;
    let services = services::read(&case.name, dir)?;
    build_all_cold(
        suite,
        &case.name,
        &services,
        rep,
        Probe::default(),
        Cold::Warm,
    )
}
