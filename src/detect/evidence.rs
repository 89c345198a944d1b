//! The evidence a repository already carries about how it runs, read before guessing and
//! applied to every stack's proposal, in this order (the first file that says something
//! about a key wins): a `Procfile` (`web:`, `release:`, other process lines), the script a
//! Dockerfile or the Procfile runs (`boot.sh`, `docker-entrypoint.sh`: its final `exec`), a
//! hand-written `Dockerfile` (`CMD`/`ENTRYPOINT`, `EXPOSE`, `ENV PORT`), a Compose file
//! (`ports`, `command`), then platform files (`fly.toml`, `app.yaml`, `render.yaml`,
//! `railway.json`/`.toml`, `heroku.yml`). Each key's comment names the file it came from.

use std::collections::BTreeMap;

use super::{Dir, Proposal, Value};
use crate::spec::{ServiceKey, Stack};

/// Scripts that images run as their entry point, whose final `exec` starts the app.
const SCRIPTS: &[&str] = &[
    "boot.sh",
    "docker-entrypoint.sh",
    "entrypoint.sh",
    "start.sh",
    "run.sh",
    "bin/boot.sh",
    "scripts/start.sh",
];
/// Environment variables of a hand-written Dockerfile that say how the app runs, kept.
const APP_ENV: &[&str] = &[
    "DJANGO_SETTINGS_MODULE",
    "FLASK_APP",
    "NODE_ENV",
    "APP_ENVIRONMENT",
];
const COMPOSE_FILES: &[&str] = &[
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
];

/// A command found in a file, and which file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Command {
    words: Vec<String>,
    source: String,
}

/// What the evidence says, key by key; the first reader to say something wins.
#[derive(Debug, Default)]
struct Evidence {
    start: Option<Command>,
    release: Option<Command>,
    processes: Vec<(String, Command)>,
    port: Option<(u16, String)>,
    env: BTreeMap<String, (String, String)>,
}

/// Reads the evidence of `dir` and applies it to the proposal made for it.
pub(crate) fn apply(dir: Dir<'_>, p: &mut Proposal) {
    let mut ev = Evidence::default();
    procfile(dir, &mut ev, p);
    dockerfile(dir, &mut ev, p);
    compose(dir, &mut ev, p);
    platforms(dir, &mut ev, p);
    let runs_commands = matches!(p.stack, Stack::Python | Stack::NodeServer);
    if let Some(start) = ev.start.take().filter(|_| runs_commands) {
        set_start(p, start, &mut ev, dir);
    }
    if let Some((port, source)) = ev.port.take() {
        if p.stack != Stack::NodeStatic && p.stack != Stack::Static {
            follow_port(p, port, &source);
            p.set(ServiceKey::Port, Value::Int(port), source);
        }
    }
    // Another command of an interpreted app's image; a compiled app's Procfile lines run
    // development tools (`go run ...`) more often than its binary.
    let takes_processes = runs_commands;
    if takes_processes && !ev.processes.is_empty() {
        let sources: Vec<String> = ev
            .processes
            .iter()
            .map(|(name, cmd)| format!("{name}: {}", cmd.source))
            .collect();
        let commands = ev
            .processes
            .iter()
            .map(|(n, c)| (n.clone(), c.words.clone()))
            .collect();
        p.set(
            ServiceKey::Processes,
            Value::Lists(commands),
            sources.join("; "),
        );
    }
    if let Some(release) = ev.release.take().filter(|_| takes_processes) {
        p.set(
            ServiceKey::Release,
            Value::List(release.words),
            release.source,
        );
    }
    port_env(dir, p, &ev);
    grpc_protocol(dir, p);
}

/// Calls that start a gRPC server, and calls that start an HTTP one.
const GRPC: &[&str] = &[
    "bindAsync(",
    "grpc.server(",
    "grpc.NewServer(",
    "tonic::transport::Server",
];
const HTTP: &[&str] = &[
    "ListenAndServe",
    "http.NewServer(",
    "fiber.New(",
    "gin.Default(",
    "gin.New(",
    "echo.New(",
    "HandleFunc(",
    "http.Server{",
    ".listen(",
    "Flask(",
    "FastAPI(",
    "express(",
    "axum::serve",
    "HttpServer::new",
    "add_insecure_port(\"[::]:80\")",
];

/// `protocol = "grpc"` for a server that only speaks gRPC: its code starts a gRPC server and
/// no HTTP one.
fn grpc_protocol(dir: Dir<'_>, p: &mut Proposal) {
    if p.get(ServiceKey::Protocol).is_some() || matches!(p.stack, Stack::NodeStatic | Stack::Static)
    {
        return;
    }

    let mut grpc = None;
    for path in dir
        .sources(&["js", "mjs", "ts", "py", "go", "rs"])
        .iter()
        .take(400)
    {
        let Some(text) = dir.read(path) else { continue };
        if HTTP.iter().any(|m| text.contains(m)) {
            return;
        }
        if grpc.is_none() && GRPC.iter().any(|m| text.contains(m)) {
            grpc = Some(dir.path(path));
        }
    }
    if let Some(file) = grpc {
        p.set_str(
            ServiceKey::Protocol,
            "grpc",
            format!("{file} starts a gRPC server, and no HTTP one"),
        );
    }
}

/// A start command detection wrote for mbgen's default port, moved to the port the
/// repository names.
fn follow_port(p: &mut Proposal, port: u16, source: &str) {
    let default = crate::spec::DEFAULT_PORT.to_string();
    let Some(setting) = p.settings.iter_mut().find(|s| s.key == ServiceKey::Start) else {
        return;
    };
    let Value::List(words) = &mut setting.value else {
        return;
    };
    let mut moved = false;
    for w in words.iter_mut() {
        if *w == default {
            *w = port.to_string();
            moved = true;
        } else if let Some(host) = w.strip_suffix(&format!(":{default}")) {
            *w = format!("{host}:{port}");
            moved = true;
        }
    }
    if moved && !setting.source.contains(source) {
        setting.source = format!("{}; on the port of {source}", setting.source);
    }
}

/// `PORT` in `env` when the app reads it: the port it will then listen on.
fn port_env(dir: Dir<'_>, p: &mut Proposal, ev: &Evidence) {
    if matches!(p.stack, Stack::NodeStatic | Stack::Static) {
        return;
    }
    let mut env = match p.get(ServiceKey::Env) {
        Some(Value::Map(m)) => m.clone(),
        _ => BTreeMap::new(),
    };
    let mut sources: Vec<String> = p
        .settings
        .iter()
        .find(|s| s.key == ServiceKey::Env)
        .map(|s| vec![s.source.clone()])
        .unwrap_or_default();
    // What the repository says wins over what detection guessed.
    for (k, (v, source)) in &ev.env {
        env.insert(k.clone(), v.clone());
        sources.push(format!("{k}: {source}"));
    }
    let port_now = match p.get(ServiceKey::Port) {
        Some(Value::Int(n)) => *n,
        _ => crate::spec::DEFAULT_PORT,
    };
    // Detection set PORT to the port it guessed; the evidence may have found another.
    if env.contains_key("PORT") && !ev.env.contains_key("PORT") {
        env.insert("PORT".to_owned(), port_now.to_string());
    }
    if !env.contains_key("PORT") {
        if let Some(file) = reads_port(dir) {
            let port = match p.get(ServiceKey::Port) {
                Some(Value::Int(n)) => *n,
                _ => crate::spec::DEFAULT_PORT,
            };
            env.insert("PORT".to_owned(), port.to_string());
            sources.push(format!("PORT: {file} reads it"));
        }
    }
    if !env.is_empty() {
        p.set(ServiceKey::Env, Value::Map(env), sources.join("; "));
    }
}

/// The first source file that reads the `PORT` environment variable, in any language.
fn reads_port(dir: Dir<'_>) -> Option<String> {
    const READS: &[&str] = &[
        "process.env.PORT",
        "process.env['PORT']",
        "process.env[\"PORT\"]",
        "Deno.env.get(\"PORT\")",
        "environ.get(\"PORT\"",
        "environ.get('PORT'",
        "environ[\"PORT\"]",
        "environ['PORT']",
        "getenv(\"PORT\"",
        "getenv('PORT'",
        "Getenv(\"PORT\")",
        "LookupEnv(\"PORT\")",
        "env::var(\"PORT\")",
    ];
    let sources = dir.sources(&["js", "mjs", "cjs", "ts", "py", "go", "rs"]);
    sources.iter().take(400).find_map(|path| {
        let text = dir.read(path)?;
        READS
            .iter()
            .any(|r| text.contains(r))
            .then(|| dir.path(path))
    })
}

/// Replaces the proposal's start command with the evidence's, made runnable in exec form:
/// `$PORT` becomes the port (and `PORT` is set), a server told no address gets one.
fn set_start(p: &mut Proposal, start: Command, ev: &mut Evidence, dir: Dir<'_>) {
    let Command { mut words, source } = start;
    in_this_image(p.stack, &mut words);
    // `node server.js` where the build makes server.js elsewhere in that image (a copied
    // Next.js standalone output): this image's layout is detection's.
    if let Some(script) = script_of(&words) {
        if !dir.exists(&script) && !dir.exists(&format!("{script}.js")) {
            p.alternatives.push(format!(
                "`{}` ({source}): {script} is not in the sources, the build writes it elsewhere",
                words.join(" ")
            ));
            return;
        }
    }
    let named = port_in_command(&words);
    let port =
        ev.port
            .as_ref()
            .map(|(n, _)| *n)
            .or(named)
            .or_else(|| match p.get(ServiceKey::Port) {
                Some(Value::Int(n)) => Some(*n),
                _ => None,
            });
    let mut port = port.unwrap_or(crate::spec::DEFAULT_PORT);
    let mut uses_port_var = false;
    for w in &mut words {
        if let Some((default, replaced)) = substitute_port(w) {
            if let (Some(d), None) = (default, ev.port.as_ref()) {
                port = d;
            }
            uses_port_var = true;
            *w = replaced;
        }
    }
    if uses_port_var {
        for w in &mut words {
            *w = w.replace("\u{0}PORT\u{0}", &port.to_string());
        }
        ev.env.entry("PORT".to_owned()).or_insert_with(|| {
            (
                port.to_string(),
                format!("the command in {source} uses $PORT"),
            )
        });
    }
    if let Some(added) = bind_all_addresses(&mut words, port) {
        p.set(
            ServiceKey::Start,
            Value::List(words),
            format!("{source}; {added}"),
        );
    } else {
        p.set(ServiceKey::Start, Value::List(words), source.clone());
    }
    if ev.port.is_none() && (named.is_some() || uses_port_var) {
        ev.port = Some((port, format!("the command in {source}")));
    }
}

/// A command written for another image, made to run in this one: the interpreter the base
/// image ran implicitly (`CMD ["server.js"]` on a node image) is named, and programs of a
/// virtual environment elsewhere (`/venv/bin/python`) are taken from `PATH`.
fn in_this_image(stack: Stack, words: &mut Vec<String>) {
    for w in words.iter_mut() {
        if let Some((_, program)) = w.rsplit_once("/bin/").filter(|_| w.starts_with('/')) {
            *w = program.to_owned();
        }
    }
    let Some(first) = words.first() else { return };
    let ext = std::path::Path::new(first)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let interpreter = match (stack, ext.as_deref()) {
        (Stack::NodeServer, Some("js" | "mjs" | "cjs")) => "node",
        (Stack::NodeServer, _) if first.starts_with('-') => "node",
        (Stack::Python, Some("py")) => "python",
        _ => return,
    };
    words.insert(0, interpreter.to_owned());
}

/// The script an interpreter runs: `node --require x server.js` → `server.js`.
fn script_of(words: &[String]) -> Option<String> {
    let program = words.first()?.as_str();
    if !matches!(program, "node" | "python" | "python3" | "bun" | "deno") {
        return None;
    }
    let script = words[1..].iter().find(|w| !w.starts_with('-'))?;
    let script = script.trim_start_matches("./");
    (!script.is_empty() && script != "run" && !script.contains(':')).then(|| script.to_owned())
}

/// `$PORT`, `${PORT}` or `${PORT:-8000}` in a word, marked for the port; and the default.
fn substitute_port(word: &str) -> Option<(Option<u16>, String)> {
    for form in ["${PORT:-", "${PORT-"] {
        if let Some(at) = word.find(form) {
            let rest = &word[at + form.len()..];
            let end = rest.find('}')?;
            let default = rest[..end].parse().ok();
            let replaced = format!("{}\u{0}PORT\u{0}{}", &word[..at], &rest[end + 1..]);
            return Some((default, replaced));
        }
    }
    for form in ["${PORT}", "$PORT"] {
        if word.contains(form) {
            return Some((None, word.replace(form, "\u{0}PORT\u{0}")));
        }
    }
    None
}

/// The port a server command names: `-b :5000`, `--bind 0.0.0.0:8000`, `--port 8000`,
/// `--port=8000`, `--listen=0.0.0.0:8080`, `-p 3000`.
pub(crate) fn port_in_command(words: &[String]) -> Option<u16> {
    let after_colon = |s: &str| s.rsplit(':').next().and_then(|n| n.parse().ok());
    for (i, w) in words.iter().enumerate() {
        let next = words.get(i + 1).map(String::as_str);
        let value = match w.split_once('=') {
            Some((flag, v)) if flag.starts_with('-') => Some((flag, v)),
            _ => next.map(|v| (w.as_str(), v)),
        };
        let Some((flag, v)) = value else { continue };
        match flag {
            "-b" | "--bind" | "--listen" | "--http" | "--http-socket" | "--host-port" => {
                if let Some(port) = after_colon(v) {
                    return Some(port);
                }
            }
            "--port" | "-p" => {
                if let Ok(port) = v.parse() {
                    return Some(port);
                }
            }
            _ => {}
        }
    }
    None
}

/// A Python server that would listen on localhost or on no port unless told: make it
/// listen on every address, at `port`. Says what was added.
fn bind_all_addresses(words: &mut Vec<String>, port: u16) -> Option<String> {
    let program = words.first()?.rsplit('/').next()?.to_owned();
    let has = |words: &[String], flags: &[&str]| {
        words.iter().any(|w| {
            flags
                .iter()
                .any(|f| w == f || w.starts_with(&format!("{f}=")))
        })
    };
    let host = has(words, &["--host", "-h", "-b", "--bind", "--interface"]);
    let port_given = has(words, &["--port", "-p"]);
    let explicit_port = |words: &mut Vec<String>| {
        if matches!(
            program.as_str(),
            "uvicorn" | "granian" | "daphne" | "flask" | "fastapi"
        ) && !port_given
        {
            words.push("--port".into());
            words.push(port.to_string());
            return true;
        }
        false
    };
    match program.as_str() {
        "gunicorn" if !has(words, &["-b", "--bind", "-c", "--config"]) => {
            words.insert(1, "--bind".into());
            words.insert(2, format!("0.0.0.0:{port}"));
            Some("with --bind added, as nothing else says where gunicorn listens".into())
        }
        "uvicorn" | "hypercorn" | "granian" | "daphne" | "flask" if !host => {
            let (flag, value) = match program.as_str() {
                "hypercorn" => ("--bind", format!("0.0.0.0:{port}")),
                "daphne" => ("--bind", "0.0.0.0".to_owned()),
                _ => ("--host", "0.0.0.0".to_owned()),
            };
            words.push(flag.into());
            words.push(value);
            explicit_port(words);
            Some(format!(
                "with {flag} added, as {program} listens on localhost otherwise"
            ))
        }
        _ => explicit_port(words).then(|| format!("with --port added ({program}'s own default)")),
    }
}

/// A shell command line as exec-form words: the long-running command (the last of `a; b`
/// or `a && b`, without `exec`, leading `VAR=value` assignments and `poetry run`-style
/// wrappers), and the earlier commands.
fn parse_line(line: &str) -> Option<(Vec<String>, Vec<Vec<String>>)> {
    let mut parts: Vec<Vec<String>> = Vec::new();
    for part in line.split("&&").flat_map(|p| p.split(';')) {
        let words = shell_words::split(part.trim()).ok()?;
        let words = strip_wrappers(words);
        if !words.is_empty() {
            parts.push(words);
        }
    }
    let last = parts.pop()?;
    Some((last, parts))
}

fn strip_wrappers(mut words: Vec<String>) -> Vec<String> {
    loop {
        let first = words.first().map(String::as_str).unwrap_or_default();
        let program = first.rsplit('/').next().unwrap_or(first);
        let drop = if first == "exec"
            || first == "--"
            || matches!(program, "tini" | "dumb-init")
            || first.contains('=') && !first.starts_with('-')
        {
            1
        } else if matches!(first, "poetry" | "uv" | "pipenv" | "pdm" | "rye")
            && words.get(1).is_some_and(|w| w == "run")
        {
            2
        } else {
            0
        };
        if drop == 0 {
            return words;
        }
        words.drain(..drop.min(words.len()));
    }
}

fn is_shell_script(name: &str) -> bool {
    std::path::Path::new(name)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("sh"))
}

/// Whether a command is a one-off step before the server: migrations and deploy tasks.
fn is_release(words: &[String]) -> bool {
    let text = words.join(" ");
    ["migrate", "upgrade", "deploy"]
        .iter()
        .any(|w| text.contains(w))
}

/// Whether a command only runs a package script (`npm run start:prod`): the node
/// detector reads the script itself, better than a second guess.
fn runs_a_script(words: &[String]) -> bool {
    matches!(
        words.first().map(String::as_str),
        Some("npm" | "yarn" | "pnpm" | "bun" | "npx" | "make")
    )
}

/// Whether a command only works through a shell: variables other than `PORT` (which
/// becomes the port), redirections, pipes.
fn needs_a_shell(words: &[String]) -> bool {
    words.iter().any(|w| {
        let without_port = substitute_port(w).map_or_else(|| w.clone(), |(_, r)| r);
        without_port.contains('$')
            || matches!(w.as_str(), "|" | ">" | ">>" | "<" | "&")
            || w.starts_with("2>")
            || w.starts_with("1>")
    })
}

/// The start command and the commands run before it, from a line of `file`.
fn from_line(line: &str, file: &str, dir: Dir<'_>, ev: &mut Evidence) -> Option<Command> {
    let (last, before) = parse_line(line)?;
    for b in before.iter().filter(|b| is_release(b)) {
        if ev.release.is_none() {
            ev.release = Some(Command {
                words: b.clone(),
                source: format!("run before the server in {file}"),
            });
        }
    }
    // `./boot.sh`: the script's own final `exec` is the command.
    let script = last[0].trim_start_matches("./");
    if SCRIPTS.contains(&script) || (last.len() == 1 && is_shell_script(script)) {
        return script_exec(dir, script, ev);
    }
    if runs_a_script(&last) || needs_a_shell(&last) {
        return None;
    }
    let mut last = last;
    // A development server in a Dockerfile or Compose file: its production twin.
    if last.len() > 1 && last[0] == "fastapi" && last[1] == "dev" {
        "run".clone_into(&mut last[1]);
    }
    Some(Command {
        words: last,
        source: file.to_owned(),
    })
}

/// The final `exec` line of a start script, and the release steps before it.
fn script_exec(dir: Dir<'_>, script: &str, ev: &mut Evidence) -> Option<Command> {
    let text = dir.read(script)?;
    let file = dir.path(script);
    let mut exec = None;
    for line in text.lines().map(str::trim) {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("exec ") {
            exec = Some(rest.to_owned());
        } else if ev.release.is_none() {
            let words = shell_words::split(line).ok().map(strip_wrappers);
            if let Some(words) = words.filter(|w| is_release(w) && !w.is_empty()) {
                let words: Vec<String> = words.into_iter().take_while(|w| w != ";").collect();
                ev.release = Some(Command {
                    words,
                    source: format!("run before the server in {file}"),
                });
            }
        }
    }
    let (words, _) = parse_line(&exec?)?;
    (!runs_a_script(&words)).then(|| Command {
        words,
        source: format!("the final `exec` of {file}"),
    })
}

/// `Procfile`: `web:` is the start command, `release:` the release command, and every other
/// line a process run from the same image.
fn procfile(dir: Dir<'_>, ev: &mut Evidence, p: &mut Proposal) {
    let Some(text) = dir.read("Procfile") else {
        return;
    };
    let file = dir.path("Procfile");
    p.evidence(&file);
    for line in text.lines() {
        let Some((name, command)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim();
        if name.starts_with('#') || name.is_empty() {
            continue;
        }
        let source = format!("`{name}:` in {file}");
        match name {
            "web" => {
                if let Some(cmd) = from_line(command, &source, dir, ev) {
                    ev.start.get_or_insert(cmd);
                }
            }
            "release" => {
                // `yes "yes" | python manage.py migrate`: the command after a pipe.
                let command = command.rsplit('|').next().unwrap_or(command).trim();
                let words = match parse_line(command) {
                    Some((last, before)) if before.is_empty() => Some(last),
                    // Several commands: the image's shell runs them in order.
                    Some(_) => Some(vec!["sh".into(), "-c".into(), command.to_owned()]),
                    None => None,
                };
                if let Some(words) = words {
                    ev.release = Some(Command { words, source });
                }
            }
            _ => {
                let Some(name) = super::service_name(name) else {
                    continue;
                };
                if let Some((last, _)) = parse_line(command) {
                    if !runs_a_script(&last) && !needs_a_shell(&last) && name != "release" {
                        ev.processes.push((
                            name,
                            Command {
                                words: last,
                                source,
                            },
                        ));
                    }
                }
            }
        }
    }
}

/// A hand-written `Dockerfile`: its command (through the script it runs), `EXPOSE` and
/// `ENV PORT`.
fn dockerfile(dir: Dir<'_>, ev: &mut Evidence, p: &mut Proposal) {
    let Some(text) = dir.read("Dockerfile") else {
        return;
    };
    // mbgen's own, untouched, says nothing new; one edited since, or written by hand (even
    // when its comments name mbgen), says what a person wants.
    if crate::spec::seal::ownership(&text) == crate::spec::seal::Ownership::Intact {
        return;
    }
    let file = dir.path("Dockerfile");
    let (mut entrypoint, mut cmd, mut expose, mut env_port) = (None, None, None, None);
    for line in joined_lines(&text) {
        let (instr, rest) = line.split_once(char::is_whitespace).unwrap_or((&line, ""));
        let rest = rest.trim();
        match instr.to_ascii_uppercase().as_str() {
            // The last stage's values win, as in the image.
            "FROM" => (entrypoint, cmd, expose, env_port) = (None, None, None, None),
            "ENTRYPOINT" => entrypoint = exec_words(rest),
            "CMD" => cmd = exec_words(rest),
            "EXPOSE" if expose.is_none() => {
                expose = rest
                    .split_whitespace()
                    .next()
                    .and_then(|w| w.split('/').next()?.parse::<u16>().ok());
            }
            "ENV" => {
                for (k, v) in env_pairs(rest) {
                    if k == "PORT" {
                        env_port = v.parse::<u16>().ok();
                    } else if APP_ENV.contains(&k.as_str()) {
                        let source = format!("`ENV {k}` in {}", dir.path("Dockerfile"));
                        ev.env.entry(k).or_insert((v, source));
                    }
                }
            }
            _ => {}
        }
    }
    let mut words: Vec<String> = entrypoint.clone().unwrap_or_default();
    if entrypoint
        .as_ref()
        .is_none_or(|e| !e.iter().any(|w| is_shell_script(w)))
    {
        words.extend(cmd.unwrap_or_default());
    }
    // Shell form (`CMD a && b`): one word holding the line, read as a line.
    let shell_line = (words.len() == 1 && words[0].contains(' ')).then(|| words[0].clone());
    let found = !words.is_empty() || expose.is_some() || env_port.is_some();
    if found {
        p.evidence(&file);
    }
    if let Some(first) = words.first() {
        let script = first.trim_start_matches("./").trim_start_matches('/');
        let script = script.rsplit('/').next().unwrap_or(script);
        let line = if let Some(line) = &shell_line {
            line.clone()
        } else if dir.exists(script) && is_shell_script(script) {
            script.to_owned()
        } else {
            shell_words::join(&words)
        };
        if let Some(c) = from_line(&line, &format!("the command of {file}"), dir, ev) {
            ev.start.get_or_insert(c);
        }
    }
    if let Some(port) = env_port.or(expose) {
        let what = if env_port.is_some() {
            "ENV PORT"
        } else {
            "EXPOSE"
        };
        ev.port
            .get_or_insert((port, format!("`{what} {port}` in {file}")));
    }
    if let Some(port) = env_port {
        ev.env
            .entry("PORT".into())
            .or_insert((port.to_string(), format!("`ENV PORT={port}` in {file}")));
    }
}

/// A Dockerfile's instructions, continuation lines joined, comments dropped.
fn joined_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') && current.is_empty() {
            continue;
        }
        if let Some(body) = trimmed.strip_suffix('\\') {
            current.push_str(body);
            current.push(' ');
        } else {
            current.push_str(trimmed);
            if !current.trim().is_empty() {
                out.push(std::mem::take(&mut current).trim().to_owned());
            }
            current.clear();
        }
    }
    out
}

/// The words of `CMD`/`ENTRYPOINT`: a JSON array, or the shell form's line as one word.
fn exec_words(rest: &str) -> Option<Vec<String>> {
    if rest.starts_with('[') {
        return serde_json::from_str(rest).ok();
    }
    (!rest.is_empty()).then(|| vec![rest.to_owned()])
}

/// `ENV A=1 B=2` or `ENV A 1`.
fn env_pairs(rest: &str) -> Vec<(String, String)> {
    let words = shell_words::split(rest).unwrap_or_default();
    if words.len() >= 2 && !words[0].contains('=') {
        return vec![(words[0].clone(), words[1..].join(" "))];
    }
    words
        .iter()
        .filter_map(|w| w.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())))
        .collect()
}

/// A Compose file beside the app or above it: the service built from this directory gives
/// its `ports` and `command`; the others built from it with another command are processes.
fn compose(dir: Dir<'_>, ev: &mut Evidence, p: &mut Proposal) {
    let here = std::iter::once(dir).chain(dir.parents());
    for at in here {
        let Some(name) = at.first_of(COMPOSE_FILES) else {
            continue;
        };
        let Some(text) = at.read(name) else { continue };
        let file = at.path(name);
        let mut mine: Vec<ComposeService> = compose_services(&text)
            .into_iter()
            .filter(|s| {
                // A service built from another Dockerfile of the directory is another image.
                let own = s
                    .dockerfile
                    .as_deref()
                    .is_none_or(|d| d.trim_start_matches("./") == "Dockerfile");
                own && s.build.as_deref().is_some_and(|b| {
                    let joined = at.path(b.trim_start_matches("./").trim_end_matches('/'));
                    let joined = joined.trim_end_matches("/.").trim_end_matches('.');
                    joined.trim_end_matches('/') == dir.base()
                })
            })
            .collect();
        if mine.is_empty() {
            continue;
        }
        p.evidence(&file);
        // The web service is the one that publishes a port, else the first.
        let web = mine.iter().position(|s| s.port.is_some()).unwrap_or(0);
        let web = mine.remove(web);
        if let Some(port) = web.port {
            ev.port
                .get_or_insert((port, format!("`ports` of `{}` in {file}", web.name)));
        }
        if let Some(command) = &web.command {
            let source = format!("`command` of `{}` in {file}", web.name);
            if let Some(mut c) = from_line(command, &source, dir, ev) {
                c.words.retain(|w| w != "--reload");
                ev.start.get_or_insert(c);
            }
        }
        for other in mine {
            let Some(command) = other.command else {
                continue;
            };
            let Some(name) = super::service_name(&other.name) else {
                continue;
            };
            if ev.processes.iter().any(|(n, _)| *n == name) {
                continue;
            }
            if let Some((words, _)) = parse_line(&command).filter(|(w, _)| !needs_a_shell(w)) {
                // The Procfile's line for the same command keeps its name.
                if ev.processes.iter().any(|(_, c)| c.words == words) {
                    continue;
                }
                let source = format!("`command` of `{}` in {file}", other.name);
                ev.processes.push((name, Command { words, source }));
            }
        }
        return;
    }
}

/// A service of a Compose file, as far as mbgen reads it.
#[derive(Debug, Default)]
struct ComposeService {
    name: String,
    build: Option<String>,
    /// `build.dockerfile`, when it names another than `Dockerfile`.
    dockerfile: Option<String>,
    command: Option<String>,
    port: Option<u16>,
}

/// The services of a Compose file, read by indentation: their build context, command and
/// first container port. Enough for the files people write; anything else is ignored.
fn compose_services(text: &str) -> Vec<ComposeService> {
    let mut out: Vec<ComposeService> = Vec::new();
    let mut in_services = false;
    let mut service_indent = None;
    let mut key = String::new();
    for raw in text.lines() {
        let line = raw.split(" #").next().unwrap_or_default().trim_end();
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim();
        if indent == 0 {
            in_services = trimmed == "services:";
            service_indent = None;
            continue;
        }
        if !in_services {
            continue;
        }
        let svc_indent = *service_indent.get_or_insert(indent);
        if indent == svc_indent {
            if let Some(name) = trimmed.strip_suffix(':') {
                out.push(ComposeService {
                    name: name.trim_matches(['"', '\'']).to_owned(),
                    ..ComposeService::default()
                });
            }
            continue;
        }
        let Some(current) = out.last_mut() else {
            continue;
        };
        let unquote = |v: &str| v.trim().trim_matches(['"', '\'']).to_owned();
        if let Some(item) = trimmed.strip_prefix("- ") {
            match key.as_str() {
                "ports" if current.port.is_none() => {
                    current.port = unquote(item)
                        .rsplit(':')
                        .next()
                        .and_then(|p| p.split('/').next()?.parse().ok());
                }
                "command" => {
                    let c = current.command.get_or_insert_with(String::new);
                    c.push(' ');
                    c.push_str(&shell_words::quote(&unquote(item)));
                }
                _ => {}
            }
            continue;
        }
        let Some((k, v)) = trimmed.split_once(':') else {
            continue;
        };
        let v = v.trim();
        if indent == svc_indent + 2 || key != "build" {
            k.clone_into(&mut key);
        }
        match (key.as_str(), k) {
            ("build", "build") if !v.is_empty() => current.build = Some(unquote(v)),
            ("build", "context") => current.build = Some(unquote(v)),
            ("build", "dockerfile") => current.dockerfile = Some(unquote(v)),
            ("command", "command") if v.starts_with('[') => {
                let words: Vec<String> = serde_json::from_str(v).unwrap_or_default();
                current.command = Some(shell_words::join(&words));
            }
            ("command", "command") if !v.is_empty() => current.command = Some(unquote(v)),
            _ => {}
        }
    }
    out
}

/// Platform files: `fly.toml` (`internal_port`), `render.yaml` / `railway.json` /
/// `railway.toml` (`startCommand`), `app.yaml` (`entrypoint`), `heroku.yml` (`run: web:`).
fn platforms(dir: Dir<'_>, ev: &mut Evidence, p: &mut Proposal) {
    if let Some(text) = dir.read("fly.toml") {
        if let Some(port) = toml_key(&text, "internal_port").and_then(|v| v.parse().ok()) {
            let file = dir.path("fly.toml");
            p.evidence(&file);
            ev.port
                .get_or_insert((port, format!("`internal_port` in {file}")));
        }
    }
    for (name, key) in [
        ("render.yaml", "startCommand"),
        ("railway.json", "startCommand"),
        ("railway.toml", "startCommand"),
        ("app.yaml", "entrypoint"),
    ] {
        let Some(text) = dir.read(name) else { continue };
        let Some(command) = toml_key(&text, key) else {
            continue;
        };
        let file = dir.path(name);
        p.evidence(&file);
        if let Some(c) = from_line(&command, &format!("`{key}` in {file}"), dir, ev) {
            ev.start.get_or_insert(c);
        }
    }
    if let Some(text) = dir.read("heroku.yml") {
        let file = dir.path("heroku.yml");
        let web = text
            .lines()
            .skip_while(|l| l.trim() != "run:")
            .find_map(|l| l.trim().strip_prefix("web:").map(str::to_owned));
        if let Some(c) = web.and_then(|w| from_line(&w, &format!("`run: web:` in {file}"), dir, ev))
        {
            p.evidence(&file);
            ev.start.get_or_insert(c);
        }
    }
}

/// The value of `key = value`, `key: value` or `"key": value` on a line of a small config.
fn toml_key(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let line = line.trim().trim_start_matches('-').trim();
        let rest = line
            .strip_prefix(key)
            .or_else(|| line.strip_prefix(&format!("\"{key}\"")))?;
        let rest = rest.trim_start().strip_prefix(['=', ':'])?.trim();
        let value = rest.trim_end_matches(',').trim().trim_matches(['"', '\'']);
        (!value.is_empty()).then(|| value.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::fs::MemFs;

    fn python(files: &[(&str, &str)]) -> Proposal {
        let fs = MemFs::new(files.iter().copied());
        let dir = Dir::new(&fs, "");
        let mut p = Proposal::new("python", dir, Stack::Python, "Flask app");
        p.set(
            ServiceKey::Start,
            Value::List(vec!["gunicorn".into(), "app:create_app()".into()]),
            "guessed",
        );
        apply(dir, &mut p);
        p
    }

    fn list(p: &Proposal, key: ServiceKey) -> Vec<String> {
        match p.get(key) {
            Some(Value::List(l)) => l.clone(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn procfile_web_worker_and_release() {
        let p = python(&[(
            "Procfile",
            "web: flask db upgrade; gunicorn microblog:app\nworker: rq worker microblog-tasks\n",
        )]);
        assert_eq!(
            list(&p, ServiceKey::Start),
            ["gunicorn", "--bind", "0.0.0.0:8080", "microblog:app"]
        );
        assert_eq!(list(&p, ServiceKey::Release), ["flask", "db", "upgrade"]);
        match p.get(ServiceKey::Processes) {
            Some(Value::Lists(c)) => {
                assert_eq!(c["worker"], ["rq", "worker", "microblog-tasks"]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn dockerfile_runs_boot_sh() {
        let p = python(&[
            ("Dockerfile", "FROM python:3.12\nEXPOSE 5000\nENTRYPOINT [\"./boot.sh\"]\n"),
            (
                "boot.sh",
                "#!/bin/bash\nflask db upgrade\nexec gunicorn -b :5000 --access-logfile - microblog:app\n",
            ),
        ]);
        assert_eq!(
            list(&p, ServiceKey::Start),
            [
                "gunicorn",
                "-b",
                ":5000",
                "--access-logfile",
                "-",
                "microblog:app"
            ]
        );
        assert_eq!(p.get(ServiceKey::Port), Some(&Value::Int(5000)));
        assert_eq!(list(&p, ServiceKey::Release), ["flask", "db", "upgrade"]);
    }

    #[test]
    fn port_variable_becomes_the_port() {
        let p = python(&[(
            "Procfile",
            "web: uvicorn main:app --host 0.0.0.0 --port ${PORT:-8000}\n",
        )]);
        assert_eq!(
            list(&p, ServiceKey::Start),
            ["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "8000"]
        );
        assert_eq!(p.get(ServiceKey::Port), Some(&Value::Int(8000)));
        match p.get(ServiceKey::Env) {
            Some(Value::Map(m)) => assert_eq!(m["PORT"], "8000"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn compose_web_and_worker() {
        let compose = "services:\n  web:\n    build: ./project\n    ports:\n      - 8004:8000\n    command: uvicorn main:app --host 0.0.0.0 --reload\n  worker:\n    build: ./project\n    command: celery -A worker.celery worker --loglevel=info\n  redis:\n    image: redis:7\n";
        let fs = MemFs::new([("docker-compose.yml", compose), ("project/main.py", "")]);
        let dir = Dir::new(&fs, "project");
        let mut p = Proposal::new("python", dir, Stack::Python, "FastAPI app");
        apply(dir, &mut p);
        assert_eq!(
            list(&p, ServiceKey::Start),
            ["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "8000"]
        );
        assert_eq!(p.get(ServiceKey::Port), Some(&Value::Int(8000)));
        match p.get(ServiceKey::Processes) {
            Some(Value::Lists(c)) => {
                assert_eq!(c["worker"][0], "celery");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn platform_files_give_the_port() {
        let p = python(&[(
            "fly.toml",
            "app = \"x\"\n[http_service]\n  internal_port = 8080\n",
        )]);
        assert_eq!(p.get(ServiceKey::Port), Some(&Value::Int(8080)));
    }
}
