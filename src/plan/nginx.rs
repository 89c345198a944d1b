//! nginx for the static stacks: a complete `nginx.conf` (the `nginx.conf.j2` template, which a
//! project can replace) that runs as the image's unprivileged `nginx` user on an unprivileged
//! port, with pid and temp files under /tmp and logs to the container's output.

use serde::Serialize;

use super::escape::copy_args;

use crate::model::{Service, StackModel};

#[derive(Debug, Serialize)]
pub(crate) struct NginxSection {
    /// Lines of nginx.conf, each already single-quoted for `printf`: the `nginx.conf.j2`
    /// template rendered with [`NginxConf`].
    pub conf: Vec<String>,
    /// Where the site comes from: a `COPY` source in the context or the build stage, as a
    /// plain path.
    pub site: String,
    /// `COPY` arguments bringing the site to nginx's directory (after `--from=build` when
    /// `from_build`), quoted where the path needs it.
    pub copy: String,
    /// Whether the site comes from the `build` stage.
    pub from_build: bool,
    /// What `nginx.conf.j2` reads.
    #[serde(skip)]
    pub conf_context: NginxConf,
}

/// Everything the `nginx.conf.j2` template reads.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct NginxConf {
    /// The port to listen on.
    pub port: u16,
    /// Whether unknown paths are answered with `/index.html` (single-page applications).
    pub spa: bool,
}

/// The nginx part of a static stack; none for the other stacks.
#[must_use]
pub(super) fn plan(service: &Service) -> Option<NginxSection> {
    let (site, from_build, spa) = match &service.stack {
        StackModel::NodeStatic(node) => (format!("/app/{}", node.output_dir), true, node.spa),
        StackModel::Static(s) => (s.site.display().to_owned(), false, s.spa),
        _ => return None,
    };
    Some(NginxSection {
        conf: Vec::new(),
        copy: copy_args(&[site.as_str(), "/usr/share/nginx/html"]),
        site,
        from_build,
        conf_context: NginxConf {
            port: service.port,
            spa,
        },
    })
}
