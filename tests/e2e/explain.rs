//! `mbgen explain` checked against BuildKit: after each change of a case, the steps explain
//! predicts to run again must be exactly the steps BuildKit ran (not `CACHED`); a step it
//! says runs only if what it takes from another stage differs may go either way.
//!
//! The changed files are found by comparing the scratch copy before and after the change
//! (content hashes), and passed to `mbgen explain --changed ... --json`.

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{DefaultHasher, Hash as _, Hasher as _};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use fs_err as fs;

use super::docker::run_captured;
use super::progress::Step;
use super::MBGEN;

/// A content hash of every file below `dir`, by path relative to it.
pub(crate) fn snapshot(dir: &Path) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, u64>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            walk(root, &path, out);
        } else if kind.is_file() {
            let mut hasher = DefaultHasher::new();
            fs::read(&path).unwrap_or_default().hash(&mut hasher);
            let rel = path.strip_prefix(root).unwrap_or(&path);
            out.insert(rel.to_string_lossy().into_owned(), hasher.finish());
        }
    }
}

/// The files that differ between two snapshots (changed, added or removed).
pub(crate) fn changed(
    before: &BTreeMap<String, u64>,
    after: &BTreeMap<String, u64>,
) -> Vec<String> {
    let paths: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    paths
        .into_iter()
        .filter(|p| before.get(*p) != after.get(*p))
        .cloned()
        .collect()
}

#[derive(serde::Deserialize)]
struct Service {
    service: String,
    stages: Vec<StageOut>,
}

#[derive(serde::Deserialize)]
struct StageOut {
    name: String,
    steps: Vec<StepOut>,
}

#[derive(serde::Deserialize)]
struct StepOut {
    step: String,
    instruction: String,
    rerun: Option<bool>,
    same_as: Option<String>,
    #[serde(default)]
    if_output_differs: bool,
}

/// Compares what `mbgen explain` predicts for `files` changed in the project `dir` with the
/// steps BuildKit ran in the rebuild; `Err` says how they differ.
pub(crate) fn agrees(
    dir: &Path,
    service: Option<&str>,
    files: &[String],
    steps: &[Step],
) -> Result<(), String> {
    if files.is_empty() {
        return Err("the change changed no file".into());
    }
    let mut cmd = Command::new(MBGEN);
    cmd.arg("explain")
        .arg(dir)
        .arg("--json")
        .arg("--changed")
        .args(files);
    if let Some(s) = service {
        cmd.args(["--service", s]);
    }
    let out = run_captured(cmd, Duration::from_secs(60), "mbgen explain")?;
    if !out.ok {
        return Err(format!("mbgen explain failed: {}", out.text()));
    }
    let services: Vec<Service> =
        serde_json::from_str(&out.stdout).map_err(|e| format!("mbgen explain --json: {e}"))?;
    let Some(explained) = services.first() else {
        return Err("mbgen explain explained no service".into());
    };
    let predicted: BTreeSet<String> = explained
        .stages
        .iter()
        .flat_map(|s| &s.steps)
        .filter(|s| {
            s.rerun == Some(true)
                && !s.if_output_differs
                && !s.instruction.starts_with("FROM ")
                && s.same_as.is_none()
        })
        .map(|s| s.step.clone())
        .collect();
    // Whether those run depends on the contents BuildKit compares: either way is right.
    let either: BTreeSet<String> = explained
        .stages
        .iter()
        .flat_map(|s| &s.steps)
        .filter(|s| s.if_output_differs)
        .map(|s| s.step.clone())
        .collect();
    // BuildKit leaves the stage's name out of a single-stage build's progress: `[3/3]`.
    let only = match explained.stages.as_slice() {
        [one] => one.name.as_str(),
        _ => "",
    };
    let ran: BTreeSet<String> = steps
        .iter()
        .filter(|s| s.is_instruction() && !s.cached())
        .map(|s| {
            let stage = if s.stage.is_empty() { only } else { &s.stage };
            format!("[{stage} {}]", s.position)
        })
        .filter(|s| !either.contains(s))
        .collect();
    if predicted == ran {
        return Ok(());
    }
    let only = |a: &BTreeSet<String>, b: &BTreeSet<String>| {
        a.difference(b).cloned().collect::<Vec<_>>().join(", ")
    };
    Err(format!(
        "mbgen explain ({} for {}) predicted other steps than BuildKit ran: predicted only: [{}]; ran only: [{}]",
        explained.service,
        files.join(" "),
        only(&predicted, &ran),
        only(&ran, &predicted)
    ))
}
