//! nginx for the static stacks: a complete `nginx.conf` that runs as the image's unprivileged
//! `nginx` user on an unprivileged port (pid and temp files under /tmp, logs to the
//! container's output), with optional single-page-application fallback.

use serde::Serialize;

use crate::model::Service;
use crate::spec::Stack;

#[derive(Debug, Serialize)]
pub struct NginxSection {
    /// Lines of nginx.conf, each already single-quoted for `printf`.
    pub conf: Vec<String>,
    /// Where the site comes from: a `COPY` source in the context or the build stage.
    pub site: String,
    /// Whether the site comes from the `build` stage.
    pub from_build: bool,
}

pub fn plan(service: &Service) -> NginxSection {
    let fallback = if service.spa {
        "try_files $uri $uri/ /index.html;"
    } else {
        "try_files $uri $uri/ =404;"
    };
    let lines = [
        "worker_processes auto;".to_owned(),
        "pid /tmp/nginx.pid;".into(),
        "error_log /dev/stderr warn;".into(),
        "events { worker_connections 1024; }".into(),
        "http {".into(),
        "    include /etc/nginx/mime.types;".into(),
        "    default_type application/octet-stream;".into(),
        "    access_log /dev/stdout;".into(),
        "    sendfile on;".into(),
        "    server_tokens off;".into(),
        "    gzip on;".into(),
        "    gzip_types text/css application/javascript application/json image/svg+xml;".into(),
        "    client_body_temp_path /tmp/client_temp;".into(),
        "    proxy_temp_path /tmp/proxy_temp;".into(),
        "    fastcgi_temp_path /tmp/fastcgi_temp;".into(),
        "    uwsgi_temp_path /tmp/uwsgi_temp;".into(),
        "    scgi_temp_path /tmp/scgi_temp;".into(),
        "    server {".into(),
        format!("        listen {};", service.port),
        "        root /usr/share/nginx/html;".into(),
        format!("        location / {{ {fallback} }}"),
        "    }".into(),
        "}".into(),
    ];
    let from_build = service.stack == Stack::NodeStatic;
    let site = if from_build {
        format!("/app/{}", service.output_dir)
    } else if service.output_dir.is_empty() {
        ".".to_owned()
    } else {
        service.output_dir.clone()
    };
    NginxSection {
        conf: lines.iter().map(|l| format!("'{l}'")).collect(),
        site,
        from_build,
    }
}
