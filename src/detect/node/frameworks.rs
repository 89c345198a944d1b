//! The framework, which decides between a static site served by nginx and a server, and
//! where each writes its output.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::package_manager::package_manager_name;
use super::start::{generic_server, script_port, server_from_scripts};
use crate::detect::text::{config_string, strip_js_comments};
use crate::detect::{clean_rel_path, Dir};
use crate::diagnostic::Diagnostic;
use crate::manifest::package_json::PackageJson;
use crate::manifest::source::{parse_json, wrong_type};

#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(super) enum App {
    Deployable(Kind),
    NotAnApp(String),
}

// Built once per directory and unpacked at once: boxing would only add noise.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(super) enum Kind {
    Static(StaticSite),
    Server(Server),
}

#[derive(Debug)]
pub(super) struct StaticSite {
    pub(super) framework: &'static str,
    pub(super) output_dir: String,
    pub(super) output_source: String,
    pub(super) spa: bool,
    pub(super) spa_source: String,
    pub(super) evidence: Vec<String>,
}

#[derive(Debug, Default)]
pub(super) struct Server {
    pub(super) framework: &'static str,
    pub(super) start: Vec<String>,
    pub(super) start_source: String,
    /// A build command other than `<pm> run build`.
    pub(super) build: Option<(String, String)>,
    pub(super) output_dir: Option<(String, String)>,
    /// The build output runs without `node_modules` (`standalone = true`), and why.
    pub(super) standalone: Option<String>,
    /// The script of package.json that starts it, when one does.
    pub(super) start_script: Option<String>,
    pub(super) port: Option<(u16, String)>,
    pub(super) env: BTreeMap<String, String>,
    pub(super) env_source: Option<String>,
    pub(super) evidence: Vec<String>,
    pub(super) alternatives: Vec<String>,
    pub(super) notes: Vec<String>,
}

pub(super) fn static_site(
    framework: &'static str,
    output_dir: impl Into<String>,
    output_source: impl Into<String>,
    spa: bool,
) -> App {
    App::Deployable(Kind::Static(StaticSite {
        framework,
        output_dir: output_dir.into(),
        output_source: output_source.into(),
        spa,
        spa_source: format!("{framework} builds a single-page app"),
        evidence: Vec::new(),
    }))
}

/// The text of the first config file that exists, comments removed, with its path.
pub(super) fn config(dir: Dir<'_>, stem: &str, extensions: &[&str]) -> Option<(String, String)> {
    extensions.iter().find_map(|ext| {
        let name = format!("{stem}.{ext}");
        dir.read(&name)
            .map(|text| (dir.path(&name), strip_js_comments(&text)))
    })
}

pub(super) const JS_CONFIG: &[&str] = &["ts", "mts", "js", "mjs", "cjs"];

/// Server frameworks whose presence makes a `main` file or an entry file a server.
pub(super) const SERVER_FRAMEWORKS: &[(&str, &str)] = &[
    ("@nestjs/core", "NestJS"),
    ("fastify", "Fastify"),
    ("express", "Express"),
    ("koa", "Koa"),
    ("hono", "Hono"),
    ("@hapi/hapi", "hapi"),
    ("restify", "restify"),
    ("polka", "Polka"),
    ("@adonisjs/core", "AdonisJS"),
];

pub(super) fn server_framework(m: &PackageJson) -> Option<&'static str> {
    SERVER_FRAMEWORKS
        .iter()
        .find(|(dep, _)| m.dependencies.contains(*dep))
        .map(|(_, name)| *name)
}

pub(super) fn with_evidence(mut app: App, files: impl IntoIterator<Item = String>) -> App {
    match &mut app {
        App::Deployable(Kind::Static(s)) => s.evidence.extend(files),
        App::Deployable(Kind::Server(s)) => s.evidence.extend(files),
        App::NotAnApp(_) => {}
    }
    app
}

/// What kind of app a package is. The order of the checks matters: a framework that builds
/// on Vite (`SvelteKit`, Astro) is recognised before Vite itself, and a server script before a
/// bare front-end build.
// One short arm per framework; split up, the order of the checks would no longer be visible.
#[allow(clippy::too_many_lines)]
pub(super) fn classify(dir: Dir<'_>, m: &PackageJson) -> Result<App, Box<Diagnostic>> {
    if m.has("next") {
        return Ok(nextjs(dir, m));
    }
    if let Some(app) = nitro(dir, m) {
        return Ok(app);
    }
    if m.has("@sveltejs/kit") {
        return Ok(sveltekit(dir, m));
    }
    if m.has("astro") {
        return Ok(astro(dir));
    }
    if m.has("@remix-run/dev") || m.has("@react-router/dev") {
        let mut app = generic_server(dir, m, "Remix", Some(3000));
        if let App::Deployable(Kind::Server(s)) = &mut app {
            s.output_dir = Some(("build".into(), "where Remix writes its build".into()));
        }
        return Ok(app);
    }
    if m.has("@angular/core") {
        if m.has("@angular/ssr") {
            if let Some((name, _)) = m.scripts.iter().find(|(n, _)| n.starts_with("serve:ssr")) {
                let name = name.clone();
                let mut app = server_from_scripts(m, "Angular SSR", &[name.as_str()], Some(4000));
                if let App::Deployable(Kind::Server(s)) = &mut app {
                    s.evidence
                        .extend(dir.first_of(&["angular.json"]).map(|f| dir.path(f)));
                }
                if matches!(app, App::Deployable(_)) {
                    return Ok(app);
                }
            }
        }
        return angular(dir);
    }
    if m.has("gatsby") {
        return Ok(static_site(
            "Gatsby",
            "public",
            "where `gatsby build` writes",
            false,
        ));
    }
    if m.has("@docusaurus/core") {
        return Ok(static_site(
            "Docusaurus",
            "build",
            "where `docusaurus build` writes",
            false,
        ));
    }
    if m.has("react-scripts") {
        return Ok(static_site(
            "Create React App",
            "build",
            "where `react-scripts build` writes",
            true,
        ));
    }
    if m.has("@vue/cli-service") {
        return Ok(vue_cli(dir));
    }
    let framework = server_framework(m);
    let server = generic_server(dir, m, framework.unwrap_or("Node"), None);
    if matches!(server, App::Deployable(_)) {
        return Ok(server);
    }
    if m.has("vite") || m.has_prefix("@vitejs/") {
        return Ok(vite(dir));
    }
    let page = ["index.html", "src/index.html", "public/index.html"]
        .into_iter()
        .find(|p| dir.exists(p));
    if let (true, Some(page)) = (m.scripts.contains_key("build"), page) {
        let mut app = static_site(
            "front-end",
            "dist",
            "a guess: the build tool is not one mbgen knows; check where `build` writes",
            false,
        );
        if let App::Deployable(Kind::Static(s)) = &mut app {
            s.evidence.push(dir.path(page));
        }
        return Ok(app);
    }
    Ok(server)
}

/// Astro: a server with `output: 'server'` (or the Node adapter), else a static site.
fn astro(dir: Dir<'_>) -> App {
    let cfg = config(dir, "astro.config", JS_CONFIG);
    let text = cfg.as_ref().map_or("", |(_, t)| t.as_str());
    let files: Vec<String> = cfg.iter().map(|(p, _)| p.clone()).collect();
    let server = matches!(
        config_string(text, "output").as_deref(),
        Some("server" | "hybrid")
    ) || text.contains("@astrojs/node");
    if server {
        let mut env = BTreeMap::new();
        env.insert("HOST".to_owned(), "0.0.0.0".to_owned());
        let mut notes = Vec::new();
        if config_string(text, "mode").as_deref() == Some("middleware") {
            notes.push("@astrojs/node runs in `middleware` mode: dist/server/entry.mjs exports a handler for a server of your own (Express, Fastify...), so set `start` to that server's file".to_owned());
        }
        return with_evidence(
            App::Deployable(Kind::Server(Server {
                notes,
                framework: "Astro",
                start: vec!["node".into(), "dist/server/entry.mjs".into()],
                start_source: "the server @astrojs/node writes".into(),
                port: Some((4321, "Astro's default port".into())),
                env,
                env_source: Some("Astro's standalone server listens on HOST:PORT".into()),
                ..Server::default()
            })),
            files,
        );
    }
    let out = config_string(text, "outDir").and_then(|d| clean_rel_path(&d));
    let source = match &out {
        Some(_) => "`outDir` in the Astro config".to_owned(),
        None => "Astro's default output (static, no `output: 'server'`)".to_owned(),
    };
    with_evidence(
        static_site("Astro", out.unwrap_or_else(|| "dist".into()), source, false),
        files,
    )
}

/// Vue CLI: a static site in `outputDir`.
fn vue_cli(dir: Dir<'_>) -> App {
    let cfg = config(dir, "vue.config", &["js", "cjs", "mjs", "ts"]);
    let out = cfg
        .as_ref()
        .and_then(|(_, t)| config_string(t, "outputDir"))
        .and_then(|d| clean_rel_path(&d));
    let (out, source) = match (out, &cfg) {
        (Some(out), Some((path, _))) => (out, format!("`outputDir` in {path}")),
        _ => ("dist".to_owned(), "Vue CLI's default output".to_owned()),
    };
    let files: Vec<String> = cfg.into_iter().map(|(p, _)| p).collect();
    with_evidence(static_site("Vue CLI", out, source, true), files)
}

/// Vite: a static site in `build.outDir`.
fn vite(dir: Dir<'_>) -> App {
    let cfg = config(dir, "vite.config", JS_CONFIG);
    let out = cfg
        .as_ref()
        .and_then(|(_, t)| config_string(t, "outDir"))
        .and_then(|d| clean_rel_path(&d));
    let (out, source) = match (out, &cfg) {
        (Some(out), Some((path, _))) => (out, format!("`build.outDir` in {path}")),
        (None, Some((path, _))) => (
            "dist".to_owned(),
            format!("Vite's default output (no `build.outDir` in {path})"),
        ),
        _ => ("dist".to_owned(), "Vite's default output".to_owned()),
    };
    let files: Vec<String> = cfg.into_iter().map(|(p, _)| p).collect();
    with_evidence(static_site("Vite", out, source, true), files)
}

/// Why a Next.js standalone image holds `.next/standalone` alone, with what the
/// `next-standalone-app` fixture measures (Next.js 15.5: `.next/standalone` against
/// `npm ci --omit=dev`).
const NEXT_STANDALONE: &str = "the final image holds .next/standalone alone (the server and the node_modules files it traces): 61 MB for a small app, where its production node_modules alone are 322 MB";

/// Frameworks whose server Nitro builds into `.output`, which runs without `node_modules`.
const NITRO: &[(&str, &str)] = &[
    ("nuxt", "Nuxt"),
    ("@tanstack/react-start", "TanStack Start"),
    ("@tanstack/solid-start", "TanStack Start"),
    ("@tanstack/start", "TanStack Start"),
    ("@solidjs/start", "SolidStart"),
    ("@analogjs/platform", "Analog"),
];

/// Nitro-based servers: `.output/server/index.mjs` (Analog: `dist/analog`).
fn nitro(dir: Dir<'_>, m: &PackageJson) -> Option<App> {
    let framework = NITRO.iter().find(|(dep, _)| m.has(dep)).map(|(_, f)| *f)?;
    let out = if framework == "Analog" {
        "dist/analog"
    } else {
        ".output"
    };
    let mut env = BTreeMap::new();
    env.insert("HOST".to_owned(), "0.0.0.0".to_owned());
    let mut server = Server {
        framework,
        start: vec!["node".into(), format!("{out}/server/index.mjs")],
        start_source: format!("the server Nitro writes for {framework}"),
        output_dir: Some((
            out.into(),
            format!("where {framework}'s build writes (Nitro)"),
        )),
        standalone: Some(format!(
            "Nitro bundles the server with what it uses into {out}/"
        )),
        port: Some((3000, "Nitro's default port".into())),
        env,
        env_source: Some("Nitro's node server listens on HOST:PORT".into()),
        ..Server::default()
    };
    if let Some(port) = m.scripts.get("start").and_then(|s| script_port(s)) {
        server.port = Some(port);
    }
    if framework == "TanStack Start" {
        let cfg = config(dir, "vite.config", JS_CONFIG);
        let uses_nitro = cfg.as_ref().is_some_and(|(_, t)| t.contains("nitro"));
        server.evidence.extend(cfg.as_ref().map(|(p, _)| p.clone()));
        if !uses_nitro && !m.has_prefix("nitro") && !m.has_prefix("@tanstack/nitro") {
            server.notes.push("TanStack Start writes a Node server to .output/ only through Nitro: add the `nitro()` plugin to the Vite config (without it, `vite build` writes a fetch handler, not a server)".into());
        }
    }
    Some(App::Deployable(Kind::Server(server)))
}

/// Next.js: a static export, the standalone server, or `next start`.
pub(super) fn nextjs(dir: Dir<'_>, m: &PackageJson) -> App {
    let cfg = config(dir, "next.config", JS_CONFIG);
    let output = cfg.as_ref().and_then(|(_, t)| config_string(t, "output"));
    let files: Vec<String> = cfg.iter().map(|(p, _)| p.clone()).collect();
    let cfg_name = cfg.as_ref().map_or("next.config", |(p, _)| p.as_str());
    match output.as_deref() {
        Some("export") => with_evidence(
            App::Deployable(Kind::Static(StaticSite {
                framework: "Next.js static export",
                output_dir: "out".into(),
                output_source: format!("`output: 'export'` in {cfg_name} writes out/"),
                spa: false,
                spa_source: String::new(),
                evidence: Vec::new(),
            })),
            files,
        ),
        Some("standalone") => {
            let copy_public = if dir.files().any(|f| f.starts_with("public/")) {
                " && cp -r public .next/standalone/"
            } else {
                ""
            };
            let pm = package_manager_name(dir, m);
            let port = script_port(m.scripts.get("start").map_or("", String::as_str));
            let port = port.unwrap_or((3000, "Next.js's default port".to_owned()));
            let mut env = BTreeMap::new();
            env.insert("HOSTNAME".to_owned(), "0.0.0.0".to_owned());
            if port.0 != 3000 {
                env.insert("PORT".to_owned(), port.0.to_string());
            }
            with_evidence(
                App::Deployable(Kind::Server(Server {
                    framework: "Next.js standalone",
                    start: vec!["node".into(), ".next/standalone/server.js".into()],
                    start_source: format!("`output: 'standalone'` in {cfg_name}"),
                    build: Some((
                        format!("{pm} run build{copy_public} && cp -r .next/static .next/standalone/.next/"),
                        "the `build` script, then the static files copied next to the standalone server, as Next.js documents".into(),
                    )),
                    output_dir: Some((
                        ".next/standalone".into(),
                        "the server `next build` writes with only the files it uses".into(),
                    )),
                    standalone: Some(NEXT_STANDALONE.into()),
                    port: Some(port),
                    env,
                    env_source: Some("the standalone server listens on HOSTNAME:PORT".into()),
                    ..Server::default()
                })),
                files,
            )
        }
        _ => {
            let mut app = generic_server(dir, m, "Next.js", Some(3000));
            if let App::Deployable(Kind::Server(s)) = &mut app {
                s.output_dir = Some((".next".into(), "where `next build` writes".into()));
                s.alternatives.push(format!(
                    "`output: 'standalone'` in {cfg_name} would give a smaller image"
                ));
            }
            with_evidence(app, files)
        }
    }
}

pub(super) fn sveltekit(dir: Dir<'_>, m: &PackageJson) -> App {
    let mut cfg = config(dir, "svelte.config", &["js", "mjs", "ts"]);
    if cfg.as_ref().is_none_or(|(_, t)| !t.contains("adapter-")) {
        cfg = config(dir, "vite.config", JS_CONFIG).or(cfg);
    }
    let (path, text) = cfg.unwrap_or_default();
    let files: Vec<String> = (!path.is_empty())
        .then(|| path.clone())
        .into_iter()
        .collect();
    let uses = |adapter: &str| text.contains(adapter) || m.has(&format!("@sveltejs/{adapter}"));
    if uses("adapter-static") {
        let (out, source) = match config_string(&text, "pages").and_then(|d| clean_rel_path(&d)) {
            Some(out) => (out, format!("`pages` of adapter-static in {path}")),
            None => (
                "build".to_owned(),
                "adapter-static's default output".to_owned(),
            ),
        };
        let spa = config_string(&text, "fallback").is_some();
        let mut app = static_site("SvelteKit", out, source, spa);
        if let App::Deployable(Kind::Static(s)) = &mut app {
            s.spa_source = format!("adapter-static has a `fallback` page in {path}");
        }
        return with_evidence(app, files);
    }
    let mut server = Server {
        framework: "SvelteKit",
        start: vec!["node".into(), "build".into()],
        start_source: "the server adapter-node writes to build/".into(),
        output_dir: Some(("build".into(), "where adapter-node writes".into())),
        port: Some((3000, "adapter-node's default port".into())),
        ..Server::default()
    };
    if !uses("adapter-node") {
        let adapter = [
            "adapter-auto",
            "adapter-vercel",
            "adapter-netlify",
            "adapter-cloudflare",
        ]
        .into_iter()
        .find(|a| uses(a))
        .unwrap_or("no adapter");
        server.notes.push(format!(
            "SvelteKit uses {adapter}, which does not build a server for a container: install @sveltejs/adapter-node and use it in {}, or adapter-static for a static site",
            if path.is_empty() { "svelte.config.js" } else { &path }
        ));
    }
    with_evidence(App::Deployable(Kind::Server(server)), files)
}

pub(super) fn angular(dir: Dir<'_>) -> Result<App, Box<Diagnostic>> {
    let Some(file) = dir.manifest("angular.json")? else {
        return Ok(static_site(
            "Angular",
            "dist",
            "a guess: there is no angular.json to read the output path from",
            true,
        ));
    };
    let json = parse_json(&file)?;
    let projects = json.get("projects").and_then(Json::as_object);
    let Some(projects) = projects else {
        return Err(Box::new(wrong_type(&file, "projects", "an object")));
    };
    let chosen = json
        .get("defaultProject")
        .and_then(Json::as_str)
        .and_then(|name| projects.get(name).map(|p| (name, p)))
        .or_else(|| {
            projects
                .iter()
                .find(|(_, p)| p.get("projectType").and_then(Json::as_str) == Some("application"))
                .map(|(n, p)| (n.as_str(), p))
        });
    let Some((name, project)) = chosen else {
        return Ok(App::NotAnApp(format!(
            "{} has no application project",
            file.path.display()
        )));
    };
    let build = project
        .get("architect")
        .or_else(|| project.get("targets"))
        .and_then(|a| a.get("build"));
    let builder = build
        .and_then(|b| b.get("builder"))
        .and_then(Json::as_str)
        .unwrap_or_default();
    let output = build
        .and_then(|b| b.get("options"))
        .and_then(|o| o.get("outputPath"));
    let application = builder.ends_with(":application") || builder.is_empty();
    let (base, browser) = match output {
        Some(Json::String(s)) => (s.clone(), "browser".to_owned()),
        Some(Json::Object(o)) => (
            o.get("base")
                .and_then(Json::as_str)
                .map_or_else(|| format!("dist/{name}"), str::to_owned),
            o.get("browser")
                .and_then(Json::as_str)
                .unwrap_or("browser")
                .to_owned(),
        ),
        _ => (format!("dist/{name}"), "browser".to_owned()),
    };
    let out = if application && !browser.is_empty() {
        format!("{base}/{browser}")
    } else {
        base
    };
    let source = if application {
        format!("the `{name}` project's outputPath in angular.json, plus browser/ (application builder)")
    } else {
        format!("the `{name}` project's outputPath in angular.json")
    };
    let out = clean_rel_path(&out)
        .ok_or_else(|| wrong_type(&file, "outputPath", "a path inside the project"))?;
    Ok(with_evidence(
        static_site("Angular", out, source, true),
        [file.path.display().to_string()],
    ))
}
