//! The apps `mbgen new` creates: for each stack, a minimal app that answers HTTP 200 at `/`
//! and `/healthz`, builds with no download beyond the base images and the stack's own package
//! index (no dependency at all except for python's Flask and gunicorn), and the
//! `[services.<name>]` table that builds it with the Dockerfile mbgen writes by default.
//!
//! The files are minijinja templates under `templates/starters/<stack>/`, embedded in the
//! binary; each is named after the file it writes, plus `.j2`.

use serde::Serialize;

use super::ServiceEntry;
use crate::detect::{Proposal, Value};
use crate::model::Service;
use crate::relpath::RelPath;
use crate::spec::{ServiceKey, Stack};

/// The name of every starter file (its path in the service directory) and its template.
const FILES: &[(Stack, &str, &str)] = &[
    (
        Stack::Go,
        "go.mod",
        include_str!("../../templates/starters/go/go.mod.j2"),
    ),
    (
        Stack::Go,
        "main.go",
        include_str!("../../templates/starters/go/main.go.j2"),
    ),
    (
        Stack::NodeServer,
        ".gitignore",
        include_str!("../../templates/starters/node-server/.gitignore.j2"),
    ),
    (
        Stack::NodeServer,
        "package-lock.json",
        include_str!("../../templates/starters/node-server/package-lock.json.j2"),
    ),
    (
        Stack::NodeServer,
        "package.json",
        include_str!("../../templates/starters/node-server/package.json.j2"),
    ),
    (
        Stack::NodeServer,
        "server.js",
        include_str!("../../templates/starters/node-server/server.js.j2"),
    ),
    (
        Stack::NodeStatic,
        ".gitignore",
        include_str!("../../templates/starters/node-static/.gitignore.j2"),
    ),
    (
        Stack::NodeStatic,
        "build.mjs",
        include_str!("../../templates/starters/node-static/build.mjs.j2"),
    ),
    (
        Stack::NodeStatic,
        "package-lock.json",
        include_str!("../../templates/starters/node-static/package-lock.json.j2"),
    ),
    (
        Stack::NodeStatic,
        "package.json",
        include_str!("../../templates/starters/node-static/package.json.j2"),
    ),
    (
        Stack::NodeStatic,
        "src/healthz",
        include_str!("../../templates/starters/node-static/src/healthz.j2"),
    ),
    (
        Stack::NodeStatic,
        "src/index.html",
        include_str!("../../templates/starters/node-static/src/index.html.j2"),
    ),
    (
        Stack::Python,
        ".gitignore",
        include_str!("../../templates/starters/python/.gitignore.j2"),
    ),
    (
        Stack::Python,
        "app.py",
        include_str!("../../templates/starters/python/app.py.j2"),
    ),
    (
        Stack::Python,
        "gunicorn.conf.py",
        include_str!("../../templates/starters/python/gunicorn.conf.py.j2"),
    ),
    (
        Stack::Python,
        "requirements.txt",
        include_str!("../../templates/starters/python/requirements.txt.j2"),
    ),
    (
        Stack::Rust,
        ".gitignore",
        include_str!("../../templates/starters/rust/.gitignore.j2"),
    ),
    (
        Stack::Rust,
        "Cargo.lock",
        include_str!("../../templates/starters/rust/Cargo.lock.j2"),
    ),
    (
        Stack::Rust,
        "Cargo.toml",
        include_str!("../../templates/starters/rust/Cargo.toml.j2"),
    ),
    (
        Stack::Rust,
        "src/main.rs",
        include_str!("../../templates/starters/rust/src/main.rs.j2"),
    ),
    (
        Stack::Static,
        "healthz",
        include_str!("../../templates/starters/static/healthz.j2"),
    ),
    (
        Stack::Static,
        "index.html",
        include_str!("../../templates/starters/static/index.html.j2"),
    ),
];

/// The Go version a starter's `go.mod` asks for when the builder image does not tell.
const GO_VERSION: &str = "1.24";

/// What the starter templates read.
#[derive(Debug, Serialize)]
struct Context<'a> {
    /// The service name: the package, module or crate name, and the greeting.
    name: &'a str,
    /// The port the app listens on when `PORT` is not set.
    port: u16,
    /// The `go` directive of `go.mod`: the Go of the builder image.
    go_version: &'a str,
}

/// The `[services.<name>]` table of a starter: `stack`, `path`, and what else the app needs
/// to build and run (its command, and `port` when it is not the default).
#[must_use]
pub(crate) fn entry(stack: Stack, name: &str, path: &str, port: Option<u16>) -> ServiceEntry {
    let (what, settings): (&str, Vec<(ServiceKey, Value, &str)>) = match stack {
        Stack::Go | Stack::Rust => ("an HTTP server on the standard library", vec![]),
        Stack::NodeServer => (
            "an HTTP server on `node:http`, with no dependencies",
            vec![(
                ServiceKey::Start,
                Value::List(vec!["node".into(), "server.js".into()]),
                "the `start` script of package.json",
            )],
        ),
        Stack::NodeStatic => (
            "a site that `npm run build` copies from src/ to dist/",
            vec![],
        ),
        Stack::Python => (
            "a Flask app served by gunicorn",
            vec![(
                ServiceKey::Start,
                Value::List(vec!["gunicorn".into(), "app:app".into()]),
                "gunicorn reads its settings from gunicorn.conf.py",
            )],
        ),
        Stack::Static => ("plain files served by nginx", vec![]),
        // `mbgen new` offers no Java starter (its build downloads Maven's plugins); the
        // command line does not accept the stack.
        Stack::Java => ("a Java application", vec![]),
    };
    let mut p = Proposal {
        name: name.to_owned(),
        path: RelPath::normalize(path).unwrap_or_default(),
        stack,
        summary: format!("Started by `mbgen new`: {what}"),
        detector: "new",
        name_hint: None,
        evidence: Vec::new(),
        settings: Vec::new(),
        alternatives: Vec::new(),
        notes: Vec::new(),
        choices: Vec::new(),
    };
    for (key, value, source) in settings {
        p.set(key, value, source);
    }
    if let Some(port) = port {
        p.set(ServiceKey::Port, Value::Int(port), "--port");
    }
    ServiceEntry::from_proposal(&p)
}

/// The files of a starter, relative to the service directory, sorted, for the service as
/// mbgen resolved it (its port and builder image).
#[must_use]
pub(crate) fn files(service: &Service) -> Vec<(String, String)> {
    let go_version = service
        .builder_image()
        .and_then(go_version)
        .unwrap_or(GO_VERSION);
    let context = Context {
        name: &service.name,
        port: service.port,
        go_version,
    };
    let context = minijinja::Value::from(minijinja::value::Serde(&context));
    let env = crate::render::environment();
    FILES
        .iter()
        .filter(|(stack, _, _)| *stack == service.stack_name())
        .map(|(stack, file, source)| {
            let name = format!("starters/{}/{file}.j2", stack.as_str());
            let text = env
                .render_named_str(&name, source, context.clone())
                .unwrap_or_else(|e| panic!("{name} renders: {e:#}"));
            ((*file).to_owned(), text)
        })
        .collect()
}

/// The Go version of a `golang:<version>-...` image, such as `1.24`.
fn go_version(image: &str) -> Option<&str> {
    let tag = image.strip_prefix("golang:")?;
    let version = tag.split('-').next()?;
    (!version.is_empty() && version.chars().all(|c| c.is_ascii_digit() || c == '.'))
        .then_some(version)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::model::Tree;
    use crate::spec::{LoadedConfig, CONFIG_FILE};

    const STACKS: [Stack; 6] = [
        Stack::Go,
        Stack::NodeServer,
        Stack::NodeStatic,
        Stack::Python,
        Stack::Rust,
        Stack::Static,
    ];

    fn resolved(text: &str) -> crate::model::Project {
        let loaded: LoadedConfig = crate::spec::parse(text, Path::new(CONFIG_FILE)).unwrap();
        crate::model::resolve(
            &loaded,
            &Tree::new(Path::new("/nonexistent"), Path::new("")),
        )
        .unwrap_or_else(|e| panic!("{e}\n{text}"))
    }

    #[test]
    fn every_starter_has_a_service_that_renders_and_files_that_parse() {
        for stack in STACKS {
            let entry = entry(stack, "hello-app", "apps/hello-app", None);
            let text =
                super::super::add_service(&super::super::new_file("x.json"), &entry).unwrap();
            super::super::verify(&text, &Tree::new(Path::new("/nonexistent"), Path::new("")))
                .unwrap_or_else(|e| panic!("{e}\n{text}"));
            let project = resolved(&text);
            let files = files(&project.services[0]);
            assert!(!files.is_empty(), "{stack:?}");
            for (name, contents) in &files {
                assert!(contents.ends_with('\n'), "{name}");
                assert!(!contents.contains("{{"), "{name}");
                let extension = Path::new(name).extension().and_then(|e| e.to_str());
                if extension == Some("json") {
                    let json: serde_json::Value = serde_json::from_str(contents).unwrap();
                    assert_eq!(json["name"], "hello-app", "{name}");
                }
                if matches!(extension, Some("toml" | "lock")) {
                    let _: toml::Table = contents.parse().unwrap();
                }
            }
        }
    }

    #[test]
    fn the_port_reaches_mbgen_toml_and_the_app() {
        let entry = entry(Stack::NodeServer, "api", "api", Some(3000));
        let text = super::super::add_service(&super::super::new_file("x.json"), &entry).unwrap();
        assert!(text.contains("port = 3000 # --port\n"), "{text}");
        let project = resolved(&text);
        let files = files(&project.services[0]);
        let server = &files.iter().find(|(n, _)| n == "server.js").unwrap().1;
        assert!(server.contains(r#"process.env.PORT ?? "3000""#), "{server}");
    }

    #[test]
    fn go_mod_asks_for_the_go_of_the_builder_image() {
        let text = "[services.api]\nstack = \"go\"\nversion = \"1.23\"\n";
        let files = files(&resolved(text).services[0]);
        assert!(files[0].1.ends_with("\ngo 1.23\n"), "{}", files[0].1);
        let default = files_of(Stack::Go);
        assert!(
            default[0].1.ends_with(&format!("\ngo {GO_VERSION}\n")),
            "the default Go image and GO_VERSION differ: {}",
            default[0].1
        );
        assert_eq!(go_version("example.com/go:1.24"), None);
    }

    fn files_of(stack: Stack) -> Vec<(String, String)> {
        let entry = entry(stack, "api", "api", None);
        let text = super::super::add_service("", &entry).unwrap();
        files(&resolved(&text).services[0])
    }

    #[test]
    fn lockfiles_name_the_package_alone() {
        let files = files_of(Stack::Rust);
        let (_, lock) = files.iter().find(|(n, _)| n == "Cargo.lock").unwrap();
        let lock: toml::Table = lock.parse().unwrap();
        assert_eq!(lock["package"].as_array().unwrap().len(), 1);
        for stack in [Stack::NodeServer, Stack::NodeStatic] {
            let files = files_of(stack);
            let (_, lock) = files
                .iter()
                .find(|(n, _)| n == "package-lock.json")
                .unwrap();
            let lock: serde_json::Value = serde_json::from_str(lock).unwrap();
            assert_eq!(lock["lockfileVersion"], 3);
            assert_eq!(lock["packages"].as_object().unwrap().len(), 1);
        }
    }

    #[test]
    fn python_requirements_are_pinned() {
        let files = files_of(Stack::Python);
        let (_, reqs) = files.iter().find(|(n, _)| n == "requirements.txt").unwrap();
        let pins: Vec<&str> = reqs
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .collect();
        assert!(pins.iter().all(|l| l.contains("==")), "{reqs}");
        for wanted in ["Flask==", "gunicorn=="] {
            assert!(pins.iter().any(|l| l.starts_with(wanted)), "{reqs}");
        }
    }
}
