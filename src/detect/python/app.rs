//! The WSGI or ASGI app, and the command of the server that runs it.

use super::dependencies::Deps;
use crate::detect::text::find_port;
use crate::detect::{Dir, Proposal, Value};
use crate::spec::ServiceKey;

/// A start command, where it came from, and the port it names with where that came from.
pub(super) type Started = (Vec<String>, String, Option<(u16, String)>);

/// A WSGI or ASGI application object.
#[derive(Debug)]
pub(super) struct App {
    pub(super) framework: &'static str,
    /// The file that defines it, relative to the service.
    pub(super) file: String,
    /// `package.module:attribute`, as gunicorn and uvicorn take it.
    pub(super) target: String,
    /// The directory to import from, when the code lives under `src/`.
    pub(super) import_dir: Option<String>,
    pub(super) asgi: bool,
    /// Django: the settings module to run with, when it is not the one the WSGI module
    /// defaults to, and why.
    pub(super) settings: Option<(String, String)>,
    /// Django: `collectstatic` at build time (`STATIC_ROOT` is set), with the environment
    /// variable the settings read the secret key from.
    pub(super) collectstatic: Option<String>,
}

impl App {
    fn new(
        framework: &'static str,
        file: &str,
        target: String,
        import_dir: Option<String>,
        asgi: bool,
    ) -> Self {
        Self {
            framework,
            file: file.to_owned(),
            target,
            import_dir,
            asgi,
            settings: None,
            collectstatic: None,
        }
    }
}

/// Functions that build an app, called at the top of a module: `app = create_app()`.
const FACTORIES: &[&str] = &[
    "create_app",
    "make_app",
    "get_app",
    "get_application",
    "build_app",
    "create_application",
];

pub(super) const APP_CONSTRUCTORS: &[(&str, &str, bool)] = &[
    ("FastAPI(", "FastAPI", true),
    ("Starlette(", "Starlette", true),
    ("Litestar(", "Litestar", true),
    ("Quart(", "Quart", true),
    ("Flask(", "Flask", false),
    ("Falcon(", "Falcon", false),
    ("falcon.App(", "Falcon", false),
    ("Bottle(", "Bottle", false),
];

pub(super) fn module_of(file: &str) -> (String, Option<String>) {
    let (import_dir, rest) = match file.strip_prefix("src/") {
        Some(rest) => (Some("src".to_owned()), rest),
        None => (None, file),
    };
    let module = rest.strip_suffix(".py").unwrap_or(rest);
    let module = module.strip_suffix("/__init__").unwrap_or(module);
    (module.replace('/', "."), import_dir)
}

pub(super) fn find_app(dir: Dir<'_>, deps: &Deps) -> Option<App> {
    if let Some(django) = django(dir) {
        return Some(django);
    }
    // Sources of another project below this one (a workspace member) are not this app's.
    let sources: Vec<&str> = dir
        .sources(&["py"])
        .into_iter()
        .filter(|p| !in_nested_project(dir, p))
        .collect();
    for path in sources.iter().take(400) {
        let Some(text) = dir.read(path) else {
            continue;
        };
        for line in text.lines() {
            let trimmed = line.trim_end();
            // Top-level assignments only: `app = Flask(__name__)`.
            if trimmed.starts_with([' ', '\t']) {
                continue;
            }
            for (ctor, framework, asgi) in APP_CONSTRUCTORS {
                let Some((lhs, rhs)) = trimmed.split_once('=') else {
                    continue;
                };
                let rhs = rhs.trim_start();
                let called = rhs.starts_with(ctor)
                    || rhs
                        .split_once('.')
                        .is_some_and(|(_, r)| r.starts_with(ctor));
                let lhs = lhs.split(':').next().unwrap_or_default().trim();
                if called
                    && !lhs.is_empty()
                    && lhs.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                {
                    let (module, import_dir) = module_of(path);
                    return Some(App::new(
                        framework,
                        path,
                        format!("{module}:{lhs}"),
                        import_dir,
                        *asgi,
                    ));
                }
            }
        }
        if let Some(app) = factory_call(path, &text, deps) {
            return Some(app);
        }
    }
    // A factory nobody calls at the top of a module: gunicorn calls it, when it needs no
    // argument.
    for path in sources.iter().take(400) {
        let Some(text) = dir.read(path) else { continue };
        if deps.has("flask") && text.contains("def create_app(") && text.contains("Flask(") {
            let (module, import_dir) = module_of(path);
            return Some(App::new(
                "Flask",
                path,
                format!("{module}:create_app()"),
                import_dir,
                false,
            ));
        }
    }
    None
}

/// Whether a source file lies in a directory below `dir` that is a project of its own.
pub(super) fn in_nested_project(dir: Dir<'_>, path: &str) -> bool {
    let mut prefix = String::new();
    for part in path
        .split('/')
        .collect::<Vec<_>>()
        .iter()
        .rev()
        .skip(1)
        .rev()
    {
        if !prefix.is_empty() {
            prefix.push('/');
        }
        prefix.push_str(part);
        if dir.exists(&format!("{prefix}/pyproject.toml"))
            || dir.exists(&format!("{prefix}/setup.py"))
        {
            return true;
        }
    }
    false
}

/// `app = create_app(...)` or `app = get_application()` at the top of a module: the module's
/// attribute is the app, made by a factory of the project's.
fn factory_call(path: &str, text: &str, deps: &Deps) -> Option<App> {
    let (framework, asgi) = if deps.has("fastapi") {
        ("FastAPI", true)
    } else if deps.has("flask") {
        ("Flask", false)
    } else if deps.has("quart") {
        ("Quart", true)
    } else {
        return None;
    };
    for line in text.lines() {
        if line.starts_with([' ', '\t', '#']) {
            continue;
        }
        let Some((lhs, rhs)) = line.split_once('=') else {
            continue;
        };
        let lhs = lhs.split(':').next().unwrap_or_default().trim();
        let rhs = rhs.trim_start();
        let called = FACTORIES.iter().any(|f| rhs.starts_with(&format!("{f}(")));
        if called && !lhs.is_empty() && lhs.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            let (module, import_dir) = module_of(path);
            return Some(App::new(
                framework,
                path,
                format!("{module}:{lhs}"),
                import_dir,
                asgi,
            ));
        }
    }
    None
}

/// `DJANGO_SETTINGS_MODULE`'s default in a file: `setdefault("DJANGO_SETTINGS_MODULE", "x")`.
fn settings_default(text: &str) -> Option<String> {
    let rest = text.split("DJANGO_SETTINGS_MODULE").nth(1)?;
    let value = rest.split(['"', '\'']).nth(2)?;
    (!value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.'))
    .then(|| value.to_owned())
}

/// A Django project: the settings module that `manage.py` (or the WSGI/ASGI module) names;
/// in a settings package, its production module; the WSGI or ASGI module found by searching
/// up from the settings' package.
pub(super) fn django(dir: Dir<'_>) -> Option<App> {
    let manage = dir.read("manage.py")?;
    let named = settings_default(&manage)?;
    // Up from the settings module's package: `a/settings/dev.py` → `a/settings`, then `a`.
    let parts: Vec<&str> = named.split('.').collect();
    let (file, target, asgi) = (1..parts.len()).rev().find_map(|n| {
        let package = parts[..n].join(".");
        let folder = parts[..n].join("/");
        [("wsgi", false), ("asgi", true)]
            .iter()
            .find_map(|(kind, asgi)| {
                let file = format!("{folder}/{kind}.py");
                dir.exists(&file)
                    .then(|| (file, format!("{package}.{kind}:application"), *asgi))
            })
    })?;
    let mut app = App::new("Django", &file, target, None, asgi);
    let wsgi_default = dir.read(&file).and_then(|t| settings_default(&t));
    let default = wsgi_default.unwrap_or_else(|| named.clone());
    let chosen = production_settings(dir, &default);
    if let Some((module, why)) = &chosen {
        app.settings = Some((module.clone(), why.clone()));
    }
    let settings = chosen.map_or(default, |(m, _)| m);
    app.collectstatic = collectstatic(dir, &settings);
    Some(app)
}

/// In a settings package (`a/settings/dev.py` beside `a/settings/production.py`), the
/// production module, when the default is another one.
fn production_settings(dir: Dir<'_>, default: &str) -> Option<(String, String)> {
    let (package, own) = default.rsplit_once('.')?;
    let folder = package.replace('.', "/");
    if !dir.exists(&format!("{folder}/__init__.py")) || dir.exists(&format!("{folder}.py")) {
        return None;
    }
    ["production", "prod"].iter().find_map(|name| {
        (own != *name && dir.exists(&format!("{folder}/{name}.py"))).then(|| {
            (
                format!("{package}.{name}"),
                format!("{folder}/{name}.py, the production module of the settings package (the code defaults to {default})"),
            )
        })
    })
}

/// The file of a Python module, relative to the project: `shop.settings.production` →
/// `shop/settings/production.py`.
pub(super) fn module_file(module: &str) -> String {
    format!("{}.py", module.replace('.', "/"))
}

/// The settings files of a module: its own file, or its package's files.
fn settings_files(dir: Dir<'_>, module: &str) -> Vec<String> {
    let file = module_file(module);
    let folder = file.rsplit_once('/').map_or("", |(f, _)| f).to_owned();
    let mut files = vec![file.clone()];
    // The module's siblings: a settings package's base module holds what production adds to.
    files.extend(
        dir.files()
            .filter(|f| {
                f.strip_prefix(folder.as_str())
                    .and_then(|r| r.strip_prefix('/'))
                    .is_some_and(|r| {
                        !r.contains('/')
                            && std::path::Path::new(r)
                                .extension()
                                .is_some_and(|e| e.eq_ignore_ascii_case("py"))
                    })
            })
            .map(str::to_owned),
    );
    files
}

/// `collectstatic` when the settings set `STATIC_ROOT`: the environment variable the
/// production settings read the secret key from (`DJANGO_SECRET_KEY` when none is seen).
fn collectstatic(dir: Dir<'_>, settings: &str) -> Option<String> {
    let texts: Vec<String> = settings_files(dir, settings)
        .iter()
        .filter_map(|f| dir.read(f))
        .collect();
    if !texts.iter().any(|t| t.contains("STATIC_ROOT")) {
        return None;
    }
    let var = texts.iter().find_map(|t| {
        t.lines()
            .filter(|l| l.contains("SECRET_KEY"))
            .find_map(|l| {
                ["environ[", "environ.get(", "getenv(", "env(", "env.str("]
                    .iter()
                    .find_map(|call| l.split(call).nth(1))
                    .and_then(|rest| rest.split(['"', '\'']).nth(1))
                    .filter(|v| {
                        !v.is_empty()
                            && v.chars()
                                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                    })
                    .map(str::to_owned)
            })
    });
    Some(var.unwrap_or_else(|| "DJANGO_SECRET_KEY".to_owned()))
}

/// The start command: the app under the production server its dependencies provide.
// One arm per production server (gunicorn, uvicorn, waitress, daphne, hypercorn) and framework.
#[allow(clippy::too_many_lines)]
pub(super) fn start_command(dir: Dir<'_>, app: &App, deps: &Deps, p: &mut Proposal) -> Started {
    let uvicorn = deps.has("uvicorn") || deps.has("fastapi[standard]") || deps.has("fastapi[all]");
    let gunicorn = deps.has("gunicorn");
    let words = |list: &[&str]| {
        list.iter()
            .map(|s| (*s).to_owned())
            .collect::<Vec<String>>()
    };
    let target = app.target.clone();
    let django_asgi = app.framework == "Django"
        && uvicorn
        && !gunicorn
        && dir.exists(&app.file.replace("wsgi.py", "asgi.py"));
    if app.asgi || django_asgi {
        let target = if django_asgi {
            target.replace(".wsgi:", ".asgi:")
        } else {
            target
        };
        return asgi_command(dir, app, &target, deps, gunicorn, p);
    }
    if let Some(found) = uwsgi(dir, app, deps, p) {
        return found;
    }
    if gunicorn {
        let mut cmd = words(&["gunicorn"]);
        let mut port = None;
        let conf = dir.first_of(&["gunicorn.conf.py"]);
        if let Some(conf) = conf {
            p.evidence(dir.path(conf));
            port = dir
                .read(conf)
                .and_then(|t| find_port(&t))
                .map(|(port, line)| (port, format!("`{line}` in {}", dir.path(conf))));
        } else {
            cmd.extend(words(&["--bind", "0.0.0.0:8080"]));
        }
        if let Some(d) = &app.import_dir {
            cmd.extend(words(&["--chdir", d]));
        }
        cmd.push(target.clone());
        let source = match conf {
            Some(conf) => format!(
                "{target} in {}, served by gunicorn (a dependency) with the settings of {conf}",
                dir.path(&app.file)
            ),
            None => format!(
                "{target} in {}, served by gunicorn (a dependency) on mbgen's default port",
                dir.path(&app.file)
            ),
        };
        return (cmd, source, port);
    }
    if deps.has("waitress") {
        let cmd = words(&["waitress-serve", "--listen=0.0.0.0:8080", &target]);
        let source = format!(
            "{target} in {}, served by waitress (a dependency)",
            dir.path(&app.file)
        );
        return (cmd, source, None);
    }
    p.note(format!(
        "no production server (gunicorn, uvicorn, waitress) among the dependencies: add gunicorn, then use `start = [\"gunicorn\", \"--bind\", \"0.0.0.0:8080\", \"{target}\"]`"
    ));
    if app.framework == "Django" {
        let cmd = words(&["python", "manage.py", "runserver", "0.0.0.0:8080"]);
        return (
            cmd,
            "Django's development server, for want of gunicorn".to_owned(),
            None,
        );
    }
    if app.framework == "Flask" {
        let module = target.split(':').next().unwrap_or_default().to_owned();
        let cmd = words(&[
            "flask", "--app", &module, "run", "--host", "0.0.0.0", "--port", "8080",
        ]);
        return (
            cmd,
            "Flask's development server, for want of gunicorn".to_owned(),
            None,
        );
    }
    let cmd = words(&["python", &app.file]);
    (
        cmd,
        format!("{} run directly, for want of a server", app.file),
        None,
    )
}

/// uwsgi (a dependency) with its ini file, or serving the WSGI module on the default port.
fn uwsgi(dir: Dir<'_>, app: &App, deps: &Deps, p: &mut Proposal) -> Option<Started> {
    if !deps.has("uwsgi") {
        return None;
    }
    let ini = dir.first_of(&[
        "uwsgi.ini",
        "etc/uwsgi.ini",
        "docker/uwsgi.ini",
        "deploy/uwsgi.ini",
        "config/uwsgi.ini",
    ]);
    let Some(ini) = ini else {
        if deps.has("gunicorn") {
            return None;
        }
        let cmd = [
            "uwsgi",
            "--http-socket",
            ":8080",
            "--master",
            "--module",
            &app.target,
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        return Some((
            cmd,
            format!(
                "{} in {}, served by uwsgi (a dependency) on mbgen's default port",
                app.target,
                dir.path(&app.file)
            ),
            None,
        ));
    };
    p.evidence(dir.path(ini));
    let text = dir.read(ini).unwrap_or_default();
    let port = text.lines().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        matches!(k.trim(), "http-socket" | "http")
            .then(|| v.trim().rsplit(':').next()?.parse::<u16>().ok())
            .flatten()
            .map(|n| (n, format!("`{}` in {}", l.trim(), dir.path(ini))))
    });
    if text.contains("$(PORT)") && port.is_none() {
        let env = std::collections::BTreeMap::from([("PORT".to_owned(), "8080".to_owned())]);
        p.set(
            ServiceKey::Env,
            Value::Map(env),
            format!("PORT: {} listens on $(PORT)", dir.path(ini)),
        );
    }
    Some((
        vec!["uwsgi".to_owned(), "--ini".to_owned(), ini.to_owned()],
        format!(
            "uwsgi (a dependency) with the settings of {}",
            dir.path(ini)
        ),
        port,
    ))
}

/// uvicorn serving an ASGI app.
pub(super) fn asgi_command(
    dir: Dir<'_>,
    app: &App,
    target: &str,
    deps: &Deps,
    gunicorn: bool,
    p: &mut Proposal,
) -> Started {
    let uvicorn = deps.has("uvicorn") || deps.has("fastapi[standard]") || deps.has("fastapi[all]");
    let words = |list: &[&str]| {
        list.iter()
            .map(|s| (*s).to_owned())
            .collect::<Vec<String>>()
    };
    if gunicorn && uvicorn {
        p.alternatives
            .push("gunicorn with uvicorn workers (`-k uvicorn.workers.UvicornWorker`)".to_owned());
    }
    if !uvicorn {
        p.note(format!(
            "{} is an ASGI app, and no ASGI server is among the dependencies: add uvicorn to them",
            app.framework
        ));
    }
    let chdir = app.import_dir.as_deref();
    let (server, cmd) = if uvicorn
        || !["hypercorn", "daphne", "granian"]
            .iter()
            .any(|s| deps.has(s))
    {
        let mut cmd = words(&["uvicorn", target, "--host", "0.0.0.0", "--port", "8080"]);
        if let Some(d) = chdir {
            cmd.extend(words(&["--app-dir", d]));
        }
        ("uvicorn", cmd)
    } else if deps.has("hypercorn") {
        (
            "hypercorn",
            words(&["hypercorn", "--bind", "0.0.0.0:8080", target]),
        )
    } else if deps.has("daphne") {
        (
            "daphne",
            words(&["daphne", "--bind", "0.0.0.0", "--port", "8080", target]),
        )
    } else {
        (
            "granian",
            words(&[
                "granian",
                "--interface",
                "asgi",
                "--host",
                "0.0.0.0",
                "--port",
                "8080",
                target,
            ]),
        )
    };
    if server != "uvicorn" && chdir.is_some() {
        p.note(format!("{server} imports the app from the working directory: the code under src/ needs `PYTHONPATH=src` in `env`"));
    }
    let found = uvicorn || server != "uvicorn";
    let source = format!(
        "{} in {}, served by {server}{} on mbgen's default port",
        target,
        dir.path(&app.file),
        if found { " (a dependency)" } else { "" }
    );
    (cmd, source, None)
}
