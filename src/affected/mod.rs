//! `mbgen affected`: which services the changes since a git revision reach.
//!
//! Beside the pipeline: the command lists the changed files with [`git`], and loads and renders
//! the project as it is and the `mbgen.toml` of the revision ([`Snapshot`]); [`analyse`] then
//! decides, without I/O, which services the changes reach.

pub(crate) mod git;
mod inputs;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

pub(crate) use inputs::Inputs;

use crate::model::{Project, Service};
use crate::render::templates::BUILTIN_PREFIX;
use crate::render::{self, GeneratedFile, ProjectTemplates, RenderError};
use crate::spec::value::TemplateName;

/// A resolved project with every service rendered.
#[derive(Debug)]
pub(crate) struct Snapshot {
    pub project: Project,
    /// By service name.
    rendered: BTreeMap<String, Rendered>,
    /// The names of the project's templates, relative to its templates directory.
    templates: BTreeSet<String>,
}

/// What one service's render wrote, and the project templates it loaded.
#[derive(Debug)]
struct Rendered {
    files: Vec<GeneratedFile>,
    templates: BTreeSet<String>,
}

impl Snapshot {
    /// Renders every service of `project` with `templates` before the built-ins.
    pub(crate) fn render(
        project: Project,
        templates: &ProjectTemplates,
    ) -> Result<Self, RenderError> {
        let mut rendered = BTreeMap::new();
        for service in &project.services {
            let (files, loaded) = render::render_service_traced(templates, &project, service)?;
            rendered.insert(
                service.name.clone(),
                Rendered {
                    files,
                    templates: loaded,
                },
            );
        }
        Ok(Self {
            templates: templates.names().map(str::to_owned).collect(),
            project,
            rendered,
        })
    }

    fn service(&self, name: &str) -> Option<(&Service, &Rendered)> {
        let service = self.project.services.iter().find(|s| s.name == name)?;
        Some((service, self.rendered.get(name)?))
    }

    /// The services whose render a change of `file` (relative to the project root) can reach
    /// through the project's templates, by name; `None` when it reaches every service.
    fn template_users(&self, file: &str) -> Option<BTreeSet<&str>> {
        let dir = &self.project.templates_dir;
        let Some(name) = file
            .strip_prefix(dir.as_str())
            .and_then(|rest| rest.strip_prefix('/'))
            .filter(|_| !dir.is_root())
        else {
            return Some(BTreeSet::new());
        };
        if self.templates.contains(name) {
            return Some(
                self.rendered
                    .iter()
                    .filter(|(_, r)| r.templates.contains(name))
                    .map(|(n, _)| n.as_str())
                    .collect(),
            );
        }
        // Gone from the directory (deleted or moved away): any render could have loaded it,
        // unless the loader could never have, by its name.
        let loadable = TemplateName::check(name).is_ok() && !name.starts_with(BUILTIN_PREFIX);
        if loadable {
            None
        } else {
            Some(BTreeSet::new())
        }
    }
}

/// The `mbgen.toml` at the revision.
#[derive(Debug)]
pub(crate) enum Before {
    /// It is not among the changed files.
    Same,
    /// It did not exist at the revision.
    Missing,
    /// It does not load, resolve or render: the first problem.
    Broken(String),
    /// Resolved (against the files of today) and rendered.
    Loaded(Box<Snapshot>),
}

/// The answer of `mbgen affected --json`.
#[derive(Debug, Serialize)]
pub(crate) struct Report {
    /// The revision as given.
    pub since: String,
    /// The full hash of the commit it names.
    pub commit: String,
    /// The affected services, by name.
    pub services: Vec<Affected>,
    /// The other services, by name.
    pub unaffected: Vec<String>,
    /// The services of the `mbgen.toml` at the revision that are gone, by name.
    pub removed: Vec<String>,
}

/// An affected service and why.
#[derive(Debug, Serialize)]
pub(crate) struct Affected {
    pub name: String,
    /// Changed paths relative to the directory of `mbgen.toml`, after sentences about the
    /// configuration that start with its file name and `: `.
    pub reasons: Vec<String>,
}

/// Which services of `now` are affected by the change of configuration `before` and by the
/// `changed` files (relative to the project root, sorted).
#[must_use]
// The reasons a service is affected, in the order they are reported.
#[allow(clippy::too_many_lines)]
pub(crate) fn analyse(
    now: &Snapshot,
    before: &Before,
    changed: &[String],
    since: &str,
    commit: &str,
) -> Report {
    let project = &now.project;
    let config = project.config_name.as_str();
    let mut reasons: BTreeMap<&str, Vec<String>> = project
        .services
        .iter()
        .map(|s| (s.name.as_str(), Vec::new()))
        .collect();
    let mut add = |names: Option<&BTreeSet<&str>>, reason: &str| {
        for (name, list) in &mut reasons {
            if names.is_none_or(|n| n.contains(name)) && !list.iter().any(|r| r == reason) {
                list.push(reason.to_owned());
            }
        }
    };
    let mut removed = Vec::new();
    match before {
        Before::Same => {}
        Before::Missing => add(None, &format!("{config}: it did not exist at {since}")),
        Before::Broken(why) => add(
            None,
            &format!("{config}: the version at {since} does not load: {why}"),
        ),
        Before::Loaded(old) => {
            for service in &project.services {
                let name = service.name.as_str();
                let reason = match old.service(name) {
                    None => format!("{config}: service `{name}` is new"),
                    Some(was) => {
                        let differences = differences(was, (service, &now.rendered[name]));
                        if differences.is_empty() {
                            continue;
                        }
                        format!(
                            "{config}: service `{name}` changed: {}",
                            differences.join(", ")
                        )
                    }
                };
                add(Some(&BTreeSet::from([name])), &reason);
            }
            removed = old
                .project
                .services
                .iter()
                .filter(|s| now.service(&s.name).is_none())
                .map(|s| s.name.clone())
                .collect();
        }
    }
    let inputs: Vec<(&str, Inputs)> = project
        .services
        .iter()
        .map(|s| (s.name.as_str(), Inputs::of(project, s)))
        .collect();
    let snapshots: Vec<&Snapshot> = match before {
        Before::Loaded(old) => vec![now, old],
        _ => vec![now],
    };
    for file in changed.iter().filter(|f| f.as_str() != config) {
        let mut reached: BTreeSet<&str> = inputs
            .iter()
            .filter(|(_, i)| i.matches(file))
            .map(|(n, _)| *n)
            .collect();
        let mut everyone = false;
        for snapshot in &snapshots {
            match snapshot.template_users(file) {
                Some(users) => reached.extend(users),
                None => everyone = true,
            }
        }
        if everyone {
            add(None, file);
        } else if !reached.is_empty() {
            add(Some(&reached), file);
        }
    }
    let (services, unaffected): (Vec<_>, Vec<_>) =
        reasons.into_iter().partition(|(_, r)| !r.is_empty());
    Report {
        since: since.to_owned(),
        commit: commit.to_owned(),
        services: services
            .into_iter()
            .map(|(name, reasons)| Affected {
                name: name.to_owned(),
                reasons,
            })
            .collect(),
        unaffected: unaffected.into_iter().map(|(n, _)| n.to_owned()).collect(),
        removed,
    }
}

/// What differs between two versions of a service that a build depends on: its generated
/// files, and what the Bake and Compose files take from it.
fn differences(before: (&Service, &Rendered), now: (&Service, &Rendered)) -> Vec<String> {
    let ((was, was_rendered), (is, is_rendered)) = (before, now);
    let mut out = Vec::new();
    for (i, file) in is_rendered.files.iter().enumerate() {
        let same = was_rendered
            .files
            .get(i)
            .is_some_and(|f| f.path == file.path && f.contents == file.contents);
        let label = label(file);
        if !same && !out.iter().any(|l| l == label) {
            out.push(label.to_owned());
        }
    }
    for (differs, what) in [
        (was.context != is.context, "build context"),
        (was.publish.image != is.publish.image, "image name"),
        (was.publish.tags != is.publish.tags, "tags"),
        (was.publish.platforms != is.publish.platforms, "platforms"),
    ] {
        if differs {
            out.push(what.to_owned());
        }
    }
    out
}

/// How a generated file is named in a reason: `Dockerfile` or `.dockerignore`.
fn label(file: &GeneratedFile) -> &'static str {
    if file.path.to_string_lossy().ends_with(".dockerignore") {
        ".dockerignore"
    } else {
        "Dockerfile"
    }
}
