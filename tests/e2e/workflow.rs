//! The GitHub Actions workflow that `mbgen ci github` writes, run step by step as a runner
//! would: the suite reads each step's `run:` script, working directory and `env:` from the
//! file, and runs the scripts with bash under the variables GitHub would set (the event's
//! values are the suite's). Steps that `uses:` an action (checkout, Buildx, login) stand for
//! what the suite sets up itself.

use fs_err as fs;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::docker::run_logged;
use super::report::round1;
use super::{tail, LOG_TAIL};

/// One step with a script.
#[derive(Debug, Clone)]
pub(crate) struct ScriptStep {
    pub id: String,
    pub working_directory: String,
    pub run: String,
    /// Its own `env:`, values as written (an expression stays `${{ ... }}`).
    pub env: BTreeMap<String, String>,
}

/// The job's `env:` and its script steps, from the workflow's text.
#[derive(Debug, Default)]
pub(crate) struct Workflow {
    pub env: BTreeMap<String, String>,
    pub steps: Vec<ScriptStep>,
}

/// A YAML scalar as written: a double-quoted string (JSON's escapes) or plain text.
fn scalar(value: &str) -> String {
    let value = value.trim();
    if value.starts_with('"') {
        serde_json::from_str(value).unwrap_or_else(|_| value.to_owned())
    } else {
        value.to_owned()
    }
}

/// Indentation of a line.
fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// Reads the job env (`    env:` under the job) and the steps with `run:`. The file is
/// mbgen's own, in block style: a step starts at `- name:`, its keys one level deeper.
pub(crate) fn parse(text: &str) -> Workflow {
    let lines: Vec<&str> = text.lines().collect();
    let mut wf = Workflow::default();
    let mut i = 0;
    let mut step: Option<ScriptStep> = None;
    let mut step_indent = 0;
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim_start();
        if trimmed.starts_with("- name:") {
            wf.steps.extend(step.take().filter(|s| !s.run.is_empty()));
            step = Some(ScriptStep {
                id: String::new(),
                working_directory: ".".into(),
                run: String::new(),
                env: BTreeMap::new(),
            });
            step_indent = indent(line) + 2;
        } else if let (Some(s), true) = (step.as_mut(), indent(line) == step_indent) {
            if let Some(v) = trimmed.strip_prefix("id:") {
                s.id = scalar(v);
            } else if let Some(v) = trimmed.strip_prefix("working-directory:") {
                s.working_directory = scalar(v);
            } else if trimmed == "run: |" {
                let (block, next) = block_at(&lines, i + 1, step_indent);
                s.run = block;
                i = next;
                continue;
            } else if let Some(v) = trimmed.strip_prefix("run:") {
                s.run = scalar(v);
            } else if trimmed == "env:" {
                let (env, next) = map_at(&lines, i + 1, step_indent);
                s.env = env;
                i = next;
                continue;
            }
        } else if step.is_none() && line == "    env:" {
            let (env, next) = map_at(&lines, i + 1, 4);
            wf.env = env;
            i = next;
            continue;
        }
        i += 1;
    }
    wf.steps.extend(step.filter(|s| !s.run.is_empty()));
    wf
}

/// A literal block below a key at `key_indent`: its lines, dedented; the next line's index.
fn block_at(lines: &[&str], mut i: usize, key_indent: usize) -> (String, usize) {
    let mut out = Vec::new();
    let mut body_indent = None;
    while i < lines.len() && (lines[i].trim().is_empty() || indent(lines[i]) > key_indent) {
        let at = *body_indent.get_or_insert(indent(lines[i]));
        out.push(lines[i].get(at..).unwrap_or(""));
        i += 1;
    }
    (out.join("\n") + "\n", i)
}

/// A map below a key at `key_indent`: `NAME: value` pairs one level deeper, comments skipped.
fn map_at(lines: &[&str], mut i: usize, key_indent: usize) -> (BTreeMap<String, String>, usize) {
    let mut map = BTreeMap::new();
    while i < lines.len() && (lines[i].trim().is_empty() || indent(lines[i]) > key_indent) {
        let t = lines[i].trim();
        if let Some((k, v)) = t.split_once(": ").filter(|_| !t.starts_with('#')) {
            map.insert(k.to_owned(), scalar(v));
        }
        i += 1;
    }
    (map, i)
}

/// Runs the script of step `id` as a runner does (`bash -e -o pipefail`), in its working
/// directory below `repo`, with the job's env, the step's own, and `vars` in place of the
/// expressions; `GITHUB_OUTPUT` is returned as name → value.
pub(crate) fn run_step(
    wf: &Workflow,
    id: &str,
    repo: &Path,
    vars: &[(String, String)],
    log: &Path,
) -> Result<(BTreeMap<String, String>, f64), String> {
    let step = wf
        .steps
        .iter()
        .find(|s| s.id == id)
        .ok_or_else(|| format!("the workflow has no step `{id}` with a script"))?;
    let output: PathBuf = log.with_extension("github-output");
    fs::write(&output, "").map_err(|e| format!("{}: {e}", output.display()))?;
    let mut cmd = Command::new("bash");
    cmd.args([
        "--noprofile",
        "--norc",
        "-e",
        "-o",
        "pipefail",
        "-c",
        &step.run,
    ])
    .current_dir(repo.join(&step.working_directory))
    .env("GITHUB_OUTPUT", &output);
    for (k, v) in wf.env.iter().chain(&step.env) {
        if !v.contains("${{") {
            cmd.env(k, v);
        }
    }
    cmd.envs(vars.iter().map(|(k, v)| (k, v)));
    let started = Instant::now();
    let result = run_logged(cmd, log, Duration::from_secs(1800), &format!("step {id}"));
    let secs = round1(started.elapsed().as_secs_f64());
    if !matches!(result, Ok(true)) {
        let text = fs::read_to_string(log).unwrap_or_default();
        return Err(format!(
            "the workflow's step `{id}` failed ({}; log {}):\n{}",
            result.err().unwrap_or_else(|| "exit status not 0".into()),
            log.display(),
            tail(&text, LOG_TAIL)
        ));
    }
    let outputs = fs::read_to_string(&output)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    Ok((outputs, secs))
}
