//! `compose.yaml`: the image and build of every service, every string double-quoted for
//! YAML and with `$` doubled so that Compose never interpolates a value of `mbgen.toml`.

use serde::Serialize;

use super::escape::{compose_string, yaml_key};
use super::target::{header, targets, Entry};
use super::TEMPLATE_API;
use crate::model::Project;
use crate::relpath::RelPath;

/// Everything the Compose file template reads. Strings are YAML text: keys, or JSON-style
/// double-quoted strings with `$` doubled for Compose.
#[derive(Debug, Serialize)]
pub(crate) struct ComposeContext {
    pub template_api: u32,
    /// Comment lines for the top of the file, without the leading `# `.
    pub header: Vec<String>,
    pub services: Vec<ComposeService>,
}

/// One entry of `services:`.
#[derive(Debug, Serialize)]
pub(crate) struct ComposeService {
    /// The service name, plain.
    pub service: String,
    /// The service name as a YAML key.
    pub key: String,
    /// `<image>:<first tag>`, or the image alone when there is no tag.
    pub image: String,
    /// The build context, relative to the Compose file's directory.
    pub context: String,
    /// The Dockerfile, relative to the context.
    pub dockerfile: String,
    /// The final stage.
    pub target: String,
    /// Build arguments, in name order.
    pub args: Vec<Entry>,
    pub cache_from: Vec<String>,
    /// The one-shot service running the release command, which this service waits for.
    pub release: Option<ComposeRun>,
    /// The services that run other commands from this image (workers), no build of their
    /// own.
    pub processes: Vec<ComposeRun>,
}

/// A Compose service that runs a command from another service's image.
#[derive(Debug, Serialize)]
pub(crate) struct ComposeRun {
    /// Its name as a YAML key: `<service>-<process>`, `<service>-release`.
    pub key: String,
    /// The image, as the building service names it.
    pub image: String,
    /// The command, a YAML flow sequence of double-quoted strings.
    pub command: String,
}

/// A YAML flow sequence of Compose strings: `["rq", "worker"]`.
fn compose_command(args: &[String]) -> String {
    let items: Vec<String> = args.iter().map(|a| compose_string(a)).collect();
    format!("[{}]", items.join(", "))
}

/// Plans the Compose file written at `path` (relative to the project root).
#[must_use]
pub(crate) fn compose(project: &Project, path: &RelPath) -> ComposeContext {
    let services = targets(project, path)
        .into_iter()
        .map(|t| {
            let service = t.service;
            let publish = &service.publish;
            let image = match publish.tags.first() {
                Some(tag) => format!("{}:{tag}", publish.image),
                None => publish.image.clone(),
            };
            ComposeService {
                service: service.name.clone(),
                key: yaml_key(&service.name),
                image: compose_string(&image),
                context: compose_string(&t.context),
                dockerfile: compose_string(&t.dockerfile),
                target: compose_string(t.stage),
                args: service
                    .build_args
                    .iter()
                    .map(|(k, v)| Entry {
                        key: yaml_key(k),
                        value: compose_string(v),
                    })
                    .collect(),
                cache_from: publish
                    .cache_from
                    .iter()
                    .map(|c| compose_string(c))
                    .collect(),
                release: service.release.as_ref().map(|command| ComposeRun {
                    key: yaml_key(&format!("{}-release", service.name)),
                    image: compose_string(&image),
                    command: compose_command(command),
                }),
                processes: service
                    .processes
                    .iter()
                    .map(|p| ComposeRun {
                        key: yaml_key(&format!("{}-{}", service.name, p.name)),
                        image: compose_string(&image),
                        command: compose_command(&p.command),
                    })
                    .collect(),
            }
        })
        .collect();
    let mut header = header(project, path, ": the image and build of every service.");
    header.push(
        "Paths are relative to this directory. Build with `docker compose build`; put ports,"
            .into(),
    );
    header.push(
        "volumes and the rest in a Compose file of your own here, and pass both with -f.".into(),
    );
    ComposeContext {
        template_api: TEMPLATE_API,
        header,
        services,
    }
}
