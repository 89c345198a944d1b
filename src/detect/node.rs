//! Node: `package.json`, its lockfile, and the framework, which decides between a static
//! site served by nginx (`node-static`) and a server (`node-server`).

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::text::{config_string, find_port, node_major, strip_js_comments};
use super::{clean_rel_path, Detector, Dir, Options, Outcome, Proposal, Value};
use crate::diagnostic::{Diagnostic, SourceFile};
use crate::manifest::package_json::PackageJson;
use crate::manifest::source::{parse_json, wrong_type};
use crate::relpath::RelPath;
use crate::spec::{PackageManager, ServiceKey, Stack};

#[derive(Debug)]
pub(crate) struct Node;

impl Detector for Node {
    fn name(&self) -> &'static str {
        "node"
    }

    fn looks_for(&self) -> &'static str {
        "package.json with a front-end build (Vite, Next.js, Angular, Vue CLI, Astro, SvelteKit, Create React App...), a server framework (Express, Fastify, NestJS...), a `start` script or a `main` server file"
    }

    fn detect(&self, dir: Dir<'_>, _options: &Options) -> Result<Outcome, Box<Diagnostic>> {
        let Some(file) = dir.manifest("package.json")? else {
            return Ok(Outcome::Absent);
        };
        let manifest = PackageJson::parse(&file)?;
        let kind = match classify(dir, &manifest)? {
            App::Deployable(kind) => kind,
            App::NotAnApp(reason) => {
                return Ok(Outcome::NotAnApp {
                    manifest: file.path.display().to_string(),
                    reason,
                })
            }
        };
        let pm = package_manager(dir, &manifest, &file)?;
        let (stack, summary) = match &kind {
            Kind::Static(s) => (Stack::NodeStatic, format!("{} site", s.framework)),
            Kind::Server(s) => (Stack::NodeServer, format!("{} server", s.framework)),
        };
        let mut p = Proposal::new("node", dir, stack, summary);
        p.name_hint.clone_from(&manifest.name);
        p.evidence(dir.path("package.json"));
        if let Some((version, source)) = version(dir, &manifest) {
            p.set_str(ServiceKey::Version, version, source);
        }
        p.set_str(
            ServiceKey::PackageManager,
            pm.manager.as_str(),
            pm.source.clone(),
        );
        if let Some(lockfile) = &pm.lockfile {
            p.evidence(lockfile);
        }
        if let (Some(root), Some(lockfile)) = (&pm.workspace_root, &pm.lockfile) {
            p.set_str(
                ServiceKey::Context,
                RelPath::from_normal(root).to_string(),
                format!("the workspace root, where {lockfile} is"),
            );
        }
        p.notes.extend(pm.notes.iter().cloned());
        let run_build = format!("{} run build", pm.manager.as_str());
        match kind {
            Kind::Static(s) => {
                p.evidence.extend(s.evidence);
                if manifest.scripts.contains_key("build") {
                    p.set_str(
                        ServiceKey::Build,
                        &run_build,
                        "the `build` script of package.json",
                    );
                } else {
                    p.note(format!(
                        "package.json has no `build` script: add one that runs the {} build, since the image runs `{run_build}`",
                        s.framework
                    ));
                }
                p.set_str(ServiceKey::OutputDir, s.output_dir, s.output_source);
                if s.spa {
                    p.set(ServiceKey::Spa, Value::Bool(true), s.spa_source);
                }
            }
            Kind::Server(s) => server_settings(&mut p, dir, &manifest, &pm, s, &run_build),
        }
        Ok(Outcome::Found(Box::new(p)))
    }
}

fn server_settings(
    p: &mut Proposal,
    dir: Dir<'_>,
    manifest: &PackageJson,
    pm: &Pm,
    s: Server,
    run_build: &str,
) {
    p.evidence.extend(s.evidence);
    p.alternatives.extend(s.alternatives);
    p.notes.extend(s.notes);
    let has_build = manifest.scripts.contains_key("build");
    match (&s.build, has_build) {
        (Some((build, source)), _) => p.set_str(ServiceKey::Build, build, source.clone()),
        (None, true) => p.set_str(
            ServiceKey::Build,
            run_build,
            "the `build` script of package.json",
        ),
        (None, false) => {}
    }
    let start = Value::List(s.start.clone());
    p.set(ServiceKey::Start, start, s.start_source);
    if p.get(ServiceKey::Build).is_some() {
        let (dir_out, source) = s.output_dir.unwrap_or_else(|| output_dir(dir, &s.start));
        if dir_out != "dist" || source != DEFAULT_OUTPUT {
            p.set_str(ServiceKey::OutputDir, dir_out, source);
        }
    } else if let Some(entry) = entry_path(&s.start) {
        if ["dist/", "build/", "out/", ".next/"]
            .iter()
            .any(|d| entry.starts_with(d))
        {
            p.note(format!(
                "the start command runs {entry}, which a build writes, but package.json has no `build` script"
            ));
        }
    }
    let port = s
        .port
        .map(|(port, source)| (port, source, true))
        .or_else(|| {
            port_in_code(dir, &s.start).map(|(port, source, file)| {
                p.evidence(file);
                (port, source, true)
            })
        });
    let (port, source, found) = port.unwrap_or_else(|| {
        (
            8080,
            "no port found in the scripts or the code: mbgen's default; make the app listen on $PORT".to_owned(),
            false,
        )
    });
    p.set(ServiceKey::Port, Value::Int(port), source);
    let mut env = s.env;
    let mut env_source: Vec<String> = s
        .env_source
        .filter(|_| !env.is_empty())
        .into_iter()
        .collect();
    if !found && reads_port_env(dir) {
        env.insert("PORT".to_owned(), port.to_string());
        env_source.push("PORT: the code reads process.env.PORT".to_owned());
    }
    if !env.is_empty() {
        p.set(ServiceKey::Env, Value::Map(env), env_source.join("; "));
    }
    if pm.berry {
        p.note("Yarn berry: mbgen's production install runs `yarn install --production`, which only Yarn classic has; check the generated Dockerfile's prod-deps stage");
    }
}

const DEFAULT_OUTPUT: &str = "the default output of the build";

/// The package manager, its source, and where its lockfile is.
#[derive(Debug)]
struct Pm {
    manager: PackageManager,
    source: String,
    lockfile: Option<String>,
    /// The directory of a lockfile found above the app's: the workspace root.
    workspace_root: Option<String>,
    berry: bool,
    notes: Vec<String>,
}

const LOCKFILES: &[(&str, Option<PackageManager>)] = &[
    ("pnpm-lock.yaml", Some(PackageManager::Pnpm)),
    ("yarn.lock", Some(PackageManager::Yarn)),
    ("package-lock.json", Some(PackageManager::Npm)),
    ("npm-shrinkwrap.json", Some(PackageManager::Npm)),
    ("bun.lock", None),
    ("bun.lockb", None),
];

fn bun_unsupported(evidence: &str) -> Diagnostic {
    Diagnostic::new(format!(
        "this project uses bun ({evidence}), which mbgen does not support"
    ))
    .help("mbgen builds Node apps with npm, yarn or pnpm: create their lockfile (for example `npm install` to write package-lock.json), remove bun's lockfile and `packageManager` entry, then run `mbgen init` again")
}

/// Finds the lockfile in the directory or, for a workspace member, in a parent directory.
fn find_lockfile(dir: Dir<'_>) -> Vec<(String, Option<PackageManager>)> {
    std::iter::once(dir)
        .chain(dir.parents())
        .map(|here| {
            LOCKFILES
                .iter()
                .filter(|(name, _)| here.exists(name))
                .map(|(name, pm)| (here.path(name), *pm))
                .collect::<Vec<_>>()
        })
        .find(|found| !found.is_empty())
        .unwrap_or_default()
}

fn package_manager(
    dir: Dir<'_>,
    m: &PackageJson,
    file: &SourceFile,
) -> Result<Pm, Box<Diagnostic>> {
    let lockfiles = find_lockfile(dir);
    let mut notes = Vec::new();
    let declared = match &m.package_manager {
        Some(field) => {
            let name = field.split('@').next().unwrap_or_default();
            let pm = match name {
                "npm" => PackageManager::Npm,
                "yarn" => PackageManager::Yarn,
                "pnpm" => PackageManager::Pnpm,
                "bun" => {
                    return Err(Box::new(bun_unsupported(&format!(
                        "`packageManager` is \"{field}\" in {}",
                        file.path.display()
                    ))))
                }
                _ => {
                    return Err(Box::new(wrong_type(
                        file,
                        "packageManager",
                        "`npm@<version>`, `yarn@<version>` or `pnpm@<version>`",
                    )));
                }
            };
            Some((pm, field.clone()))
        }
        None => None,
    };
    let lockfile = match &declared {
        Some((pm, _)) => lockfiles.iter().find(|(_, l)| *l == Some(*pm)).cloned(),
        None => lockfiles.first().cloned(),
    };
    if declared.is_none() {
        if let Some((path, None)) = &lockfile {
            return Err(Box::new(bun_unsupported(path)));
        }
    }
    let (pm, source) = match (&declared, &lockfile) {
        (Some((pm, field)), _) => (*pm, format!("`packageManager` \"{field}\" in package.json")),
        (None, Some((path, Some(pm)))) => (*pm, path.clone()),
        _ => {
            notes.push("no lockfile: the image installs with `npm ci`, which needs package-lock.json; run `npm install` and commit it".to_owned());
            (
                PackageManager::Npm,
                "no lockfile or `packageManager` field: npm".to_owned(),
            )
        }
    };
    let others: Vec<&str> = lockfiles
        .iter()
        .filter(|(p, _)| lockfile.as_ref().is_none_or(|(l, _)| l != p))
        .map(|(p, _)| p.as_str())
        .collect();
    if !others.is_empty() {
        notes.push(format!(
            "{} also present: remove the lockfiles of package managers the project does not use",
            others.join(", ")
        ));
    }
    // A lockfile above the app's directory is a workspace root's: the app is built from there.
    let workspace_root = lockfile.as_ref().and_then(|(path, _)| {
        let at = path.rsplit_once('/').map_or("", |(d, _)| d);
        (at != dir.base()).then(|| at.to_owned())
    });
    let berry = pm == PackageManager::Yarn
        && match &declared {
            Some((_, field)) => !field.starts_with("yarn@1."),
            None => lockfile
                .as_ref()
                .and_then(|(p, _)| dir.fs().read(p).ok())
                .is_some_and(|text| text.contains("__metadata:")),
        };
    Ok(Pm {
        manager: pm,
        source,
        lockfile: lockfile.map(|(p, _)| p),
        workspace_root,
        berry,
        notes,
    })
}

/// The Node major version: version files and package.json of the app, then of the
/// directories above it (a workspace root). `None` keeps mbgen's default.
fn version(dir: Dir<'_>, m: &PackageJson) -> Option<(String, String)> {
    let mut base = dir.base().to_owned();
    loop {
        let here = Dir::new(dir.fs(), &base);
        if let Some(found) = version_files(here) {
            return found;
        }
        let (volta, engines) = if base == dir.base() {
            (m.volta_node.clone(), m.engines_node.clone())
        } else {
            let pkg = here
                .read("package.json")
                .and_then(|t| serde_json::from_str::<Json>(&t).ok());
            let field = |a: &str, b: &str| {
                pkg.as_ref()
                    .and_then(|p| p.get(a)?.get(b)?.as_str().map(str::to_owned))
            };
            (field("volta", "node"), field("engines", "node"))
        };
        let manifest = here.path("package.json");
        for (key, value) in [("volta.node", volta), ("engines.node", engines)] {
            if let Some(major) = value.as_deref().and_then(node_major) {
                let value = value.unwrap_or_default();
                return Some((major, format!("{key} \"{value}\" in {manifest}")));
            }
        }
        if base.is_empty() {
            return None;
        }
        base = base
            .rsplit_once('/')
            .map_or_else(String::new, |(b, _)| b.to_owned());
    }
}

/// `.nvmrc`, `.node-version` or `.tool-versions` in one directory: `None` when there is
/// none, `Some(None)` for a file that names no fixed version (`lts/*`, `node`), which leaves
/// mbgen's default rather than sending the search further up.
#[allow(clippy::option_option)]
fn version_files(dir: Dir<'_>) -> Option<Option<(String, String)>> {
    for name in [".nvmrc", ".node-version"] {
        if let Some(text) = dir.read(name) {
            let line = text.lines().next().unwrap_or_default().trim().to_owned();
            let path = dir.path(name);
            return Some(node_major(&line).map(|v| (v, format!("{path} ({line})"))));
        }
    }
    let text = dir.read(".tool-versions")?;
    text.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        if !matches!(words.next(), Some("nodejs" | "node")) {
            return None;
        }
        let v = words.next().unwrap_or_default();
        Some(node_major(v).map(|major| {
            (
                major,
                format!("{} (nodejs {v})", dir.path(".tool-versions")),
            )
        }))
    })
}

// Built once per directory and unpacked at once: boxing would only add noise.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum App {
    Deployable(Kind),
    NotAnApp(String),
}

#[derive(Debug)]
enum Kind {
    Static(StaticSite),
    Server(Server),
}

#[derive(Debug)]
struct StaticSite {
    framework: &'static str,
    output_dir: String,
    output_source: String,
    spa: bool,
    spa_source: String,
    evidence: Vec<String>,
}

#[derive(Debug, Default)]
struct Server {
    framework: &'static str,
    start: Vec<String>,
    start_source: String,
    /// A build command other than `<pm> run build`.
    build: Option<(String, String)>,
    output_dir: Option<(String, String)>,
    port: Option<(u16, String)>,
    env: BTreeMap<String, String>,
    env_source: Option<String>,
    evidence: Vec<String>,
    alternatives: Vec<String>,
    notes: Vec<String>,
}

fn static_site(
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
fn config(dir: Dir<'_>, stem: &str, extensions: &[&str]) -> Option<(String, String)> {
    extensions.iter().find_map(|ext| {
        let name = format!("{stem}.{ext}");
        dir.read(&name)
            .map(|text| (dir.path(&name), strip_js_comments(&text)))
    })
}

const JS_CONFIG: &[&str] = &["ts", "mts", "js", "mjs", "cjs"];

/// Server frameworks whose presence makes a `main` file or an entry file a server.
const SERVER_FRAMEWORKS: &[(&str, &str)] = &[
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

fn server_framework(m: &PackageJson) -> Option<&'static str> {
    SERVER_FRAMEWORKS
        .iter()
        .find(|(dep, _)| m.dependencies.contains(*dep))
        .map(|(_, name)| *name)
}

fn with_evidence(mut app: App, files: impl IntoIterator<Item = String>) -> App {
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
// One short arm per framework; split up, the order would no longer be visible.
#[allow(clippy::too_many_lines)]
fn classify(dir: Dir<'_>, m: &PackageJson) -> Result<App, Box<Diagnostic>> {
    if m.has("next") {
        return Ok(nextjs(dir, m));
    }
    if m.has("nuxt") {
        let mut env = BTreeMap::new();
        env.insert("HOST".to_owned(), "0.0.0.0".to_owned());
        return Ok(App::Deployable(Kind::Server(Server {
            framework: "Nuxt",
            start: vec!["node".into(), ".output/server/index.mjs".into()],
            start_source: "the server `nuxt build` writes".into(),
            output_dir: Some((".output".into(), "where `nuxt build` writes".into())),
            port: Some((3000, "Nuxt's default port".into())),
            env,
            env_source: Some("Nuxt listens on HOST:PORT".into()),
            ..Server::default()
        })));
    }
    if m.has("@sveltejs/kit") {
        return Ok(sveltekit(dir, m));
    }
    if m.has("astro") {
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
            return Ok(with_evidence(
                App::Deployable(Kind::Server(Server {
                    framework: "Astro",
                    start: vec!["node".into(), "dist/server/entry.mjs".into()],
                    start_source: "the server @astrojs/node writes".into(),
                    port: Some((4321, "Astro's default port".into())),
                    env,
                    env_source: Some("Astro's standalone server listens on HOST:PORT".into()),
                    ..Server::default()
                })),
                files,
            ));
        }
        let out = config_string(text, "outDir").and_then(|d| clean_rel_path(&d));
        let source = match &out {
            Some(_) => "`outDir` in the Astro config".to_owned(),
            None => "Astro's default output (static, no `output: 'server'`)".to_owned(),
        };
        return Ok(with_evidence(
            static_site("Astro", out.unwrap_or_else(|| "dist".into()), source, false),
            files,
        ));
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
        return Ok(with_evidence(
            static_site("Vue CLI", out, source, true),
            files,
        ));
    }
    let framework = server_framework(m);
    let server = generic_server(dir, m, framework.unwrap_or("Node"), None);
    if matches!(server, App::Deployable(_)) {
        return Ok(server);
    }
    if m.has("vite") || m.has_prefix("@vitejs/") {
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
        return Ok(with_evidence(static_site("Vite", out, source, true), files));
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

/// Next.js: a static export, the standalone server, or `next start`.
fn nextjs(dir: Dir<'_>, m: &PackageJson) -> App {
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
                    output_dir: Some((".next".into(), "where `next build` writes".into())),
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

fn package_manager_name(dir: Dir<'_>, m: &PackageJson) -> &'static str {
    if let Some(field) = &m.package_manager {
        for pm in ["pnpm", "yarn"] {
            if field.starts_with(pm) {
                return pm;
            }
        }
        return "npm";
    }
    match find_lockfile(dir).first() {
        Some((_, Some(pm))) => pm.as_str(),
        _ => "npm",
    }
}

fn sveltekit(dir: Dir<'_>, m: &PackageJson) -> App {
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

fn angular(dir: Dir<'_>) -> Result<App, Box<Diagnostic>> {
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

/// The scripts that start a server in production, most specific first.
const START_SCRIPTS: &[&str] = &["start:prod", "start:production", "serve:prod", "start"];

fn generic_server(
    dir: Dir<'_>,
    m: &PackageJson,
    framework: &'static str,
    default_port: Option<u16>,
) -> App {
    let script_reason = match server_from_scripts(m, framework, START_SCRIPTS, default_port) {
        App::NotAnApp(reason) => reason,
        deployable @ App::Deployable(_) => return deployable,
    };
    // No usable script: the `main` file of a server framework's app, or an entry file that
    // starts a server.
    let main = m
        .main
        .iter()
        .map(|main| (main.as_str(), "`main` in package.json", true));
    let conventional = CONVENTIONAL_ENTRIES
        .iter()
        .map(|entry| (*entry, "an entry file that starts a server", false));
    for (entry, source, is_main) in main.chain(conventional) {
        let Some(path) = clean_rel_path(entry) else {
            continue;
        };
        let listens = dir
            .read(&path)
            .or_else(|| dir.read(&format!("{path}.js")))
            .is_some_and(|t| t.contains(".listen(") || t.contains("createServer("));
        if listens || (is_main && server_framework(m).is_some()) {
            return App::Deployable(Kind::Server(Server {
                framework,
                start: vec!["node".into(), path.clone()],
                start_source: format!("{path}: {source}"),
                port: default_port.map(|p| (p, format!("{framework}'s default port"))),
                evidence: vec![dir.path(&path)],
                ..Server::default()
            }));
        }
    }
    App::NotAnApp(script_reason)
}

/// Files that conventionally start a Node server, tried when no script does.
const CONVENTIONAL_ENTRIES: &[&str] = &[
    "server.js",
    "index.js",
    "app.js",
    "server.mjs",
    "index.mjs",
    "src/server.js",
    "src/index.js",
];

/// A server started by one of `names` among the scripts.
fn server_from_scripts(
    m: &PackageJson,
    framework: &'static str,
    names: &[&str],
    default_port: Option<u16>,
) -> App {
    let mut rejected = Vec::new();
    for name in names {
        let Some(script) = m.scripts.get(*name) else {
            continue;
        };
        match exec_from_script(m, script, 0) {
            Ok(exec) => {
                let mut server = Server {
                    framework,
                    start_source: format!("the `{name}` script of package.json: {script}"),
                    start: exec.args,
                    env: exec.env,
                    env_source: Some(format!("set by the `{name}` script")),
                    port: exec.port.or_else(|| {
                        default_port.map(|p| (p, format!("{framework}'s default port")))
                    }),
                    notes: exec.notes,
                    ..Server::default()
                };
                server.alternatives.append(&mut rejected);
                return App::Deployable(Kind::Server(server));
            }
            Err(why) => rejected.push(format!("the `{name}` script ({script}): {why}")),
        }
    }
    if rejected.is_empty() {
        App::NotAnApp(
            "no `start` script, server entry file or front-end build: a library or a tooling package".to_owned(),
        )
    } else {
        App::NotAnApp(format!(
            "no script starts a production server: {}",
            rejected.join("; ")
        ))
    }
}

/// A start command in exec form, from a script.
#[derive(Debug, Default)]
struct Exec {
    args: Vec<String>,
    env: BTreeMap<String, String>,
    port: Option<(u16, String)>,
    notes: Vec<String>,
}

/// Programs that serve files or watch sources: not a production server.
const NOT_SERVERS: &[&str] = &[
    "vite",
    "webpack",
    "webpack-dev-server",
    "ng",
    "vue-cli-service",
    "react-scripts",
    "parcel",
    "serve",
    "http-server",
    "live-server",
    "nodemon",
    "ts-node-dev",
    "node-dev",
    "gatsby",
    "docusaurus",
    "astro",
    "svelte-kit",
];

/// Packages whose binary has another name.
const BIN_PACKAGES: &[(&str, &str)] = &[
    ("remix-serve", "@remix-run/serve"),
    ("react-router-serve", "@react-router/serve"),
    ("nest", "@nestjs/cli"),
    ("pm2-runtime", "pm2"),
    ("tsc", "typescript"),
];

fn exec_from_script(m: &PackageJson, script: &str, depth: usize) -> Result<Exec, String> {
    let mut notes = Vec::new();
    let segments: Vec<&str> = script.split("&&").map(str::trim).collect();
    let last = segments.last().copied().unwrap_or_default();
    if segments.len() > 1 {
        notes.push(format!(
            "the script runs `{}` first; only `{last}` is the container's command",
            segments[..segments.len() - 1].join(" && ")
        ));
    }
    if let Some(op) = ["||", "|", ";", ">", "<", "$", "`", "&"]
        .iter()
        .find(|op| last.contains(**op))
    {
        return Err(format!("it uses `{op}`, which needs a shell"));
    }
    let words =
        shell_words::split(last).map_err(|e| format!("it cannot be split into words: {e}"))?;
    let (env, args) = split_env(words);
    let Some(program) = args.first().cloned() else {
        return Err("it runs nothing".to_owned());
    };
    let port = env
        .get("PORT")
        .and_then(|p| p.parse().ok())
        .map(|p| (p, format!("PORT={p} in the script")))
        .or_else(|| script_port(last));
    if args
        .iter()
        .any(|a| a == "--watch" || a == "-w" || a == "dev")
    {
        return Err("it runs in development or watch mode".to_owned());
    }
    match program.as_str() {
        "node" => {}
        "npm" | "yarn" | "pnpm" => {
            let inner = called_script(m, &args)?;
            if depth >= 3 {
                return Err("its scripts call each other too deeply".to_owned());
            }
            let mut exec = exec_from_script(m, inner, depth + 1)?;
            exec.notes.splice(0..0, notes);
            for (k, v) in env {
                exec.env.entry(k).or_insert(v);
            }
            exec.port = exec.port.or(port);
            return Ok(exec);
        }
        p if NOT_SERVERS.contains(&p) => {
            return Err(format!(
                "`{p}` is a development or file server, not the app"
            ));
        }
        p => {
            let package = BIN_PACKAGES
                .iter()
                .find(|(bin, _)| *bin == p)
                .map_or(p, |(_, pkg)| *pkg);
            if m.dev_dependencies.contains(package) && !m.dependencies.contains(package) {
                return Err(format!(
                    "`{p}` comes from devDependencies, which the final image does not install"
                ));
            }
            if !m.dependencies.contains(package) {
                return Err(format!("`{p}` is not a dependency in package.json"));
            }
        }
    }
    let mut args = args;
    if program != "node" {
        args[0] = format!("node_modules/.bin/{program}");
    }
    Ok(Exec {
        args,
        env,
        port,
        notes,
    })
}

/// Leading `NAME=value` words (and `cross-env`) become the environment; the rest is the
/// command. `NODE_ENV=production` is dropped: the image sets it.
fn split_env(words: Vec<String>) -> (BTreeMap<String, String>, Vec<String>) {
    let mut env = BTreeMap::new();
    let mut words = words.into_iter().peekable();
    while let Some(word) = words.peek() {
        if word == "cross-env" {
            words.next();
            continue;
        }
        match word.split_once('=') {
            Some((k, v))
                if !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
            {
                if !(k == "NODE_ENV" && v == "production") {
                    env.insert(k.to_owned(), v.to_owned());
                }
                words.next();
            }
            _ => break,
        }
    }
    (env, words.collect())
}

/// The script that `npm run x`, `npm start`, `yarn x` or `pnpm x` runs.
fn called_script<'m>(m: &'m PackageJson, args: &[String]) -> Result<&'m str, String> {
    let program = args[0].as_str();
    let target = match args.get(1).map(String::as_str) {
        Some("run" | "run-script") => args.get(2),
        Some("start") => Some(&args[1]),
        Some(other) if program != "npm" && m.scripts.contains_key(other) => args.get(1),
        _ => None,
    };
    let Some(target) = target else {
        return Err(format!(
            "`{program}` with these arguments is not a script to follow"
        ));
    };
    m.scripts
        .get(target.as_str())
        .map(String::as_str)
        .ok_or_else(|| format!("it runs the `{target}` script, which does not exist"))
}

/// A port given on a command line: `-p 4000`, `--port=4000`, `PORT=4000`.
fn script_port(script: &str) -> Option<(u16, String)> {
    let words = shell_words::split(script).ok()?;
    for (i, w) in words.iter().enumerate() {
        let value = if w == "-p" || w == "--port" {
            words.get(i + 1).map(String::as_str)
        } else {
            w.strip_prefix("--port=")
                .or_else(|| w.strip_prefix("PORT="))
        };
        if let Some(port) = value.and_then(|v| v.parse::<u16>().ok()).filter(|p| *p > 0) {
            return Some((port, format!("`{w}` in the script")));
        }
    }
    None
}

/// The file a start command runs: `node dist/server.js` → `dist/server.js`.
fn entry_path(start: &[String]) -> Option<String> {
    start
        .iter()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .and_then(|a| clean_rel_path(a))
}

/// Where the build writes, for a server: tsconfig's `outDir`, or the top directory of the
/// start command's file.
fn output_dir(dir: Dir<'_>, start: &[String]) -> (String, String) {
    for name in ["tsconfig.build.json", "tsconfig.json"] {
        if let Some(text) = dir.read(name) {
            if let Some(out) =
                config_string(&strip_js_comments(&text), "outDir").and_then(|d| clean_rel_path(&d))
            {
                return (out, format!("`outDir` in {}", dir.path(name)));
            }
        }
    }
    if let Some(entry) = entry_path(start) {
        if let Some((top, _)) = entry.split_once('/') {
            if !matches!(top, "src" | "bin" | "node_modules") {
                return (top.to_owned(), format!("the start command runs {entry}"));
            }
        }
    }
    ("dist".to_owned(), DEFAULT_OUTPUT.to_owned())
}

/// The port, from the sources: the start command's file first (mapped back to its source
/// when it is built), then the usual entry files, then the rest.
fn port_in_code(dir: Dir<'_>, start: &[String]) -> Option<(u16, String, String)> {
    let mut order: Vec<String> = Vec::new();
    if let Some(entry) = entry_path(start) {
        let stem = entry
            .strip_suffix(".js")
            .or_else(|| entry.strip_suffix(".mjs"))
            .or_else(|| entry.strip_suffix(".cjs"))
            .unwrap_or(&entry)
            .to_owned();
        order.push(entry.clone());
        let in_src = match stem.split_once('/') {
            Some((_, rest)) => format!("src/{rest}"),
            None => format!("src/{stem}"),
        };
        for base in [stem.clone(), in_src] {
            for ext in ["ts", "js", "mts", "mjs", "cjs"] {
                order.push(format!("{base}.{ext}"));
            }
        }
    }
    let sources = dir.sources(&["ts", "js", "mjs", "cjs", "mts"]);
    order.extend(
        sources
            .iter()
            .filter(|s| !s.ends_with(".d.ts") && !s.contains("config."))
            .take(200)
            .map(|s| (*s).to_owned()),
    );
    for path in order {
        if let Some(text) = dir.read(&path) {
            if let Some((port, line)) = find_port(&text) {
                let path = dir.path(&path);
                return Some((port, format!("`{line}` in {path}"), path));
            }
        }
    }
    None
}

fn reads_port_env(dir: Dir<'_>) -> bool {
    dir.sources(&["ts", "js", "mjs", "cjs", "mts"])
        .iter()
        .take(200)
        .any(|p| dir.read(p).is_some_and(|t| t.contains("process.env.PORT")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::fs::MemFs;

    fn detect(files: &[(&str, &str)]) -> Outcome {
        let fs = MemFs::new(files.iter().copied());
        Node.detect(Dir::new(&fs, ""), &Options::default()).unwrap()
    }

    fn found(files: &[(&str, &str)]) -> Proposal {
        match detect(files) {
            Outcome::Found(p) => *p,
            other => panic!("{other:?}"),
        }
    }

    fn setting(p: &Proposal, key: &str) -> Option<Value> {
        p.settings
            .iter()
            .find(|s| s.key.as_str() == key)
            .map(|s| s.value.clone())
    }

    fn s(v: &str) -> Value {
        Value::Str(v.to_owned())
    }

    #[test]
    fn scripts_become_exec_form() {
        let m = PackageJson {
            scripts: [
                ("start".to_owned(), "npm run serve".to_owned()),
                (
                    "serve".to_owned(),
                    "cross-env NODE_ENV=production DEBUG=app node dist/server.js --port 4000"
                        .to_owned(),
                ),
            ]
            .into(),
            ..PackageJson::default()
        };
        let exec = exec_from_script(&m, "npm start", 0).unwrap();
        assert_eq!(exec.args, ["node", "dist/server.js", "--port", "4000"]);
        assert_eq!(exec.env.get("DEBUG").map(String::as_str), Some("app"));
        assert!(!exec.env.contains_key("NODE_ENV"));
        assert_eq!(exec.port.unwrap().0, 4000);
        assert!(exec_from_script(&m, "nodemon src/index.js", 0).is_err());
        assert!(exec_from_script(&m, "node a.js | tee log", 0).is_err());
    }

    #[test]
    fn dev_dependency_bins_are_refused() {
        let m = PackageJson {
            dev_dependencies: ["@nestjs/cli".to_owned()].into(),
            dependencies: ["next".to_owned()].into(),
            ..PackageJson::default()
        };
        assert!(exec_from_script(&m, "nest start", 0)
            .unwrap_err()
            .contains("devDependencies"));
        assert_eq!(
            exec_from_script(&m, "next start -p 4000", 0).unwrap().args,
            ["node_modules/.bin/next", "start", "-p", "4000"]
        );
    }

    #[test]
    fn lockfiles_pick_the_package_manager() {
        let pkg = r#"{"scripts": {"build": "vite build"}, "devDependencies": {"vite": "5"}}"#;
        let p = found(&[("package.json", pkg), ("pnpm-lock.yaml", "")]);
        assert_eq!(setting(&p, "package-manager"), Some(s("pnpm")));
        assert_eq!(setting(&p, "build"), Some(s("pnpm run build")));
        let p = found(&[("package.json", pkg), ("yarn.lock", "__metadata:\n")]);
        assert_eq!(setting(&p, "package-manager"), Some(s("yarn")));
        let p = found(&[("package.json", pkg)]);
        assert_eq!(setting(&p, "package-manager"), Some(s("npm")));
        assert!(p.notes[0].contains("no lockfile"), "{:?}", p.notes);
    }

    #[test]
    fn bun_is_unsupported() {
        let fs = MemFs::new([
            ("package.json", r#"{"scripts": {"start": "node a.js"}}"#),
            ("bun.lockb", ""),
        ]);
        let e = Node
            .detect(Dir::new(&fs, ""), &Options::default())
            .unwrap_err();
        assert!(e.message.contains("bun"), "{}", e.message);
        let fs = MemFs::new([(
            "package.json",
            r#"{"packageManager": "bun@1.1.0", "scripts": {"start": "node a.js"}}"#,
        )]);
        assert!(Node.detect(Dir::new(&fs, ""), &Options::default()).is_err());
    }

    #[test]
    fn versions_from_files_and_engines() {
        let pkg = r#"{"engines": {"node": ">=20.11"}, "scripts": {"start": "node server.js"}}"#;
        let p = found(&[("package.json", pkg), ("package-lock.json", "{}")]);
        assert_eq!(setting(&p, "version"), Some(s("20")));
        let p = found(&[
            ("package.json", pkg),
            ("package-lock.json", "{}"),
            (".nvmrc", "v18.19.1\n"),
        ]);
        assert_eq!(setting(&p, "version"), Some(s("18")));
        let p = found(&[
            (
                "package.json",
                r#"{"scripts": {"start": "node server.js"}}"#,
            ),
            (".nvmrc", "lts/*\n"),
        ]);
        assert_eq!(setting(&p, "version"), None);
    }

    #[test]
    fn vite_out_dir_is_honoured() {
        let pkg = r#"{"scripts": {"build": "vite build"}, "devDependencies": {"vite": "5"}}"#;
        let cfg = "export default { build: { outDir: './public/app' } }";
        let p = found(&[("package.json", pkg), ("vite.config.js", cfg)]);
        assert_eq!(setting(&p, "output-dir"), Some(s("public/app")));
        assert_eq!(setting(&p, "spa"), Some(Value::Bool(true)));
    }

    #[test]
    fn servers_and_ports() {
        let pkg = r#"{"scripts": {"start": "node dist/index.js", "build": "tsc"}, "dependencies": {"fastify": "4"}}"#;
        let src = "const app = Fastify();\napp.listen({ port: 3001, host: '0.0.0.0' });\n";
        let p = found(&[("package.json", pkg), ("src/index.ts", src)]);
        assert_eq!(p.stack, Stack::NodeServer);
        assert_eq!(
            setting(&p, "start"),
            Some(Value::List(vec!["node".into(), "dist/index.js".into()]))
        );
        assert_eq!(setting(&p, "port"), Some(Value::Int(3001)));
        assert_eq!(setting(&p, "build"), Some(s("npm run build")));
        assert_eq!(setting(&p, "output-dir"), Some(s("dist")));
        let pkg = r#"{"main": "server.js", "dependencies": {"express": "4"}}"#;
        let p = found(&[
            ("package.json", pkg),
            ("server.js", "app.listen(process.env.PORT)"),
        ]);
        assert_eq!(setting(&p, "port"), Some(Value::Int(8080)));
        assert!(matches!(setting(&p, "env"), Some(Value::Map(m)) if m["PORT"] == "8080"));
    }

    #[test]
    fn front_end_frameworks_and_their_output() {
        let p = found(&[(
            "package.json",
            r#"{"scripts": {"build": "react-scripts build"}, "dependencies": {"react-scripts": "5"}}"#,
        )]);
        assert_eq!(setting(&p, "output-dir"), Some(s("build")));
        assert_eq!(setting(&p, "spa"), Some(Value::Bool(true)));
        let p = found(&[
            (
                "package.json",
                r#"{"scripts": {"build": "vue-cli-service build", "serve": "vue-cli-service serve"}, "devDependencies": {"@vue/cli-service": "5"}}"#,
            ),
            ("vue.config.js", "module.exports = { outputDir: 'www' }"),
        ]);
        assert_eq!(setting(&p, "output-dir"), Some(s("www")));
        let p = found(&[
            (
                "package.json",
                r#"{"scripts": {"build": "next build"}, "dependencies": {"next": "15"}}"#,
            ),
            ("next.config.js", "module.exports = { output: \"export\" }"),
        ]);
        assert_eq!(p.stack, Stack::NodeStatic);
        assert_eq!(setting(&p, "output-dir"), Some(s("out")));
        let p = found(&[
            (
                "package.json",
                r#"{"scripts": {"build": "astro build", "start": "node ./dist/server/entry.mjs"}, "dependencies": {"astro": "5", "@astrojs/node": "9"}}"#,
            ),
            ("astro.config.mjs", "import node from '@astrojs/node';\nexport default defineConfig({ output: 'server', adapter: node({ mode: 'standalone' }) });"),
        ]);
        assert_eq!(p.stack, Stack::NodeServer);
        assert_eq!(setting(&p, "port"), Some(Value::Int(4321)));
    }

    #[test]
    fn libraries_are_not_apps() {
        let pkg = r#"{"name": "@acme/ui", "main": "dist/index.js", "scripts": {"build": "tsc"}}"#;
        assert!(matches!(
            detect(&[("package.json", pkg)]),
            Outcome::NotAnApp { .. }
        ));
    }

    #[test]
    fn malformed_package_json_points_at_the_line() {
        let fs = MemFs::new([(
            "package.json",
            "{\n  \"name\": \"x\"\n  \"scripts\": {}\n}\n",
        )]);
        let e = Node
            .detect(Dir::new(&fs, ""), &Options::default())
            .unwrap_err();
        let (file, span) = e.location.unwrap();
        assert_eq!(file.line_col(span.start).0, 3);
        let fs = MemFs::new([("package.json", "{\"scripts\": [\"start\"]}")]);
        let e = Node
            .detect(Dir::new(&fs, ""), &Options::default())
            .unwrap_err();
        assert!(e.message.contains("`scripts`"), "{}", e.message);
    }
}
