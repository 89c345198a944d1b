//! What a Node app's tooling adds to its build: Nx targets, a Turborepo pipeline, the Prisma
//! client, packages compiled with node-gyp, and browsers that headless-browser packages need.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::frameworks::{server_framework, App, Kind, Server};
use crate::detect::{clean_rel_path, Dir};
use crate::manifest::package_json::PackageJson;
use crate::spec::PackageManager;

/// The command that runs a package's binary: `npx nx`, `pnpm exec turbo`...
pub(super) fn exec(pm: PackageManager) -> &'static str {
    match pm {
        PackageManager::Pnpm => "pnpm exec",
        PackageManager::Yarn => "yarn",
        PackageManager::Bun => "bunx",
        _ => "npx",
    }
}

/// Nx executors that build a Node server into `outputPath`, with the file they write from
/// `main`.
const NX_NODE_EXECUTORS: &[&str] = &[
    "@nx/esbuild:esbuild",
    "@nx/webpack:webpack",
    "@nx/js:tsc",
    "@nx/js:swc",
    "@nrwl/esbuild:esbuild",
    "@nrwl/webpack:webpack",
    "@nrwl/js:tsc",
    "@nrwl/node:webpack",
];

/// An Nx project (`project.json` under an `nx.json`) whose `build` target builds a Node
/// server: built with `nx build <project>`, started from its `outputPath`. Returns the
/// project's name with it, which names the service.
pub(super) fn nx_server(
    dir: Dir<'_>,
    m: &PackageJson,
    pm: PackageManager,
) -> Option<(App, String)> {
    let in_nx = std::iter::once(dir)
        .chain(dir.parents())
        .any(|d| d.exists("nx.json"));
    let project: Json = serde_json::from_str(&dir.read("project.json")?).ok()?;
    if !in_nx || project.get("projectType").and_then(Json::as_str) == Some("library") {
        return None;
    }
    let name = project.get("name").and_then(Json::as_str)?;
    let build = project.get("targets")?.get("build")?;
    let executor = build.get("executor").and_then(Json::as_str)?;
    if !NX_NODE_EXECUTORS.contains(&executor) {
        return None;
    }
    let options = build.get("options")?;
    let out = options
        .get("outputPath")
        .and_then(Json::as_str)
        .and_then(clean_rel_path)?;
    let main = options
        .get("main")
        .and_then(Json::as_str)
        .unwrap_or("main.ts");
    let stem = main.rsplit('/').next().unwrap_or(main);
    let stem = stem.rsplit_once('.').map_or(stem, |(s, _)| s);
    let framework = server_framework(m).unwrap_or("Node");
    let project_file = dir.path("project.json");
    let app = App::Deployable(Kind::Server(Server {
        framework,
        start: vec!["node".into(), format!("{out}/{stem}.js")],
        start_source: format!(
            "the `build` target of {project_file} writes {out}/ from {main} ({executor})"
        ),
        // The daemon outlives nothing in a build step; without it Nx starts at once.
        build: Some((
            format!("NX_DAEMON=false {} nx build {name}", exec(pm)),
            format!("the `build` target of the Nx project `{name}` ({project_file})"),
        )),
        output_dir: Some((
            out,
            format!("`outputPath` of the `build` target in {project_file}"),
        )),
        evidence: vec![project_file],
        ..Server::default()
    }));
    Some((app, name.to_owned()))
}

/// The build of an app in a Turborepo: turbo builds it after the workspace packages it
/// depends on. `None` outside a Turborepo, or for a package without a name or `build`.
pub(super) fn turbo_build(
    dir: Dir<'_>,
    m: &PackageJson,
    pm: PackageManager,
    workspace_root: Option<&str>,
) -> Option<(String, String)> {
    let root = Dir::new(dir.fs(), workspace_root?);
    if !root.exists("turbo.json") || !m.scripts.contains_key("build") {
        return None;
    }
    let name = m.name.as_deref()?;
    Some((
        format!("{} turbo run build --filter={name}...", exec(pm)),
        format!(
            "{}: turbo builds `{name}` after the workspace packages it depends on",
            root.path("turbo.json")
        ),
    ))
}

/// Packages built with node-gyp when no prebuilt binary can be fetched for the platform.
const NATIVE: &[&str] = &[
    "bcrypt",
    "better-sqlite3",
    "sqlite3",
    "canvas",
    "node-gyp",
    "cpu-features",
    "@mapbox/node-pre-gyp",
];

/// Packages that drive a browser at run time.
const BROWSERS: &[&str] = &[
    "puppeteer",
    "puppeteer-core",
    "playwright",
    "playwright-core",
];

/// What the tooling adds to a service.
#[derive(Debug, Default)]
pub(super) struct Extras {
    /// The Prisma schema, relative to the app's directory, and where it was found.
    pub(super) prisma_schema: Option<(String, String)>,
    /// `system-packages`: stage → packages, and why.
    pub(super) system_packages: BTreeMap<String, Vec<String>>,
    pub(super) system_packages_source: Vec<String>,
    pub(super) notes: Vec<String>,
}

/// Prisma's schema and engines, native packages, and browsers.
pub(super) fn extras(dir: Dir<'_>, m: &PackageJson) -> Extras {
    let mut x = Extras::default();
    if m.has("prisma") || m.has("@prisma/client") {
        prisma(dir, m, &mut x);
    }
    let native: Vec<&str> = NATIVE.iter().copied().filter(|d| m.has(d)).collect();
    if !native.is_empty() {
        for p in ["python3", "make", "g++"] {
            add(&mut x, "build", p);
        }
        x.system_packages_source.push(format!(
            "{} may compile with node-gyp, which needs python3, make and g++ (in the build stages only)",
            native.join(", ")
        ));
    }
    for browser in BROWSERS.iter().filter(|b| m.dependencies.contains(**b)) {
        x.notes.push(format!(
            "`{browser}` drives a browser at run time, which the image does not have: add `system-packages = {{ runtime = [\"chromium\"] }}` and point {browser} at /usr/bin/chromium, or skip its browser download and use an image that ships one"
        ));
    }
    x
}

fn add(x: &mut Extras, stage: &str, package: &str) {
    let list = x.system_packages.entry(stage.to_owned()).or_default();
    if !list.iter().any(|p| p == package) {
        list.push(package.to_owned());
    }
}

fn prisma(dir: Dir<'_>, m: &PackageJson, x: &mut Extras) {
    let schema = m
        .prisma_schema
        .as_deref()
        .and_then(clean_rel_path)
        .filter(|p| dir.exists(p))
        .map(|p| (p, "`prisma.schema` in package.json".to_owned()))
        .or_else(|| {
            ["prisma/schema.prisma", "schema.prisma"]
                .into_iter()
                .find(|p| dir.exists(p))
                .map(|p| (p.to_owned(), "Prisma's default schema location".to_owned()))
        })
        .or_else(|| {
            let base = dir.base();
            dir.files()
                .find(|f| f.ends_with("/schema.prisma") || *f == "schema.prisma")
                .map(|f| {
                    let rel = if base.is_empty() {
                        f.to_owned()
                    } else {
                        f.strip_prefix(base)
                            .unwrap_or(f)
                            .trim_start_matches('/')
                            .to_owned()
                    };
                    (rel, "the Prisma schema found in the sources".to_owned())
                })
        });
    let Some((path, source)) = schema else {
        x.notes.push("Prisma is a dependency but no schema.prisma was found: set `prisma-schema` so that `prisma generate` runs in the build".into());
        return;
    };
    x.prisma_schema = Some((path, source));
    let range = m
        .versions
        .get("prisma")
        .or_else(|| m.versions.get("@prisma/client"))
        .map_or("", String::as_str);
    let major: Option<u32> = range
        .trim_start_matches(|c: char| !c.is_ascii_digit())
        .split('.')
        .next()
        .and_then(|n| n.parse().ok());
    if major.is_some_and(|v| v < 7) {
        add(x, "build", "openssl");
        add(x, "runtime", "openssl");
        x.system_packages_source.push(format!(
            "Prisma {range} picks its query engine by the OpenSSL it finds, at build and at run time"
        ));
    }
    x.notes.push("`prisma migrate deploy` is not part of the image's start: run it as a release step before the new containers start".into());
}
