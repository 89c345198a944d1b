//! How a server starts: the script that runs it, its entry file and its port.

use std::collections::BTreeMap;

use super::frameworks::{server_framework, App, Kind, Server};
use super::DEFAULT_OUTPUT;
use crate::detect::text::{config_string, find_port, strip_js_comments};
use crate::detect::{clean_rel_path, Dir};
use crate::manifest::package_json::PackageJson;

/// The scripts that start a server in production, most specific first.
pub(super) const START_SCRIPTS: &[&str] =
    &["start:prod", "start:production", "serve:prod", "start"];

pub(super) fn generic_server(
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
            .is_some_and(|t| {
                [".listen(", "createServer(", "bindAsync("]
                    .iter()
                    .any(|m| t.contains(m))
            });
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
pub(super) const CONVENTIONAL_ENTRIES: &[&str] = &[
    "server.js",
    "index.js",
    "app.js",
    "server.mjs",
    "index.mjs",
    "src/server.js",
    "src/index.js",
];

/// A server started by one of `names` among the scripts.
pub(super) fn server_from_scripts(
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
                    start_script: Some((*name).to_owned()),
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
pub(super) struct Exec {
    pub(super) args: Vec<String>,
    pub(super) env: BTreeMap<String, String>,
    pub(super) port: Option<(u16, String)>,
    pub(super) notes: Vec<String>,
}

/// Programs that serve files or watch sources: not a production server.
pub(super) const NOT_SERVERS: &[&str] = &[
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
pub(super) const BIN_PACKAGES: &[(&str, &str)] = &[
    ("remix-serve", "@remix-run/serve"),
    ("react-router-serve", "@react-router/serve"),
    ("nest", "@nestjs/cli"),
    ("pm2-runtime", "pm2"),
    ("tsc", "typescript"),
];

// One arm per launcher a start script may use (node, tsx, ts-node, bun, nest, next, nuxt...).
#[allow(clippy::too_many_lines)]
pub(super) fn exec_from_script(
    m: &PackageJson,
    script: &str,
    depth: usize,
) -> Result<Exec, String> {
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
        .any(|a| a == "--watch" || a == "-w" || a == "--hot" || a == "dev")
    {
        return Err("it runs in development or watch mode".to_owned());
    }
    let runs_script = program == "bun" && script_of_bun(m, &args).is_some();
    match program.as_str() {
        "node" => {}
        // `bun file.ts` and `bun run file.ts` run a file with Bun's runtime.
        "bun" if !runs_script => {
            let mut args = args;
            if args.get(1).map(String::as_str) == Some("run") {
                args.remove(1);
            }
            return Ok(Exec {
                args,
                env,
                port,
                notes,
            });
        }
        "npm" | "yarn" | "pnpm" | "bun" => {
            let inner = called_script(m, &args)?;
            if depth >= 3 {
                return Err("its scripts call each other too deeply".to_owned());
            }
            let mut exec = exec_from_script(m, &inner, depth + 1)?;
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
/// command. `NODE_ENV=production` is dropped: the image sets it. A `dotenv ... --` wrapper
/// (dotenv-cli) is dropped too: the container gets its environment from its platform, and
/// `.env` files stay out of the image.
pub(super) fn split_env(words: Vec<String>) -> (BTreeMap<String, String>, Vec<String>) {
    let mut env = BTreeMap::new();
    let mut words = words.into_iter().peekable();
    while let Some(word) = words.peek().cloned() {
        if word == "cross-env" {
            words.next();
            continue;
        }
        let wrapper = word == "dotenv" || word == "dotenv-cli";
        if wrapper && words.clone().any(|w| w == "--") {
            for w in words.by_ref() {
                if w == "--" {
                    break;
                }
            }
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

/// The script that `bun x` or `bun run x` runs, when `x` is a script.
fn script_of_bun<'a>(m: &PackageJson, args: &'a [String]) -> Option<&'a String> {
    let at = usize::from(args.get(1).map(String::as_str) == Some("run")) + 1;
    args.get(at).filter(|a| m.scripts.contains_key(a.as_str()))
}

/// The script that `npm run x`, `npm start`, `yarn x`, `pnpm x` or `bun run x` runs, with
/// the arguments given after it (`pnpm with-env next start` runs `with-env`'s script followed
/// by `next start`).
pub(super) fn called_script(m: &PackageJson, args: &[String]) -> Result<String, String> {
    let program = args[0].as_str();
    let (target, at) = match args.get(1).map(String::as_str) {
        Some("run" | "run-script") => (args.get(2), 3),
        Some("start") => (Some(&args[1]), 2),
        Some(other) if program != "npm" && m.scripts.contains_key(other) => (args.get(1), 2),
        _ => (None, 0),
    };
    let Some(target) = target else {
        return Err(format!(
            "`{program}` with these arguments is not a script to follow"
        ));
    };
    let script = m
        .scripts
        .get(target.as_str())
        .ok_or_else(|| format!("it runs the `{target}` script, which does not exist"))?;
    let rest: Vec<&String> = args.iter().skip(at).filter(|a| *a != "--").collect();
    if rest.is_empty() {
        return Ok(script.clone());
    }
    let rest: Vec<String> = rest
        .iter()
        .map(|a| shell_words::quote(a).into_owned())
        .collect();
    Ok(format!("{script} {}", rest.join(" ")))
}

/// A port given on a command line: `-p 4000`, `--port=4000`, `PORT=4000`.
pub(super) fn script_port(script: &str) -> Option<(u16, String)> {
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
pub(super) fn entry_path(start: &[String]) -> Option<String> {
    start
        .iter()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .and_then(|a| clean_rel_path(a))
}

/// Where the build writes, for a server: tsconfig's `outDir`, or the top directory of the
/// start command's file.
pub(super) fn output_dir(dir: Dir<'_>, start: &[String]) -> (String, String) {
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
pub(super) fn port_in_code(dir: Dir<'_>, start: &[String]) -> Option<(u16, String, String)> {
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

pub(super) fn reads_port_env(dir: Dir<'_>) -> bool {
    dir.sources(&["ts", "js", "mjs", "cjs", "mts"])
        .iter()
        .take(200)
        .any(|p| dir.read(p).is_some_and(|t| t.contains("process.env.PORT")))
}
