//! `docker-bake.hcl`: a target per service and a `default` group with all of them, every
//! string quoted for HCL so that no value can start an interpolation.

use std::collections::BTreeMap;

use serde::Serialize;

use super::escape::{comment, hcl_key, hcl_string};
use super::target::{header, targets, Entry};
use super::TEMPLATE_API;
use crate::model::{Project, SupplyChain};
use crate::relpath::RelPath;
use crate::spec::Provenance;

/// Everything the Bake file template reads. Strings are HCL text: quoted strings, or keys.
#[derive(Debug, Serialize)]
pub(crate) struct BakeContext {
    pub template_api: u32,
    /// Comment lines for the top of the file, without the leading `# `.
    pub header: Vec<String>,
    /// The `default` group: every target, quoted, in service name order.
    pub group: Vec<String>,
    /// `variable` blocks, which the environment variable of the same name overrides.
    pub variables: Vec<BakeVariable>,
    pub targets: Vec<BakeTarget>,
}

/// A Bake variable: its name, its default (HCL text) and a comment line.
#[derive(Debug, Serialize)]
pub(crate) struct BakeVariable {
    pub name: String,
    pub default: String,
    /// Comment lines above the block, without `# `.
    pub comments: Vec<String>,
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
    /// Build arguments, in name order; a value is HCL text (a quoted string, or the name of a
    /// variable).
    pub args: Vec<Entry>,
    /// Attestations (`type=sbom`, `type=provenance,mode=max`), quoted.
    pub attest: Vec<String>,
    /// Outputs, quoted: the image with its layer timestamps rewritten, with
    /// `source-date-epoch`.
    pub output: Vec<String>,
}

/// The commands that run from a service's image besides its own, one comment line each
/// (escaped: a command's newline cannot end the comment).
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
    lines.iter().map(|l| comment(l)).collect()
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
                comment: comment(&format!(
                    "{}: stack {}, {}.",
                    service.name,
                    service.stack_name().as_str(),
                    service.dockerfile_path()
                )),
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
                args: args(&service.build_args, &project.supply_chain),
                attest: attest(&project.supply_chain),
                output: project
                    .supply_chain
                    .source_date_epoch
                    .map(|_| hcl_string("type=image,rewrite-timestamp=true"))
                    .into_iter()
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
        variables: project
            .supply_chain
            .source_date_epoch
            .map(|epoch| BakeVariable {
                name: SOURCE_DATE_EPOCH.to_owned(),
                default: hcl_string(&epoch.to_string()),
                comments: vec![
                    "The time written into every image and into the files of its layers \
                     (seconds since 1970)."
                        .to_owned(),
                    "Keep it fixed: BuildKit keys every step's cache on it.".to_owned(),
                ],
            })
            .into_iter()
            .collect(),
        targets,
    }
}

/// The build argument and Bake variable BuildKit reads the reproducible time from.
const SOURCE_DATE_EPOCH: &str = "SOURCE_DATE_EPOCH";

/// A target's build arguments, with `SOURCE_DATE_EPOCH` from the Bake variable when the
/// workspace fixes it (a build argument of that name written in `mbgen.toml` wins).
fn args(build_args: &BTreeMap<String, String>, chain: &SupplyChain) -> Vec<Entry> {
    let mut args: BTreeMap<String, String> = build_args
        .iter()
        .map(|(k, v)| (k.clone(), hcl_string(v)))
        .collect();
    if chain.source_date_epoch.is_some() {
        args.entry(SOURCE_DATE_EPOCH.to_owned())
            .or_insert_with(|| SOURCE_DATE_EPOCH.to_owned());
    }
    args.into_iter()
        .map(|(k, value)| Entry {
            key: hcl_key(&k),
            value,
        })
        .collect()
}

/// The `attest` entries of every target.
fn attest(chain: &SupplyChain) -> Vec<String> {
    let sbom = chain.sbom.then_some("type=sbom");
    let provenance = chain.provenance.map(|p| match p {
        Provenance::Off => "type=provenance,disabled=true",
        Provenance::Min => "type=provenance,mode=min",
        Provenance::Max => "type=provenance,mode=max",
    });
    sbom.into_iter().chain(provenance).map(hcl_string).collect()
}
