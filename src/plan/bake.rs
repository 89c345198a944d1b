//! `docker-bake.hcl`: a target per service and a `default` group with all of them, every
//! string quoted for HCL so that no value can start an interpolation.

use serde::Serialize;

use super::escape::{hcl_key, hcl_string};
use super::target::{header, targets, Entry};
use super::TEMPLATE_API;
use crate::model::Project;
use crate::relpath::RelPath;

/// Everything the Bake file template reads. Strings are HCL text: quoted strings, or keys.
#[derive(Debug, Serialize)]
pub(crate) struct BakeContext {
    pub template_api: u32,
    /// Comment lines for the top of the file, without the leading `# `.
    pub header: Vec<String>,
    /// The `default` group: every target, quoted, in service name order.
    pub group: Vec<String>,
    pub targets: Vec<BakeTarget>,
}

/// One `target` block: one service.
#[derive(Debug, Serialize)]
pub(crate) struct BakeTarget {
    /// The service name, plain.
    pub service: String,
    /// The block label: the service name, quoted.
    pub name: String,
    /// A comment line above the block, without `# `.
    pub comment: String,
    /// More comment lines: the other commands run from the image (no target of their own).
    pub runs: Vec<String>,
    /// The build context, relative to the Bake file's directory.
    pub context: String,
    /// The Dockerfile, relative to the context.
    pub dockerfile: String,
    /// The final stage.
    pub target: String,
    /// `<image>:<tag>` for every tag.
    pub tags: Vec<String>,
    pub platforms: Vec<String>,
    pub cache_from: Vec<String>,
    pub cache_to: Vec<String>,
    /// Build arguments, in name order.
    pub args: Vec<Entry>,
}

/// The commands that run from a service's image besides its own, one comment line each.
fn also_runs(service: &crate::model::Service) -> Vec<String> {
    let mut lines: Vec<String> = service
        .processes
        .iter()
        .map(|p| {
            format!(
                "Also runs from this image as `{}`: {}",
                p.name,
                p.command.join(" ")
            )
        })
        .collect();
    if let Some(release) = &service.release {
        lines.push(format!(
            "Release command, run once before it starts: {}",
            release.join(" ")
        ));
    }
    lines
}

/// Plans the Bake file written at `path` (relative to the project root).
#[must_use]
pub(crate) fn bake(project: &Project, path: &RelPath) -> BakeContext {
    let hcl_list = |items: &[String]| items.iter().map(|s| hcl_string(s)).collect();
    let targets = targets(project, path)
        .into_iter()
        .map(|t| {
            let service = t.service;
            let publish = &service.publish;
            BakeTarget {
                service: service.name.clone(),
                name: hcl_string(&service.name),
                comment: format!(
                    "{}: stack {}, {}.",
                    service.name,
                    service.stack_name().as_str(),
                    service.dockerfile_path()
                ),
                runs: also_runs(service),
                context: hcl_string(&t.context),
                dockerfile: hcl_string(&t.dockerfile),
                target: hcl_string(t.stage),
                tags: publish
                    .tags
                    .iter()
                    .map(|tag| hcl_string(&format!("{}:{tag}", publish.image)))
                    .collect(),
                platforms: hcl_list(&publish.platforms),
                cache_from: hcl_list(&publish.cache_from),
                cache_to: hcl_list(&publish.cache_to),
                args: service
                    .build_args
                    .iter()
                    .map(|(k, v)| Entry {
                        key: hcl_key(k),
                        value: hcl_string(v),
                    })
                    .collect(),
            }
        })
        .collect();
    let mut header = header(project, path, ", for every service.");
    header.push(
        "Paths are relative to this directory: build every service with `docker buildx bake`"
            .into(),
    );
    header.push("here, or one with `docker buildx bake <service>`.".into());
    BakeContext {
        template_api: TEMPLATE_API,
        header,
        group: project
            .services
            .iter()
            .map(|s| hcl_string(&s.name))
            .collect(),
        targets,
    }
}
