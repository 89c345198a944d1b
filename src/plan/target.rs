//! One service's build as the files of the whole workspace name it: the build context
//! relative to the file, the Dockerfile, the final stage, the image and its build arguments.
//! [`super::bake`] and [`super::compose`] print the same targets, each in its language.

use serde::Serialize;

use super::escape::comment;
use super::stages::{self, RUNTIME};
use super::HEADER_MARK;
use crate::model::{Project, Service};
use crate::relpath::RelPath;

/// A service's build, with paths relative to the directory of the file naming it.
pub(super) struct Target<'a> {
    pub service: &'a Service,
    /// The build context, relative to the file's directory.
    pub context: String,
    /// The Dockerfile, relative to the context.
    pub dockerfile: String,
    /// The stage the image is built from: the last one.
    pub stage: &'static str,
}

/// Every service's target, for a file written at `path` (relative to the project root).
pub(super) fn targets<'a>(project: &'a Project, path: &RelPath) -> Vec<Target<'a>> {
    let dir = path.parent();
    project
        .services
        .iter()
        .map(|service| Target {
            service,
            context: service.context.relative_from(&dir),
            dockerfile: service.dockerfile.to_string(),
            stage: stages::layout(service).last().map_or(RUNTIME, |s| s.name),
        })
        .collect()
}

/// The first header lines of a workspace file: what it is, and where it comes from.
pub(super) fn header(project: &Project, path: &RelPath, what: &str) -> Vec<String> {
    vec![
        comment(&format!(
            "{} {HEADER_MARK}{}{what}",
            path.file_name(),
            project.config_name
        )),
        format!(
            "Do not edit: change {} and run `mbgen render`.",
            comment(&project.config_name)
        ),
    ]
}

/// A key and its value, both ready to print.
#[derive(Debug, Serialize)]
pub(crate) struct Entry {
    pub key: String,
    pub value: String,
}
