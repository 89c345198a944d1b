//! `mbgen explain`: print what each Dockerfile step depends on, and what a change re-runs.

use std::fmt::Write as _;
use std::io::Write as _;

use crate::affected::git::Repo;
use crate::cli::ExplainArgs;
use crate::diagnostic::{suggest, Diagnostic};
use crate::explain::{self, Change, Input, ServiceExplanation};
use crate::render::FileKind;
use crate::Error;

/// What `explain` does, from the command line.
struct Settings {
    service: Option<String>,
    change: Option<Source>,
    json: bool,
}

/// Where the changed files come from.
enum Source {
    Since(String),
    Files(Vec<String>),
}

pub(super) fn run(args: ExplainArgs) -> Result<(), Error> {
    let ExplainArgs {
        path,
        service,
        since,
        changed,
        json,
    } = args;
    let settings = Settings {
        service,
        change: match (since, changed.is_empty()) {
            (Some(rev), _) => Some(Source::Since(rev)),
            (None, false) => Some(Source::Files(changed)),
            (None, true) => None,
        },
        json,
    };
    let (root, _, _) = crate::project::locate(&path);
    let loaded = crate::project::load_project(&path)?;
    let builds = loaded.project().builds();
    if let Some(name) = &settings.service {
        if !builds.iter().any(|b| &b.service == name) {
            let names = builds.iter().map(|b| b.service.as_str());
            let help = match suggest(name, names) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "`mbgen explain` without --service explains every service".to_owned(),
            };
            return Err(
                Diagnostic::new(format!("there is no service `{name}` in mbgen.toml"))
                    .help(help)
                    .into(),
            );
        }
    }
    let change = match &settings.change {
        None => None,
        Some(Source::Files(files)) => Some(Change {
            files: files.clone(),
        }),
        Some(Source::Since(rev)) => {
            let repo =
                Repo::open(&root, &crate::project::shown(&root)).map_err(|d| Error::from(*d))?;
            let commit = repo.commit(rev).map_err(|d| Error::from(*d))?;
            let files = repo.changed_since(&commit).map_err(|d| Error::from(*d))?;
            Some(Change { files })
        }
    };
    let files = loaded.render()?;
    let mut out = Vec::new();
    for build in builds
        .iter()
        .filter(|b| settings.service.as_ref().is_none_or(|s| s == &b.service))
    {
        let of = |kind: FileKind| {
            files
                .iter()
                .find(|f| f.service == build.service && f.kind == kind)
                .expect("render writes a Dockerfile and a .dockerignore per service")
        };
        let dockerfile = of(FileKind::Dockerfile);
        let dockerignore = of(FileKind::Dockerignore);
        out.push(explain::explain(
            &build.service,
            &dockerfile.path.to_string_lossy(),
            &build.context,
            &dockerfile.contents,
            &dockerignore.contents,
            change.as_ref(),
        ));
    }
    let text = if settings.json {
        let mut text = serde_json::to_string_pretty(&out).expect("the explanation serialises");
        text.push('\n');
        text
    } else {
        out.iter().map(plain).collect::<Vec<_>>().join("\n")
    };
    std::io::stdout()
        .write_all(text.as_bytes())
        .map_err(Error::io("write", "standard output"))
}

/// One service as people read it: a line per step, aligned, the inputs after it.
fn plain(e: &ServiceExplanation) -> String {
    let mut out = format!("{} ({}, context {})", e.service, e.dockerfile, e.context);
    if let Some(count) = e.reruns {
        let _ = write!(out, ": {} of {} steps run again", count.rerun, count.steps);
    }
    out.push('\n');
    let steps: Vec<_> = e.stages.iter().flat_map(|s| &s.steps).collect();
    let label = steps.iter().map(|s| s.step.len()).max().unwrap_or(0);
    let instruction = steps
        .iter()
        .map(|s| short(&s.instruction).chars().count())
        .max()
        .unwrap_or(0);
    for (i, stage) in e.stages.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        for step in &stage.steps {
            let status = match step.rerun {
                Some(true) if step.if_output_differs => "may run ",
                Some(true) => "runs    ",
                Some(false) => "cached  ",
                None => "",
            };
            let detail = match (&step.rerun, &step.why, &step.same_as) {
                (Some(true), Some(why), _) => why.clone(),
                (_, _, Some(first)) => format!("the same step as {first}: BuildKit runs it once"),
                _ => describe(&step.inputs),
            };
            let line = format!(
                "  {status}{:<label$}  {:<instruction$}  {detail}",
                step.step,
                short(&step.instruction),
            );
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    for w in &e.warnings {
        let _ = writeln!(out, "warning: {w}");
    }
    out
}

/// The inputs of a step, in a few words.
fn describe(inputs: &[Input]) -> String {
    let parts: Vec<String> = inputs
        .iter()
        .map(|i| match i {
            Input::Image(image) => format!("image {image}"),
            Input::Files(files) => format!("files {}", files.join(" ")),
            Input::Stage(stage) => format!("stage {stage}"),
            Input::BuildArg(arg) => format!("build arg {arg}"),
            Input::Secret(id) => format!("secret {id}"),
            Input::Cache(target) => format!("cache mount {target}"),
        })
        .collect();
    parts.join("; ")
}

/// An instruction cut to a column's width.
fn short(text: &str) -> String {
    if text.chars().count() > 56 {
        format!("{}...", text.chars().take(53).collect::<String>())
    } else {
        text.to_owned()
    }
}
