//! Python services that are not WSGI or ASGI apps: gRPC servers, Celery and RQ workers,
//! Locust load generators, and scripts run as servers or workers
//! (`if __name__ == "__main__":`).

use super::app::{in_nested_project, module_of};
use super::dependencies::Deps;
use crate::detect::text::find_port;
use crate::detect::Dir;

/// A service run by a command of its own.
#[derive(Debug)]
pub(super) struct Service {
    pub(super) summary: &'static str,
    /// The file that shows it, relative to the service.
    pub(super) file: String,
    pub(super) start: Vec<String>,
    pub(super) source: String,
    /// `grpc`, `none`; `None` for HTTP.
    pub(super) protocol: Option<&'static str>,
    pub(super) port: Option<(u16, String)>,
}

fn words(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// A Celery app (`Celery(` in a module), as the worker command that runs it.
pub(super) fn celery_worker(dir: Dir<'_>, deps: &Deps) -> Option<(Vec<String>, String)> {
    if !deps.has("celery") {
        return None;
    }
    dir.sources(&["py"]).iter().take(400).find_map(|path| {
        if in_nested_project(dir, path) {
            return None;
        }
        let text = dir.read(path)?;
        let var = text.lines().find_map(|l| {
            let (lhs, rhs) = l.split_once('=')?;
            let lhs = lhs.trim();
            (!l.starts_with([' ', '\t'])
                && rhs.trim_start().starts_with("Celery(")
                && lhs.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            .then(|| lhs.to_owned())
        })?;
        let (module, _) = module_of(path);
        Some((
            words(&[
                "celery",
                "--app",
                &format!("{module}.{var}"),
                "worker",
                "--loglevel=info",
            ]),
            dir.path(path),
        ))
    })
}

/// The service of a directory without a web app, if it is one.
// The kinds of services without a web app (Celery, RQ, worker scripts, gRPC servers) in the order they take precedence.
#[allow(clippy::too_many_lines)]
pub(super) fn find(dir: Dir<'_>, deps: &Deps) -> Option<Service> {
    let mains: Vec<(&str, String)> = dir
        .sources(&["py"])
        .into_iter()
        .take(400)
        .filter(|p| !p.contains('/'))
        .filter_map(|p| dir.read(p).map(|t| (p, t)))
        .filter(|(_, t)| t.contains("__name__") && t.contains("__main__"))
        .collect();
    let port = |text: &str, path: &str| {
        find_port(text).map(|(port, line)| (port, format!("`{line}` in {}", dir.path(path))))
    };
    if deps.has("grpcio") {
        if let Some((path, text)) = mains.iter().find(|(_, t)| t.contains("grpc.server(")) {
            return Some(Service {
                summary: "gRPC server",
                file: (*path).to_owned(),
                start: words(&["python", path]),
                source: format!("{} starts a gRPC server when run", dir.path(path)),
                protocol: Some("grpc"),
                port: port(text, path),
            });
        }
    }
    if deps.has("locust") && dir.exists("locustfile.py") {
        return Some(Service {
            summary: "Locust load generator",
            file: "locustfile.py".to_owned(),
            start: words(&[
                "locust",
                "--locustfile",
                "locustfile.py",
                "--web-host",
                "0.0.0.0",
            ]),
            source: "locustfile.py, run by locust (a dependency) with its web UI".to_owned(),
            protocol: None,
            port: Some((8089, "locust's web UI port".to_owned())),
        });
    }
    if let Some((start, file)) = celery_worker(dir, deps) {
        return Some(Service {
            summary: "Celery worker",
            source: format!("the Celery app in {file}, run by its worker"),
            file: file
                .trim_start_matches(&format!("{}/", dir.base()))
                .to_owned(),
            start,
            protocol: Some("none"),
            port: None,
        });
    }
    if deps.has("rq") {
        if let Some((path, _)) = mains.iter().find(|(_, t)| t.contains("Worker(")) {
            return Some(Service {
                summary: "RQ worker",
                file: (*path).to_owned(),
                start: words(&["python", path]),
                source: format!("{} starts an RQ worker when run", dir.path(path)),
                protocol: Some("none"),
                port: None,
            });
        }
    }
    // A script run as a server or a worker loop.
    let serves = [
        "serve_forever(",
        ".run(",
        "serve(",
        "HTTPServer(",
        "web.run_app(",
    ];
    if let Some((path, text)) = mains
        .iter()
        .find(|(_, t)| serves.iter().any(|s| t.contains(s)))
    {
        return Some(Service {
            summary: "Python server script",
            file: (*path).to_owned(),
            start: words(&["python", path]),
            source: format!("{} starts a server when run", dir.path(path)),
            protocol: None,
            port: port(text, path),
        });
    }
    let (path, _) = mains
        .iter()
        .find(|(_, t)| t.contains("while True") || t.contains("run_forever("))?;
    Some(Service {
        summary: "Python worker script",
        file: (*path).to_owned(),
        start: words(&["python", path]),
        source: format!("{} runs a loop when run", dir.path(path)),
        protocol: Some("none"),
        port: None,
    })
}
