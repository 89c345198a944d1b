//! `mbgen explain`: what each step of a generated Dockerfile depends on, and which steps a
//! change re-runs, as BuildKit's cache would decide.
//!
//! Beside the render pipeline, on its output: the Dockerfile and `.dockerignore` that
//! `render` writes (with the project's templates, so their steps are explained too) are read
//! back ([`dockerfile`], [`ignore`]), so that the explanation is of the file BuildKit builds.
//! BuildKit's cache, as modelled here: a step runs again when what it reads changed (the
//! context files a `COPY` copies or a bind mount shows, the stage a `--from` names, the build
//! arguments declared before a `RUN`), when the step before it in its stage ran again, or when
//! the stage it starts from did; cache and secret mounts never invalidate a step.

mod dockerfile;
mod ignore;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use globset::GlobBuilder;
use serde::Serialize;

use dockerfile::{Instruction, Stage};
pub(crate) use ignore::Dockerignore;

/// Everything explained about one service's Dockerfile.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ServiceExplanation {
    pub service: String,
    /// The Dockerfile, relative to the project root.
    pub dockerfile: String,
    /// The build context, relative to the project root.
    pub context: String,
    pub stages: Vec<StageExplanation>,
    /// What the user can act on: inputs that change on every commit, installs that follow a
    /// copy of the whole context, build arguments that invalidate an install.
    pub warnings: Vec<String>,
    /// With a change: how many steps run again, of how many.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reruns: Option<Count>,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct Count {
    pub rerun: usize,
    pub steps: usize,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct StageExplanation {
    pub name: String,
    /// The image or earlier stage it starts from.
    pub from: String,
    pub steps: Vec<StepExplanation>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct StepExplanation {
    /// BuildKit's name of the step in its progress output: `[deps 3/4]`.
    pub step: String,
    /// The instruction, on one line.
    pub instruction: String,
    /// What the step reads, besides the step before it.
    pub inputs: Vec<Input>,
    /// The earlier step this one is identical to (the same base, the same instructions up to
    /// here): BuildKit runs them once, as that step, and shows only that one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub same_as: Option<String>,
    /// With a change: whether the step runs again, and why (or why not).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rerun: Option<bool>,
    /// The step runs again only because of what it takes from another stage (`COPY --from`, a
    /// bind mount `from=`): BuildKit keys those on the files' contents, so it stays `CACHED`
    /// when the stage's rebuild gives the same files (a comment a minifier drops, a module
    /// the binary does not use).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub if_output_differs: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

/// Something a step reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "kebab-case")]
pub(crate) enum Input {
    /// A base image.
    Image(String),
    /// Files of the build context: patterns relative to it, after `.dockerignore`.
    Files(Vec<String>),
    /// The result of an earlier stage.
    Stage(String),
    /// A build argument declared before the step.
    BuildArg(String),
    /// A secret mounted into the step: never part of the cache key.
    Secret(String),
    /// A cache mount: never part of the cache key.
    Cache(String),
}

/// The change a prediction is made for: files changed, relative to the project root.
#[derive(Debug, Clone, Default)]
pub(crate) struct Change {
    pub files: Vec<String>,
}

/// Explains one service's rendered Dockerfile; with `change`, predicts what re-runs.
pub(crate) fn explain(
    service: &str,
    dockerfile_path: &str,
    context: &str,
    dockerfile: &str,
    dockerignore: &str,
    change: Option<&Change>,
) -> ServiceExplanation {
    let stages = dockerfile::parse(dockerfile);
    let ignore = Dockerignore::parse(dockerignore);
    let mut explained: Vec<StageExplanation> = stages.iter().map(explain_stage).collect();
    link_identical(&stages, &mut explained);
    let warnings = warnings(&stages, &ignore);
    let reruns = change.map(|change| {
        let changed = context_files(change, context, dockerfile_path, &ignore);
        predict(&stages, &mut explained, &changed)
    });
    ServiceExplanation {
        service: service.to_owned(),
        dockerfile: dockerfile_path.to_owned(),
        context: context.to_owned(),
        stages: explained,
        warnings,
        reruns,
    }
}

fn explain_stage(stage: &Stage) -> StageExplanation {
    let n = stage.step_count();
    let mut steps = Vec::new();
    if !stage.from_earlier {
        steps.push(StepExplanation {
            step: format!("[{} 1/{n}]", stage.name),
            instruction: format!("FROM {}", stage.from),
            inputs: vec![Input::Image(stage.from.clone())],
            same_as: None,
            rerun: None,
            if_output_differs: false,
            why: None,
        });
    }
    let mut args: Vec<String> = Vec::new();
    for i in &stage.instructions {
        if i.keyword == "ARG" {
            args.extend(
                i.args
                    .iter()
                    .map(|a| a.split('=').next().unwrap_or(a).to_owned()),
            );
        }
        let Some(position) = i.position else {
            continue;
        };
        steps.push(StepExplanation {
            step: format!("[{} {position}/{n}]", stage.name),
            instruction: i.text.split_whitespace().collect::<Vec<_>>().join(" "),
            inputs: inputs(i, &args),
            same_as: None,
            rerun: None,
            if_output_differs: false,
            why: None,
        });
    }
    StageExplanation {
        name: stage.name.clone(),
        from: stage.from.clone(),
        steps,
    }
}

/// Marks the steps that are the same as an earlier one: BuildKit builds a graph of
/// operations, and two stages that start alike (`deps` and `prod-deps` both copying the
/// manifests onto the same image) share those operations. A step's identity is its base and
/// every instruction up to it, metadata ones (`ENV`, `ARG`, `USER`) included, and the
/// identities of the stages it copies from.
fn link_identical(stages: &[Stage], explained: &mut [StageExplanation]) {
    let mut stage_keys: BTreeMap<&str, String> = BTreeMap::new();
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for (stage, out) in stages.iter().zip(explained.iter_mut()) {
        let mut key = match stage_keys.get(stage.from.as_str()) {
            Some(k) if stage.from_earlier => k.clone(),
            _ => format!("FROM {}", stage.from),
        };
        let mut by_position: BTreeMap<usize, String> = BTreeMap::new();
        if !stage.from_earlier {
            by_position.insert(1, key.clone());
        }
        for i in &stage.instructions {
            key.push('\n');
            key.push_str(&i.text);
            for from in i.flag("from").into_iter().chain(
                i.flags_named("mount")
                    .filter_map(|m| m.split(',').find_map(|kv| kv.strip_prefix("from="))),
            ) {
                if let Some(k) = stage_keys.get(from) {
                    let _ = write!(key, "\n<{k}>");
                }
            }
            if let Some(p) = i.position {
                by_position.insert(p, key.clone());
            }
        }
        for (step, (_, key)) in out.steps.iter_mut().zip(by_position) {
            match seen.get(&key) {
                Some(first) => step.same_as = Some(first.clone()),
                None => {
                    seen.insert(key, step.step.clone());
                }
            }
        }
        stage_keys.insert(&stage.name, key);
    }
}

/// What an instruction reads besides the step before it.
fn inputs(i: &Instruction, args: &[String]) -> Vec<Input> {
    let mut out = Vec::new();
    match i.keyword.as_str() {
        "COPY" | "ADD" => {
            let sources = &i.args[..i.args.len().saturating_sub(1)];
            match i.flag("from") {
                Some(stage) => out.push(Input::Stage(stage.to_owned())),
                None => out.push(Input::Files(sources.to_vec())),
            }
        }
        "RUN" => {
            for mount in i.flags_named("mount") {
                let fields: BTreeMap<&str, &str> = mount
                    .split(',')
                    .filter_map(|kv| kv.split_once('='))
                    .collect();
                let target = fields.get("target").or_else(|| fields.get("dst"));
                match fields.get("type").copied().unwrap_or("bind") {
                    "cache" => out.push(Input::Cache(target.copied().unwrap_or("?").to_owned())),
                    "secret" => out.push(Input::Secret(
                        fields.get("id").copied().unwrap_or("?").to_owned(),
                    )),
                    "bind" => match fields.get("from") {
                        Some(stage) => out.push(Input::Stage((*stage).to_owned())),
                        None => out.push(Input::Files(vec![fields
                            .get("source")
                            .copied()
                            .unwrap_or(".")
                            .to_owned()])),
                    },
                    _ => {}
                }
            }
            out.extend(args.iter().cloned().map(Input::BuildArg));
        }
        _ => {}
    }
    out
}

/// The changed files that reach the build: inside the context, not left out by
/// `.dockerignore`, relative to the context. A changed Dockerfile is marked `Dockerfile`.
fn context_files(
    change: &Change,
    context: &str,
    dockerfile_path: &str,
    ignore: &Dockerignore,
) -> ChangedFiles {
    let mut files = Vec::new();
    let mut dockerfile = false;
    for f in &change.files {
        let f = f.trim_start_matches("./");
        if f == dockerfile_path || f == format!("{dockerfile_path}.dockerignore") {
            dockerfile = true;
            continue;
        }
        let inside = if context == "." || context.is_empty() {
            Some(f)
        } else {
            f.strip_prefix(context).and_then(|r| r.strip_prefix('/'))
        };
        if let Some(rel) = inside {
            if rel == ".dockerignore" {
                dockerfile = true;
            } else if !ignore.excludes(rel) {
                files.push(rel.to_owned());
            }
        }
    }
    ChangedFiles { files, dockerfile }
}

struct ChangedFiles {
    files: Vec<String>,
    /// The Dockerfile or its `.dockerignore` changed: which steps changed is not known.
    dockerfile: bool,
}

/// The changed files a `COPY` source pattern (relative to the context) matches, the file or
/// a directory above it.
fn matching<'a>(source: &str, changed: &'a [String]) -> Vec<&'a str> {
    let source = source.trim_start_matches("./").trim_end_matches('/');
    if source.is_empty() || source == "." {
        return changed.iter().map(String::as_str).collect();
    }
    let Ok(glob) = GlobBuilder::new(source).literal_separator(true).build() else {
        return Vec::new();
    };
    let glob = glob.compile_matcher();
    changed
        .iter()
        .filter(|f| {
            std::iter::successors(Some(f.as_str()), |p| p.rsplit_once('/').map(|(d, _)| d))
                .any(|a| glob.is_match(a))
        })
        .map(String::as_str)
        .collect()
}

/// Marks every step that runs again, stage by stage, and counts them (`FROM` excluded:
/// resolving a base image is no build step).
fn predict(stages: &[Stage], explained: &mut [StageExplanation], changed: &ChangedFiles) -> Count {
    // A stage that runs again, and whether only if an earlier stage's output differs.
    let mut rerun_stages: BTreeMap<String, bool> = BTreeMap::new();
    let mut decided: BTreeMap<String, Rerun> = BTreeMap::new();
    let mut count = Count { rerun: 0, steps: 0 };
    for (stage, out) in stages.iter().zip(explained.iter_mut()) {
        let mut previous: Option<(String, bool)> = stage
            .from_earlier
            .then(|| rerun_stages.get(&stage.from))
            .flatten()
            .map(|&c| (format!("stage `{}`, which it starts from", stage.from), c));
        let mut any: Option<bool> = previous.as_ref().map(|p| p.1);
        for step in &mut out.steps {
            let rerun = decide(step, previous.as_ref(), changed, &rerun_stages, &decided);
            // A base image is no build step, and a step shared with an earlier stage runs
            // (and is counted) once, as that step.
            if !step.instruction.starts_with("FROM ") && step.same_as.is_none() {
                count.steps += 1;
                count.rerun += usize::from(rerun.runs);
            }
            step.rerun = Some(rerun.runs);
            step.if_output_differs = rerun.runs && rerun.if_output_differs;
            step.why = Some(rerun.why.clone());
            if rerun.runs {
                any = Some(any.unwrap_or(true) && rerun.if_output_differs);
                previous = Some((step.step.clone(), rerun.if_output_differs));
            }
            decided.insert(step.step.clone(), rerun);
        }
        if let Some(conditional) = any {
            rerun_stages.insert(stage.name.clone(), conditional);
        }
    }
    count
}

/// What [`decide`] found for one step.
#[derive(Debug, Clone)]
struct Rerun {
    runs: bool,
    if_output_differs: bool,
    why: String,
}

/// Whether one step runs again, and why: what it reads, the step before it, or the earlier
/// step it is the same as.
fn decide(
    step: &StepExplanation,
    previous: Option<&(String, bool)>,
    changed: &ChangedFiles,
    rerun_stages: &BTreeMap<String, bool>,
    decided: &BTreeMap<String, Rerun>,
) -> Rerun {
    let cached = Rerun {
        runs: false,
        if_output_differs: false,
        why: "cached".to_owned(),
    };
    if let Some(first) = &step.same_as {
        let (runs, if_output_differs) = decided
            .get(first)
            .map_or((false, false), |r| (r.runs, r.if_output_differs));
        return Rerun {
            runs,
            if_output_differs,
            why: format!("the same step as {first}"),
        };
    }
    if step.instruction.starts_with("FROM ") {
        return cached;
    }
    let own = if changed.dockerfile {
        Some((
            "the Dockerfile or its .dockerignore changed".to_owned(),
            false,
        ))
    } else {
        own_reason(&step.inputs, &changed.files, rerun_stages)
    };
    match own.or_else(|| previous.map(|(p, c)| (format!("after {p}"), *c))) {
        Some((why, if_output_differs)) => Rerun {
            runs: true,
            if_output_differs,
            why,
        },
        None => cached,
    }
}

/// Why a step runs again because of what it reads itself, if it does, and whether only if
/// what it takes from another stage comes out different.
fn own_reason(
    inputs: &[Input],
    changed: &[String],
    rerun_stages: &BTreeMap<String, bool>,
) -> Option<(String, bool)> {
    for input in inputs {
        if let Input::Files(sources) = input {
            let hits: Vec<&str> = sources.iter().flat_map(|s| matching(s, changed)).collect();
            if let Some(first) = hits.first() {
                let more = if hits.len() > 1 {
                    format!(" (and {} more)", hits.len() - 1)
                } else {
                    String::new()
                };
                return Some((format!("`{first}`{more} changed"), false));
            }
        }
    }
    inputs.iter().find_map(|input| match input {
        Input::Stage(stage) if rerun_stages.contains_key(stage) => Some((
            format!(
                "stage `{stage}` runs again (BuildKit skips this step if the files it takes from it come out the same)"
            ),
            true,
        )),
        _ => None,
    })
}

/// Whether a `RUN` is an expensive step worth warning about: it installs or compiles with a
/// cache mount, as dependency installs do.
fn is_install(i: &Instruction) -> bool {
    i.keyword == "RUN" && i.flags_named("mount").any(|m| m.contains("type=cache"))
}

/// What the user can act on, per stage.
fn warnings(stages: &[Stage], ignore: &Dockerignore) -> Vec<String> {
    let mut out = Vec::new();
    let git_sent = !ignore.excludes(".git/HEAD");
    for stage in stages {
        let mut whole_context: Option<&Instruction> = None;
        let mut args: Vec<&str> = Vec::new();
        for i in &stage.instructions {
            let sources = i.args.len().saturating_sub(1);
            let copies_all = matches!(i.keyword.as_str(), "COPY" | "ADD")
                && i.flag("from").is_none()
                && i.args[..sources]
                    .iter()
                    .any(|s| matches!(s.trim_end_matches('/'), "." | "./" | "*"));
            if copies_all && git_sent {
                out.push(format!(
                    "stage `{}`: `{}` copies `.git`, which .dockerignore does not leave out: every commit runs it again; add `.git` to `dockerignore`",
                    stage.name, i.text
                ));
            }
            if copies_all && whole_context.is_none() {
                whole_context = Some(i);
            }
            if i.keyword == "ARG" {
                args.extend(i.args.iter().map(|a| a.split('=').next().unwrap_or(a)));
            }
            if !is_install(i) {
                continue;
            }
            if let Some(copy) = whole_context {
                out.push(format!(
                    "stage `{}`: `{}` comes before `{}`: any source edit runs the install again; copy the manifests alone first",
                    stage.name,
                    copy.text,
                    short(&i.text)
                ));
            }
            for arg in &args {
                out.push(format!(
                    "stage `{}`: build argument `{arg}` is declared before `{}`: a new value re-runs it; declare it after the install",
                    stage.name,
                    short(&i.text)
                ));
            }
        }
    }
    out
}

/// An instruction cut to a readable length.
fn short(text: &str) -> String {
    let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() > 60 {
        format!("{}...", text.chars().take(57).collect::<String>())
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NODE: &str = "FROM node:22 AS deps\nWORKDIR /app\nCOPY package.json package-lock.json ./\nRUN --mount=type=cache,target=/root/.npm npm ci\n\nFROM deps AS build\nCOPY . .\nRUN npm run build\n\nFROM node:22 AS runtime\nWORKDIR /app\nCOPY --from=deps /app/node_modules ./node_modules\nCOPY --from=build /app/dist ./dist\nCMD [\"node\", \"dist/main.js\"]\n";
    const IGNORE: &str = ".git\nnode_modules\ndist\n";

    fn reruns(files: &[&str]) -> Vec<String> {
        let change = Change {
            files: files.iter().map(|f| (*f).to_owned()).collect(),
        };
        let e = explain("api", "Dockerfile", ".", NODE, IGNORE, Some(&change));
        e.stages
            .iter()
            .flat_map(|s| &s.steps)
            .filter(|s| s.rerun == Some(true))
            .map(|s| s.step.clone())
            .collect()
    }

    #[test]
    fn a_source_edit_reruns_the_build_not_the_install() {
        assert_eq!(
            reruns(&["src/main.ts"]),
            ["[build 1/2]", "[build 2/2]", "[runtime 4/4]"]
        );
    }

    #[test]
    fn a_manifest_edit_reruns_the_install_and_all_that_follows() {
        assert_eq!(
            reruns(&["package-lock.json"]),
            [
                "[deps 3/4]",
                "[deps 4/4]",
                "[build 1/2]",
                "[build 2/2]",
                "[runtime 3/4]",
                "[runtime 4/4]"
            ]
        );
    }

    #[test]
    fn ignored_files_rerun_nothing() {
        assert!(reruns(&["dist/main.js", ".git/HEAD"]).is_empty());
    }

    #[test]
    fn warnings_name_what_to_fix() {
        let e = explain(
            "api",
            "Dockerfile",
            ".",
            "FROM node:22 AS build\nARG SHA\nCOPY . .\nRUN --mount=type=cache,target=/root/.npm npm ci\n",
            "",
            None,
        );
        assert_eq!(e.warnings.len(), 3, "{:?}", e.warnings);
        assert!(e.warnings[0].contains("copies `.git`"));
        assert!(e.warnings[1].contains("comes before"));
        assert!(e.warnings[2].contains("build argument `SHA`"));
    }
}
